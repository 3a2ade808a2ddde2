"""Theory the model's mechanisms can be checked against: the referral epidemic threshold.

The referral rule (``sim.mechanisms.referral``) is an independent cascade: a user who shares
exposes each contact once per edge, ever, and an exposed public contact joins with a
probability set by the referrer's trust, the contact's need and the cash appeal. Once every
joiner shares (sooner or later) this is bond percolation on the social network with the
**transmissibility** ``T`` = the chance that one edge out of a joiner brings the contact in:

    T = P(share) × E_contact[ min(1, join_prob × min(1, trust_ref + deal × cash) × (0.5 + need)
                                       × group-buy lift) × 1{need ≥ entry_threshold} ]

(``cash = reward_share_lift × referral_reward / order_value`` while rebates run, the
group-buy lift is ``1 + event_lift × group_buy_discount × price_sensitivity`` when group-buys
run). On a random (Erdős-Rényi) network with mean degree ``k`` the share ``S`` of users a
cascade reaches solves ``S = 1 − e^(−T k S)`` (Newman 2002): ``S = 0`` while ``T k ≤ 1`` —
cascades fizzle — and a giant cascade appears above that threshold. With a share ``ρ`` of
users brought in from outside (the seeds), ``S_all = 1 − (1 − ρ) e^(−T k S_all)``.

:func:`transmissibility` computes ``T`` for a scenario from the model's own trait
distributions (a fixed-seed draw of its population), :func:`final_size` solves the
threshold equation, and :func:`isolated_referral` is the setting where the theory applies
exactly (the Learn page's threshold demo, docs/MODEL.md "Referral threshold").
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from sim.errors import ScenarioError
from sim.population import Population
from sim.scenario import Scenario

__all__ = ["final_size", "isolated_referral", "transmissibility", "trust_fixed_point"]


def final_size(r: float, seed_share: float = 0.0) -> float:
    """Share of users a cascade reaches on a random network: the largest root of ``S = 1 − (1 − ρ) e^(−r S)``.

    Args:
        r: Mean referrals per joiner, ``T × k`` (≥ 0).
        seed_share: ``ρ``, the share of users brought in from outside (0 ≤ ρ < 1); the result
            counts them too. With ``ρ = 0`` the result is 0 for ``r ≤ 1``.

    Returns:
        ``S`` in [0, 1].
    """
    if not (r >= 0 and math.isfinite(r)):
        raise ScenarioError(f"final_size: r = {r} must be a finite number ≥ 0")
    if not 0.0 <= seed_share < 1.0:
        raise ScenarioError(f"final_size: seed_share = {seed_share} must be in [0, 1)")
    if seed_share == 0.0 and r <= 1.0:
        return 0.0
    # f(s) = 1 − (1 − ρ) e^(−r s) − s is > 0 just above the non-trivial root's lower side
    # (s → 0⁺ when r > 1 or ρ > 0) and < 0 at s = 1: bisect on (0, 1].
    lo = 1e-12 if seed_share == 0.0 else 0.0
    hi = 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 1.0 - (1.0 - seed_share) * math.exp(-r * mid) - mid > 0.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def final_sizes(rs: Iterable[float], seed_share: float = 0.0) -> np.ndarray:
    """:func:`final_size` for many ``r``."""
    return np.array([final_size(float(r), seed_share) for r in rs])


def trust_fixed_point(sc: Scenario) -> float:
    """Trust of a referred joiner deep in a cascade when trust does not change: ``initial / (1 − endorsement)``.

    A referred joiner starts at ``initial + endorsement × referrer trust`` (``Touchpoints.admit``);
    along a chain of referrals this converges to the fixed point (capped at 1).
    """
    tr = sc.trust
    return 1.0 if tr.endorsement >= 1.0 else min(1.0, tr.initial / (1.0 - tr.endorsement))


def transmissibility(sc: Scenario, *, referrer_trust: float | None = None, share_days: float = 30.0,
                     sample: int = 200_000) -> float:
    """The referral rule's per-edge transmissibility ``T`` for scenario ``sc`` (see the module docstring).

    Args:
        sc: The scenario (its ``referral``, ``strategy``, ``product``, ``purchase`` and
            ``population`` sections are read; rebates are taken as running).
        referrer_trust: Trust of the sharing user (default :func:`trust_fixed_point`).
        share_days: Days a joiner stays reachable to share; ``P(share) = E[1 − e^(−p × days)]``
            with the unprompted sharing hazard ``p`` of a joiner who has not bought.
            Campaign seeding is not counted.
        sample: Users drawn (fixed seed) from the scenario's trait distributions.

    Returns:
        ``T`` in [0, 1].
    """
    if share_days <= 0:
        raise ScenarioError(f"transmissibility: share_days = {share_days} must be > 0")
    trust = trust_fixed_point(sc) if referrer_trust is None else float(referrer_trust)
    if not 0.0 <= trust <= 1.0:
        raise ScenarioError(f"transmissibility: referrer_trust = {trust} must be in [0, 1]")
    rng = np.random.default_rng(20_021)
    pop = Population(sc.population.model_copy(update={"n_users": int(sample)}), sc.product, rng)
    st, rf = sc.strategy, sc.referral
    cash = rf.reward_share_lift * st.referral_reward / sc.product.order_value if st.referral_reward > 0 else 0.0
    # the contact: P(join | exposed) — sim.mechanisms.referral.spread
    p = rf.join_prob * np.minimum(trust + pop.deal * cash, 1.0) * (0.5 + pop.need)
    if st.group_buy_size > 1:
        p = p * (1.0 + sc.purchase.event_lift * st.group_buy_discount * pop.price_sens)
    p = np.minimum(p, 1.0) * (pop.need >= st.entry_threshold)
    # the sharer: P(shares within share_days) — sim.mechanisms.referral.share_hazard, not yet bought
    hazard = rf.share_rate * pop.deal * cash * pop.sociability
    shares = 1.0 - np.exp(-hazard.astype(np.float64) * share_days)
    if not sc.mechanisms.referral:
        return 0.0
    return float(shares.mean() * p.mean())


def isolated_referral(n_users: int = 10_000, *, r: float = 1.5, mean_degree: float = 10.0,
                      seed_share: float = 0.002, horizon: int = 365) -> Scenario:
    """The setting where the threshold theory applies: the referral mechanism on its own.

    A random (Erdős-Rényi) network of mean degree ``mean_degree``; on day 0 paid exposure
    brings a share ``seed_share`` of users in with a free gift (the seeds), then the public
    channel closes for good (a shock), so every later joiner came by referral. Everyone else
    is switched off or neutral: no fatigue, trust, purchases, incentive or background churn,
    ladder; homogeneous users (trait concentration 100, equal sociability); a 20 RMB reward
    with a strong pull (``reward_share_lift = 20``) makes the cash appeal ≈ 1.75, so every
    joiner shares within days (P(share) ≈ 1) and every contact's appeal is capped at 1; then
    ``T = join_prob × E[0.5 + need] = join_prob`` and ``join_prob`` is set to ``r / mean_degree``.

    Args:
        n_users: Users (and network nodes).
        r: Target mean referrals per joiner ``T × k`` (0 to ``mean_degree``).
        mean_degree: Mean contacts per user.
        seed_share: Share of users brought in on day 0 (0 to 0.5).
        horizon: Days simulated.

    Returns:
        The validated scenario (``ScenarioError`` names the field out of range).
    """
    if not 0.0 <= r <= mean_degree:
        raise ScenarioError(f"isolated_referral: r = {r} must be in [0, mean_degree = {mean_degree:g}]")
    return Scenario().with_overrides({
        "name": f"referral_isolated_r{r:g}",
        "description": "Referral mechanism isolated on a random network (threshold demo).",
        "horizon_days": horizon,
        "population.n_users": n_users, "population.trait_concentration": 100.0,
        "population.sociability_sigma": 0.0,
        "network.kind": "random", "network.mean_degree": mean_degree,
        "public.ad_reach_per_day": seed_share, "public.organic_reach_per_day": 0.0,
        "strategy.hooks.gift": {"enabled": True, "take_up": 1.0, "cost_per_join": 0.0, "selection": 0.0},
        "strategy.referral_reward": 20.0, "referral.reward_share_lift": 20.0, "referral.share_rate": 1.0,
        "referral.join_prob": r / mean_degree,
        "fatigue.base_churn_per_year": 0.0,
        "mechanisms.fatigue": False, "mechanisms.incentive_churn": False, "mechanisms.purchase": False,
        "mechanisms.trust": False, "mechanisms.lifecycle": False,
        "shocks": [{"start_day": 1, "days": max(1, horizon), "public_closed": True, "demand_multiplier": 1.0}],
    })
