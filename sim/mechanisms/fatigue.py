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
- *Leave causes*: a reachable user's leave hazards compete (background + overload + lost
  incentive, one draw); the leave is attributed to hazard ``k`` with probability ``h_k / h``
  (:func:`leave_cause`, same draw); a dormant user's leave is a clean-up.
"""

from __future__ import annotations

import math

from sim.jit import rule


def retention(half_life_days: float) -> float:
    """Share of fatigue kept from one day to the next."""
    return 2.0 ** (-1.0 / half_life_days)


def background_hazard(base_churn_per_year: float) -> float:
    """Daily leave hazard that gives ``base_churn_per_year`` churn in a year."""
    return -math.log1p(-base_churn_per_year) / 365.0 if base_churn_per_year < 1 else 1.0


@rule
def threshold(tolerance: float, activity: float, retention: float, activity_bonus: float) -> float:
    """Fatigue threshold θ of a user with ``tolerance`` in a group with ``activity`` (0 = none)."""
    tolerance, activity = float(tolerance), float(activity)  # float32 columns: in float64, as compiled
    return tolerance / 7.0 / (1.0 - retention) * (1.0 + activity_bonus * activity)


@rule
def added(ads: float, notices: float, content: float, deal: float, ad_weight: float,
          content_weight: float) -> float:
    """Fatigue added by today's messages: ``w_ad (ads + notices) + content_weight (0.5 + deal) content``."""
    return ad_weight * (ads + notices) + content_weight * (0.5 + float(deal)) * content


@rule
def mute_hazard(ratio: float, mute_rate: float) -> float:
    """Mute hazard of a reachable user at ``ratio = F/θ``: ``mute_rate × (F/θ − 1)`` past θ."""
    return mute_rate * (ratio - 1.0) if ratio > 1.0 else 0.0


@rule
def overload_hazard(ratio: float, leave_multiple: float, leave_rate: float) -> float:
    """Leave hazard past ``leave_multiple × θ``: ``leave_rate × F / (leave_multiple θ)``."""
    over = ratio / leave_multiple
    return leave_rate * over if over > 1.0 else 0.0


@rule
def leave_cause(position: float, background: float, overload: float, background_code: int,
                fatigue_code: int, incentive_code: int) -> int:
    """Which competing hazard caused a leave that fell at ``position`` in ``[0, hazard)``.

    The leave hazard is ``background + overload + incentive``; a leave at ``position = w × hazard``
    (``w`` uniform on ``[0, 1)`` given the leave, see ``sim.jit.occurs_at``) is background churn
    below ``background``, fatigue overload below ``background + overload``, else lost incentive,
    so each cause has probability ``h_k / hazard``.
    """
    if position < background:
        return background_code
    if position < background + overload:
        return fatigue_code
    return incentive_code


@rule
def incentive_hazard(days_since_cash: float, deal: float, trust: float, memory_days: float,
                     leave_rate: float) -> float:
    """Lost-incentive leave hazard of a user last paid cash ``days_since_cash`` days ago.

    :func:`incentive_hazard_after` of :func:`incentive_faded` (the pool's pass looks the latter
    up by the whole number of days, which few distinct values take on one day).
    """
    return incentive_hazard_after(incentive_faded(days_since_cash, memory_days), deal, trust, leave_rate)


@rule
def incentive_faded(days_since_cash: float, memory_days: float) -> float:
    """How much of the cash's hold has faded ``days_since_cash`` days after: ``1 − e^(−days / memory)``."""
    return 1.0 - math.exp(-days_since_cash / memory_days)


@rule
def incentive_hazard_after(faded: float, deal: float, trust: float, leave_rate: float) -> float:
    """``leave_rate × deal² × faded × (1 − trust)``: the lost-incentive hazard given :func:`incentive_faded`."""
    deal, trust = float(deal), float(trust)  # float32 columns: in float64, as compiled
    return leave_rate * deal * deal * faded * (1.0 - trust)
