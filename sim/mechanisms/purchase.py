"""Purchases (复购), fulfilment and the money of each order.

Rules (DOMAIN §3, §5, §6, §7):

- *Private purchase*: a reachable user buys today with probability ``1 − e^(−h)``,
  ``h = need_rate × readiness × conversion(trust) × lift × reminder`` where
  ``need_rate = need/cycle × demand + cross_sell_per_year × trust / 365``,
  ``readiness = min(1, days since last order / cycle)``,
  ``conversion = floor + (ceiling − floor) × trust^trust_exponent``,
  ``lift = (1 + event_lift × discount × price_sensitivity) × (1 + cashback_lift × cashback ×
  deal) × (1 + group_activity_lift × A_group) × (1 + mini_program_lift if a mini-program runs)`` and
  ``reminder = unprompted + (1 − unprompted)(1 − e^(−(reminder_per_ad × (ads + notices) +
  reminder_per_content × content + chat)))``
  (a one-to-one chat reminds like one ad).
- *Order money*: list price ``order_value``; revenue ``order_value × (1 − discount)``; margin
  ``order_value × (margin_rate − discount)``; cash back (while rebates run) and partner
  commission (on orders of users a partner brought) are costs; platform orders pay commission.
- *Fulfilment*: a private order fails with ``failure_rate``, and every order beyond the day's
  capacity fails; a failed order costs ``failure_loss`` of the buyer's trust and the buyer
  leaves with probability ``failure_loss × (1 − trust)``.
"""

from __future__ import annotations

import math

import numpy as np

from sim.jit import rule
from sim.mechanisms import trust as trust_rule
from sim.mechanisms.acquisition import readiness
from sim.population import Cause, Event, Stage


@rule
def hazard(need: float, cycle: float, trust: float, days_since_order: float, price_sens: float,
           deal: float, activity: float, ads: float, content: float, chatted: bool, demand: float,
           discount: float, cashback: float, lift_other: float, conversion_floor: float,
           conversion_ceiling: float, trust_exponent: float, event_lift: float, cashback_lift: float,
           group_activity_lift: float, unprompted_share: float, reminder_per_ad: float,
           reminder_per_content: float, cross_sell_per_year: float) -> float:
    """Daily purchase hazard ``h`` of a reachable user (the user buys with ``1 − e^(−h)``).

    ``ads`` counts ads and event notices; ``cashback`` is today's cash-back rate (0 when rebates
    stopped); ``lift_other`` is the lift every user shares (the mini-program's).
    """
    need_rate = need / cycle * demand + cross_sell_per_year * trust / 365.0
    curve = trust if trust_exponent == 1.0 else trust ** trust_exponent  # pow is slow; 1 is the default
    conv = conversion_floor + (conversion_ceiling - conversion_floor) * curve
    lift = (1.0 + event_lift * discount * price_sens) * (1.0 + cashback_lift * cashback * deal)
    lift *= (1.0 + group_activity_lift * activity) * lift_other
    touches = reminder_per_ad * ads + reminder_per_content * content + (1.0 if chatted else 0.0)
    reminder = unprompted_share + (1.0 - unprompted_share) * (1.0 - math.exp(-touches))
    return need_rate * readiness(days_since_order, cycle) * conv * lift * reminder


def book(model, buyers: np.ndarray, channel: str, discount: float) -> None:
    """Book orders of ``buyers``: counts, money, fulfilment failures, trust, ladder."""
    sc, pop, day, led = model.scenario, model.pop, model.day, model.ledger
    if len(buyers) == 0:
        return
    ov, m = sc.product.order_value, sc.product.margin_rate
    revenue = ov * (1.0 - discount)
    private = channel != "platform"
    n_first = _count_orders(buyers, int(day.t), float(revenue), private, pop.purchases, pop.last_purchase,
                            pop.spend, pop.private_purchases, pop.events)
    led.add("first_purchases", n_first)
    gmv = revenue * len(buyers)
    led.add("purchases", len(buyers))
    led.add("gmv", gmv)
    led.add("margin", ov * (m - discount) * len(buyers))
    if not private:
        led.add("platform_purchases", len(buyers))
        led.add("platform_gmv", gmv)
        led.add("cost_commission", sc.public.platform_commission * gmv)
        return
    led.add("private_purchases", len(buyers))
    led.add("private_gmv", gmv)
    st = sc.strategy
    budget = model.budget
    if day.rebates_active and st.cashback_rate > 0:
        paid = buyers[: budget.affordable(st.cashback_rate * revenue, len(buyers))]  # the budget cap rule
        led.add("cost_rebates", st.cashback_rate * (revenue * len(paid)))
        pop.last_reward[paid] = day.t
        pop.events[paid] |= Event.REWARDED.value
    if st.partner_program and not budget.stopped("referral_rewards"):
        ref = pop.referrer[buyers]
        by_partner = (ref >= 0) & (pop.stage[np.maximum(ref, 0)] == Stage.PARTNER.value)
        led.add("cost_referrals", budget.grant(st.partner_commission * revenue * int(np.count_nonzero(by_partner))))
    # fulfilment
    rng, ful = model.rng, sc.fulfilment
    failed = np.zeros(len(buyers), dtype=bool)
    if sc.mechanisms.fulfilment_failures:
        failed = rng.random(len(buyers), dtype=np.float32) < ful.failure_rate
        if ful.capacity_per_day > 0:
            cap = model.capacity_left
            if len(buyers) > cap:
                over = rng.permutation(len(buyers))[max(cap, 0):]
                failed[over] = True
            model.capacity_left = max(0, cap - len(buyers))
    led.add("failures", int(np.count_nonzero(failed)))
    trust_rule.on_orders(model, buyers[~failed], buyers[failed])
    if failed.any():
        bad = buyers[failed]
        pop.events[bad] |= Event.FAILED.value
        lost = bad[rng.random(len(bad), dtype=np.float32) < ful_failure_leave(sc, pop.trust[bad])]
        lost = lost[pop.stage[lost] <= Stage.PARTNER.value]
        pop.stage[lost] = Stage.CHURNED.value
        pop.leave_day[lost] = day.t
        pop.leave_cause[lost] = Cause.FAILED_ORDER.value
        pop.events[lost] |= Event.LEFT.value
        led.add("leaves", len(lost))
        led.add("leaves_failed_order", len(lost))
        model.add_churned(len(lost))


_PLATFORM_BUY, _BOUGHT = Event.PLATFORM_BUY.value, Event.BOUGHT.value


@rule
def _count_orders(buyers, t, revenue, private, purchases, last_purchase, spend, private_purchases, events):
    """Count one order for each of ``buyers`` (distinct) on day ``t``; return how many were their first."""
    first = 0
    for i in buyers:
        if purchases[i] == 0:
            first += 1
        purchases[i] += 1
        last_purchase[i] = t
        spend[i] += revenue
        if private:
            private_purchases[i] += 1
            events[i] |= _BOUGHT
        else:
            events[i] |= _PLATFORM_BUY
    return first


def ful_failure_leave(sc, trust: np.ndarray) -> np.ndarray:
    """Probability that a buyer whose order failed leaves: ``failure_loss × (1 − trust)``."""
    return sc.trust.failure_loss * (1.0 - trust)
