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

from sim.jit import rule


@rule
def updated(x: float, content: float, deal: float, chatted: bool, consistent: bool,
            familiarity: float, overload: float, exaggeration: float, content_gain: float,
            interaction_gain: float, consistency_gain: float, familiarity_gain: float,
            hard_sell_loss: float, exaggeration_loss: float) -> float:
    """One day of the trust rule for a reachable user with trust ``x``.

    ``familiarity`` is the group's activity (¼ without a group); ``overload = max(0, F/θ − 1)``
    (0 when fatigue is off). Computed in float64: ``x``, ``deal`` and ``familiarity`` may be
    float32 column values, cast first so that plain Python (NumPy's promotion keeps float32 when
    a float32 meets a Python float) computes what the compiled rule does.
    """
    x, deal, familiarity = float(x), float(deal), float(familiarity)
    gain = content_gain * content * (1.0 - deal) + familiarity_gain * familiarity
    if chatted:
        gain += interaction_gain
    if consistent:
        gain += consistency_gain
    loss = exaggeration_loss * exaggeration + hard_sell_loss * overload
    x = x + min(gain, 1.0) * (1.0 - x) - min(loss, 1.0) * x
    return min(max(x, 0.0), 1.0)


@rule
def after_orders(trust, good, failed, gain, kept):
    """``trust += gain × (1 − trust)`` for each good order's buyer, ``trust ×= kept`` for each failed one.

    In float32, as the column holds it (the two sets of buyers are disjoint).
    """
    g = np.float32(gain)
    one = np.float32(1.0)
    for i in good:
        trust[i] += g * (one - trust[i])
    k = np.float32(kept)
    for i in failed:
        trust[i] *= k
