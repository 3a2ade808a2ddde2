"""Trust (信任), the engine: saturating gains, proportional losses, bounded in [0, 1].

Rule (DOMAIN §3): for each reachable user, each day

    trust ← trust + G·(1 − trust) − L·trust

with gains ``G = content_gain·content·(1 − deal) + interaction_gain·chat
+ consistency_gain·[≥ 1 content post a day] + familiarity_gain·(A_group, or ¼ without a group)``
and losses ``L = hard_sell_loss·max(0, F/θ − 1) + exaggeration_loss·exaggeration``.
Orders move trust too (``purchase_gain`` for a good order, ``failure_loss`` share lost for a
failed one; see ``sim.mechanisms.purchase``), and referred joiners start with
``initial + endorsement × referrer's trust`` (see ``sim.mechanisms.referral``).
"""

from __future__ import annotations

import numpy as np


def update(model, chatted: np.ndarray) -> None:
    """Apply one day of the trust rule to the reachable users (``chatted``: one-to-one chats)."""
    sc, pop, day = model.scenario, model.pop, model.day
    if not sc.mechanisms.trust or len(day.reach) == 0:
        return
    tr, st = sc.trust, sc.strategy
    reach = day.reach
    gain = tr.content_gain * day.content * (1.0 - day.of_reach(pop, "deal"))
    gain += tr.interaction_gain * chatted
    if st.content_posts_per_day >= 1.0:
        gain += tr.consistency_gain
    if tr.familiarity_gain > 0:
        g = day.of_reach(pop, "group")
        if model.groups.count:  # activity of the user's group, ¼ without a group
            gain += tr.familiarity_gain * model.groups.activity_of(g, 0.25)
        else:
            gain += tr.familiarity_gain * np.where(g >= 0, np.zeros(len(g)), 0.25)
    loss = tr.exaggeration_loss * st.exaggeration
    if sc.mechanisms.fatigue:
        loss = loss + tr.hard_sell_loss * np.maximum(0.0, pop.fatigue[reach] / day.threshold - 1.0)
    x = pop.trust[reach]
    x = x + np.minimum(gain, 1.0) * (1.0 - x) - np.minimum(loss, 1.0) * x
    pop.trust[reach] = np.minimum(np.maximum(x, 0.0), 1.0)  # clip to [0, 1]


def on_orders(model, good: np.ndarray, failed: np.ndarray) -> None:
    """Move trust after orders: a gain for good ones, a loss for failed ones."""
    sc, pop = model.scenario, model.pop
    if not sc.mechanisms.trust:
        return
    tr = sc.trust
    pop.trust[good] += tr.purchase_gain * (1.0 - pop.trust[good])
    pop.trust[failed] *= 1.0 - tr.failure_loss
