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

from sim.jit import rule
from sim.population import Event, Source, Stage
from sim.scenario import Hook, Public

_PUBLIC = Stage.PUBLIC.value
_EXPOSED = Event.EXPOSED.value


def cost_per_exposure(public: Public, t: int) -> float:
    """Cost of one paid exposure on day ``t`` (compounded yearly growth)."""
    return public.cost_per_exposure * (1.0 + public.cost_growth_per_year) ** (t / 365.0)


def sample_public(stage: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Distinct public-pool users reached when each user is hit with probability ≈ ``share``."""
    if share <= 0:
        return np.empty(0, dtype=np.int64)
    k = rng.binomial(len(stage), min(share, 1.0))
    return _still_public(rng.integers(0, len(stage), k), stage)


@rule
def _still_public(drawn, stage):
    """The distinct ids in ``drawn`` whose stage is public, in increasing order."""
    x = np.sort(drawn)
    out = np.empty(len(x), dtype=np.int64)
    n = 0
    prev = -1
    for v in x:
        if v != prev:
            prev = v
            if stage[v] == _PUBLIC:
                out[n] = v
                n += 1
    return out[:n]


@rule
def _exposure(paid, organic, t, events, last_purchase, cycle, need, purchases, per_touch, repeat_boost, demand):
    """Merge the paid and organic exposures (sorted, distinct) and mark them exposed.

    Returns the exposed users and each one's platform purchase probability
    (:func:`platform_buy_probability`).
    """
    exposed = np.empty(len(paid) + len(organic), dtype=np.int64)
    i = j = n = 0
    while i < len(paid) or j < len(organic):
        if j == len(organic) or (i < len(paid) and paid[i] < organic[j]):
            v = paid[i]
            i += 1
        elif i == len(paid) or organic[j] < paid[i]:
            v = organic[j]
            j += 1
        else:
            v = paid[i]
            i += 1
            j += 1
        exposed[n] = v
        n += 1
    exposed = exposed[:n]
    p = np.empty(n, dtype=np.float64)
    c = np.float32(per_touch)
    for k in range(n):
        v = exposed[k]
        events[v] |= _EXPOSED
        p[k] = platform_buy_probability(need[v], np.float32(t - last_purchase[v]), cycle[v], purchases[v] > 0,
                                        c, repeat_boost, demand)
    return exposed, p


@rule
def platform_buy_probability(need, days_since_order, cycle, past_buyer, per_touch, repeat_boost, demand):
    """Probability that an exposed public user buys on the platform today.

    ``per_touch × need × readiness × (1 + repeat_boost × past_buyer) × demand``, with
    ``per_touch = platform_conversion / decision_touches`` (float32, like the population columns).
    """
    ready = min(1.0, np.float64(days_since_order / cycle))  # readiness, rounded as the columns are
    p = np.float64(per_touch * need) * ready
    return p * (1.0 + repeat_boost * (1.0 if past_buyer else 0.0)) * demand


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
    p = take_up_probability(deal, float(hook.take_up), float(hook.selection))
    return rng.random(len(deal), dtype=np.float32) < p


@rule
def take_up_probability(deal, take_up, selection):
    """``take_up × clip(1 + selection × (2 × deal − 1), 0, 2)`` per user (float32 like ``deal``)."""
    out = np.empty(len(deal), dtype=np.float32)
    t, s = np.float32(take_up), np.float32(selection)
    one, two, zero = np.float32(1.0), np.float32(2.0), np.float32(0.0)
    for k in range(len(deal)):
        out[k] = t * min(max(one + s * (two * deal[k] - one), zero), two)
    return out


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
    led.add("cost_ads", len(paid) * cpe)
    led.add("acq_cost", len(paid) * cpe)
    # platform orders: no relationship, commission to the platform
    exposed, p = _exposure(paid, organic, int(day.t), pop.events, pop.last_purchase, pop.cycle, pop.need,
                           pop.purchases, float(pub.platform_conversion / sc.product.decision_touches),
                           float(pub.platform_repeat_boost), float(day.demand))
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
