"""The value ladder (用户生命周期): follower → customer → repeat → member → partner.

Rule (DOMAIN §2, §6): a reachable user's rung is the highest of: customer after one order,
repeat after two, member after ``referral.member_min_purchases`` orders (if the membership
programme runs), partner once trust ≥ ``referral.partner_min_trust`` with at least
``referral.partner_min_referrals`` referred joiners and one order (if the partner programme
runs). The ladder never goes down; muting hides the rung (dormant), re-engaging restores it.
"""

from __future__ import annotations

import numpy as np

from sim.population import Event, Stage


def rung_for(purchases: np.ndarray) -> np.ndarray:
    """Rung earned by order count alone (follower, customer or repeat)."""
    # follower (1) + min(purchases, 2): customer (2) after one order, repeat (3) after two
    rung = np.minimum(purchases, 2).astype(np.int8)
    np.maximum(rung, 0, out=rung)
    rung += Stage.FOLLOWER.value
    return rung


def promote(model) -> None:
    """Move reachable users up the ladder and set their stage to their rung."""
    sc, pop, day = model.scenario, model.pop, model.day
    reach = day.reach
    if len(reach) == 0:
        return
    reach = reach[pop.stage[reach] <= Stage.PARTNER.value]
    purchases = pop.purchases[reach]
    new = rung_for(purchases)
    if sc.mechanisms.lifecycle:
        st, rf = sc.strategy, sc.referral
        if st.membership:
            new[purchases >= rf.member_min_purchases] = Stage.MEMBER.value
        if st.partner_program:
            ok = (pop.trust[reach] >= rf.partner_min_trust) & (pop.referrals[reach] >= rf.partner_min_referrals) & (purchases > 0)
            new[ok] = Stage.PARTNER.value
    old = pop.rung[reach]
    up = new > old
    pop.events[reach[up & (old >= Stage.FOLLOWER.value)]] |= Event.PROMOTED.value
    rung = np.maximum(old, new)
    pop.rung[reach] = rung
    pop.stage[reach] = rung
