"""The value ladder (用户生命周期): follower → customer → repeat → member → partner.

Rule (DOMAIN §2, §6): a reachable user's rung is the highest of: customer after one order,
repeat after two, member after ``referral.member_min_purchases`` orders (if the membership
programme runs), partner once trust ≥ ``referral.partner_min_trust`` with at least
``referral.partner_min_referrals`` referred joiners and one order (if the partner programme
runs). The ladder never goes down; muting hides the rung (dormant), re-engaging restores it.
"""

from __future__ import annotations

import numpy as np

from sim.jit import rule
from sim.population import Stage

_FOLLOWER, _MEMBER, _PARTNER = Stage.FOLLOWER.value, Stage.MEMBER.value, Stage.PARTNER.value


def order_rung(purchases: np.ndarray) -> np.ndarray:
    """Rung earned by order count alone (follower, customer after one order, repeat after two)."""
    return (np.minimum(np.maximum(purchases, 0), 2) + _FOLLOWER).astype(np.int8)


@rule
def rung(purchases: int, trust: float, referrals: int, ladder_on: bool, membership: bool,
         member_min_purchases: int, partner_program: bool, partner_min_trust: float,
         partner_min_referrals: int) -> int:
    """Highest rung a reachable user has earned today (before the never-down rule)."""
    r = _FOLLOWER + min(max(purchases, 0), 2)
    if ladder_on:
        if membership and purchases >= member_min_purchases:
            r = _MEMBER
        if partner_program and float(trust) >= partner_min_trust and referrals >= partner_min_referrals and purchases > 0:
            r = _PARTNER
    return r
