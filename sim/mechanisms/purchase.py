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

import numpy as np

from sim.mechanisms import trust as trust_rule
from sim.mechanisms.acquisition import readiness
from sim.population import Event, Stage


def buy(model, chatted: np.ndarray) -> None:
    """Draw today's private orders among the reachable users and book them."""
    sc, pop, day, rng = model.scenario, model.pop, model.day, model.rng
    if not sc.mechanisms.purchase or len(day.reach) == 0:
        return
    pu, st = sc.purchase, sc.strategy
    reach = day.reach
    alive = pop.stage[reach] <= Stage.PARTNER.value  # not muted or gone earlier today
    trust = pop.trust[reach]
    cycle = pop.cycle[reach]
    need_rate = pop.need[reach] / cycle * day.demand + pu.cross_sell_per_year * trust / 365.0
    conv = pu.conversion_floor + (pu.conversion_ceiling - pu.conversion_floor) * trust ** pu.trust_exponent
    lift = 1.0 + pu.event_lift * day.discount * pop.price_sens[reach]
    if day.rebates_active and st.cashback_rate > 0:
        lift = lift * (1.0 + pu.cashback_lift * st.cashback_rate * day.of_reach(pop, "deal"))
    if model.groups.count:
        g = day.of_reach(pop, "group")
        lift = lift * (1.0 + pu.group_activity_lift * model.groups.activity_of(g, 0.0))
    if sc.touchpoints.mini_program:
        lift = lift * (1.0 + sc.touchpoints.mini_program_lift)
    touches = pu.reminder_per_ad * (day.ads + day.notices) + pu.reminder_per_content * day.content + chatted
    reminder = pu.unprompted_share + (1.0 - pu.unprompted_share) * (1.0 - np.exp(-touches))
    h = need_rate * readiness(pop.last_purchase[reach], cycle, day.t) * conv * lift * reminder
    buyers = reach[alive & (rng.random(len(reach), dtype=np.float32) < 1.0 - np.exp(-h))]
    model.record_orders(buyers, channel="private", discount=day.discount)


def book(model, buyers: np.ndarray, channel: str, discount: float) -> None:
    """Book orders of ``buyers``: counts, money, fulfilment failures, trust, ladder."""
    sc, pop, day, led = model.scenario, model.pop, model.day, model.ledger
    if len(buyers) == 0:
        return
    ov, m = sc.product.order_value, sc.product.margin_rate
    first = pop.purchases[buyers] == 0
    led.add("first_purchases", int(np.count_nonzero(first)))
    pop.purchases[buyers] += 1
    pop.last_purchase[buyers] = day.t
    revenue = ov * (1.0 - discount)
    pop.spend[buyers] += revenue
    gmv = revenue * len(buyers)
    led.add("purchases", len(buyers))
    led.add("gmv", gmv)
    led.add("margin", ov * (m - discount) * len(buyers))
    if channel == "platform":
        led.add("platform_purchases", len(buyers))
        led.add("platform_gmv", gmv)
        led.add("cost_commission", sc.public.platform_commission * gmv)
        pop.events[buyers] |= Event.PLATFORM_BUY.value
        return
    led.add("private_purchases", len(buyers))
    led.add("private_gmv", gmv)
    pop.private_purchases[buyers] += 1
    pop.events[buyers] |= Event.BOUGHT.value
    st = sc.strategy
    if day.rebates_active and st.cashback_rate > 0:
        led.add("cost_rebates", st.cashback_rate * gmv)
        pop.last_reward[buyers] = day.t
        pop.events[buyers] |= Event.REWARDED.value
    if st.partner_program:
        ref = pop.referrer[buyers]
        by_partner = (ref >= 0) & (pop.stage[np.maximum(ref, 0)] == Stage.PARTNER.value)
        led.add("cost_referrals", st.partner_commission * revenue * int(np.count_nonzero(by_partner)))
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
        pop.events[lost] |= Event.LEFT.value
        led.add("leaves", len(lost))


def ful_failure_leave(sc, trust: np.ndarray) -> np.ndarray:
    """Probability that a buyer whose order failed leaves: ``failure_loss × (1 − trust)``."""
    return sc.trust.failure_loss * (1.0 - trust)
