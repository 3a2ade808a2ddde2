"""Acquisition and lead-in (引流): paid and organic public exposure, platform orders, hooks.

Rules (DOMAIN §1, §5):

- *Rising cost of exposure*: one paid exposure costs ``cost_per_exposure × (1 + g)^(t/365)``.
- *Public exposure*: each day a share ``ad_reach_per_day`` (paid) and ``organic_reach_per_day``
  (free) of public-pool users sees the store; ``content_reach_per_day`` sees its free content.
- *Platform purchase*: an exposed public user buys on the platform with probability
  ``platform_conversion / decision_touches × need × readiness × (1 + platform_repeat_boost ×
  past_buyer) × shock demand``; the platform keeps its commission and the merchant gets no relationship.
- *Hook take-up*: a hook offered to a user is taken with probability
  ``take_up × clip(1 + selection × (2 × deal_seeking − 1), 0, 2)``; cash hooks select
  deal-seekers, content hooks select content fans. Package cards reach platform buyers, gift
  and cash hooks reach paid exposures, the content hook reaches content readers.
- *Admission*: users below ``strategy.entry_threshold`` need are not admitted, and joins stop
  when every personal account is full (``touchpoints``) or the budget cannot carry them
  (``sim.mechanisms.budget``: paid exposures and hooks are cut when a cap binds).
"""

from __future__ import annotations

import numpy as np

from sim.arrays import sorted_unique, union_sorted
from sim.jit import rule
from sim.population import Event, Source, Stage
from sim.scenario import Hook, Public


def cost_per_exposure(public: Public, t: int) -> float:
    """Cost of one paid exposure on day ``t`` (compounded yearly growth)."""
    return public.cost_per_exposure * (1.0 + public.cost_growth_per_year) ** (t / 365.0)


def sample_public(stage: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Distinct public-pool users reached when each user is hit with probability ≈ ``share``."""
    if share <= 0:
        return np.empty(0, dtype=np.int64)
    k = rng.binomial(len(stage), min(share, 1.0))
    idx = sorted_unique(rng.integers(0, len(stage), k))
    return idx[stage[idx] == Stage.PUBLIC.value]


@rule
def readiness(days_since_order, cycle):
    """How ready users are to buy again: 0 just after a purchase, 1 after a full cycle.

    Works on numbers and on arrays (the platform draws it for arrays of exposed users).
    """
    return np.minimum(1.0, days_since_order / cycle)


def hook_take_up(hook: Hook, deal: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of users (with deal-seeking ``deal``) who take up ``hook``."""
    if not hook.enabled or hook.take_up <= 0 or len(deal) == 0:
        return np.zeros(len(deal), dtype=bool)
    p = hook.take_up * np.minimum(np.maximum(1.0 + hook.selection * (2.0 * deal - 1.0), 0.0), 2.0)
    return rng.random(len(deal), dtype=np.float32) < p


def acquire(model) -> None:
    """Run today's public exposure, platform orders and hook take-up (the PublicChannel's step)."""
    sc, pop, rng, day, led = model.scenario, model.pop, model.rng, model.day, model.ledger
    pub, hooks = sc.public, sc.strategy.hooks
    if not day.public_open:
        led["public_open"] = 0.0
        return
    led["public_open"] = 1.0
    budget = model.budget
    paid = sample_public(pop.stage, 0.0 if budget.stopped("ads") else pub.ad_reach_per_day, rng)
    organic = sample_public(pop.stage, pub.organic_reach_per_day, rng)
    cpe = cost_per_exposure(pub, day.t)
    if budget.active and "cost_ads" in budget.columns:  # the budget pays for so many exposures
        paid = paid[: budget.affordable(cpe, len(paid))]
    exposed = union_sorted(paid, organic)
    led.add("cost_ads", len(paid) * cpe)
    led.add("acq_cost", len(paid) * cpe)
    pop.events[exposed] |= Event.EXPOSED.value
    # platform orders: no relationship, commission to the platform
    ready = readiness((day.t - pop.last_purchase[exposed]).astype(np.float32), pop.cycle[exposed])
    past = pop.purchases[exposed] > 0
    p = (pub.platform_conversion / sc.product.decision_touches) * pop.need[exposed] * ready
    p = p * (1.0 + pub.platform_repeat_boost * past) * day.demand
    buyers = exposed[rng.random(len(exposed), dtype=np.float32) < p]
    model.record_orders(buyers, channel="platform", discount=0.0)
    # hooks, first taken wins: card (buyers), cash and gift (paid exposures), content (readers)
    model.touchpoints.admit(buyers[hook_take_up(hooks.package_card, pop.deal[buyers], rng)], Source.CARD, hooks.package_card)
    rest = paid[pop.stage[paid] == Stage.PUBLIC.value]
    if day.rebates_active:  # cash for joining is a rebate: it stops with the others
        model.touchpoints.admit(rest[hook_take_up(hooks.cash, pop.deal[rest], rng)], Source.CASH, hooks.cash)
    rest = rest[pop.stage[rest] == Stage.PUBLIC.value]
    model.touchpoints.admit(rest[hook_take_up(hooks.gift, pop.deal[rest], rng)], Source.GIFT, hooks.gift)
    if hooks.content.enabled:
        readers = sample_public(pop.stage, hooks.content_reach_per_day, rng)
        model.touchpoints.admit(readers[hook_take_up(hooks.content, pop.deal[readers], rng)], Source.CONTENT, hooks.content)
