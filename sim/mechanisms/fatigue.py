"""Fatigue and churn (刷屏): messages add fatigue, quiet removes it, excess mutes then churns.

Rules (DOMAIN §4, §5; EVIDENCE: Localytics 2017, China Youth Daily 2020):

- *Accumulation*: ``F ← F·r + w_ad·(ads + notices) + content_weight·(0.5 + deal)·content``,
  with daily retention ``r = 2^(−1/half_life_days)``; ``w_ad = targeted_weight`` for targeted ads.
- *Tolerance*: a user with tolerance ``τ`` (ads a week) mutes only if fatigue passes
  ``θ = τ / 7 / (1 − r) × (1 + activity_tolerance_bonus × A_group)`` — the steady state of
  ``τ`` ads a week; so the share muting at a given cadence follows the tolerance distribution.
- *Mute*: past ``θ``, a reachable user mutes (→ dormant) with hazard ``mute_rate × (F/θ − 1)``.
- *Leave*: past ``leave_multiple × θ`` a user leaves outright with hazard
  ``leave_rate × F / (leave_multiple θ)``.
- *Dormant clean-up*: muted users clear the dead contact out at ``dormant_cleanup_rate`` a day;
  a rested muted user (``F < θ/2``) re-engages on an event or red-packet day with
  ``reactivation_rate``.
- *Lost incentive*: a user who was ever paid cash leaves with hazard
  ``incentive_leave_rate × deal² × (1 − e^(−days_since_cash / incentive_memory_days)) × (1 − trust)``.
- *Background churn*: ``base_churn_per_year``.
"""

from __future__ import annotations

import math

import numpy as np

from sim.population import Event, Stage


def retention(half_life_days: float) -> float:
    """Share of fatigue kept from one day to the next."""
    return 2.0 ** (-1.0 / half_life_days)


def threshold(model, idx: np.ndarray) -> np.ndarray:
    """Fatigue threshold θ of users ``idx`` (their tolerance, raised by group activity)."""
    sc, pop = model.scenario, model.pop
    r = retention(sc.fatigue.half_life_days)
    thr = pop.tolerance[idx] / 7.0 / (1.0 - r)
    g = model.day.of_reach(pop, "group") if idx is model.day.reach else pop.group[idx]
    if model.groups.count:
        act = model.groups.activity_of(g, 0.0)
        thr = thr * (1.0 + sc.community.activity_tolerance_bonus * act)
    return thr.astype(np.float32)


def accumulate(model) -> None:
    """Decay every pool member's fatigue and add today's messages for the reachable."""
    sc, pop, day = model.scenario, model.pop, model.day
    fat = sc.fatigue
    if not sc.mechanisms.fatigue:
        day.threshold = np.full(len(day.reach), np.inf, dtype=np.float32)
        return
    # decay the pool (reachable or dormant): one pass over all users with a per-stage factor
    # (× 1.0 outside the pool, exact) is cheaper than gathering the pool's scattered rows
    factor = np.ones(len(Stage), dtype=np.float32)
    factor[Stage.FOLLOWER.value : Stage.DORMANT.value + 1] = retention(fat.half_life_days)
    pop.fatigue *= factor.take(pop.stage)
    reach = day.reach
    w_ad = fat.targeted_weight if sc.strategy.ads_targeted else 1.0
    add = w_ad * (day.ads + day.notices) + fat.content_weight * (0.5 + day.of_reach(pop, "deal")) * day.content
    pop.fatigue[reach] += add
    day.threshold = threshold(model, reach)


def _leave(model, idx: np.ndarray) -> None:
    pop = model.pop
    pop.stage[idx] = Stage.CHURNED.value
    pop.leave_day[idx] = model.day.t
    pop.events[idx] |= Event.LEFT.value
    model.ledger.add("leaves", len(idx))


def mute_and_leave(model) -> None:
    """Apply the mute, leave, incentive, clean-up, reactivation and background-churn rules."""
    sc, pop, day, rng = model.scenario, model.pop, model.day, model.rng
    fat, t = sc.fatigue, day.t
    reach = day.reach
    n = len(reach)
    u = rng.random(n, dtype=np.float32)
    hazard = np.zeros(n, dtype=np.float32)
    mute = np.zeros(n, dtype=bool)
    if sc.mechanisms.fatigue and n:
        ratio = pop.fatigue[reach] / day.threshold
        over = ratio / fat.leave_multiple
        hazard = (fat.leave_rate * over).astype(np.float32)
        hazard[~(over > 1.0)] = 0.0  # = np.where(over > 1, leave_rate × over, 0), faster
        mute = (ratio > 1.0) & (rng.random(n, dtype=np.float32) < 1.0 - np.exp(-fat.mute_rate * (ratio - 1.0)))
    if sc.mechanisms.incentive_churn and n:
        paid = pop.last_reward[reach]
        cashed = paid > -1_000_000
        if cashed.any():  # only users ever paid cash carry this hazard (the others add 0)
            c = np.flatnonzero(cashed)
            lost = 1.0 - np.exp(-(t - paid[c]) / fat.incentive_memory_days)
            h = fat.incentive_leave_rate * day.of_reach(pop, "deal")[c] ** 2 * lost * (1.0 - pop.trust[reach[c]])
            hazard[c] += h.astype(np.float32)
    hazard += -math.log1p(-fat.base_churn_per_year) / 365.0 if fat.base_churn_per_year < 1 else 1.0
    leave = u < 1.0 - np.exp(-hazard)
    _leave(model, reach[leave])
    muted = reach[mute & ~leave]
    pop.stage[muted] = Stage.DORMANT.value
    pop.events[muted] |= Event.MUTED.value
    model.ledger.add("mutes", len(muted))
    # dormant users: clean-up or, on event days, re-engagement
    j = pop.joined
    dormant = j[pop.stage[j] == Stage.DORMANT.value]
    dormant = dormant[(pop.events[dormant] & Event.MUTED.value) == 0]
    if len(dormant) == 0:
        return
    gone = rng.random(len(dormant), dtype=np.float32) < fat.dormant_cleanup_rate
    _leave(model, dormant[gone])
    if day.event or day.red_packet:
        rest = dormant[~gone]
        rested = pop.fatigue[rest] < 0.5 * threshold(model, rest)
        back = rest[rested & (rng.random(len(rest), dtype=np.float32) < fat.reactivation_rate)]
        pop.stage[back] = pop.rung[back]
        pop.events[back] |= Event.REACTIVATED.value
