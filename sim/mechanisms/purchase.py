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

from sim.jit import compiled_pass, rule
from sim.mechanisms import trust as trust_rule
from sim.mechanisms.acquisition import readiness
from sim.mechanisms.day import KEY
from sim.mechanisms.streams import as_generator, handle
from sim.population import Cause, Event, Stage

#: the ledger slots the booking writes (``sim.mechanisms.day.KEY``)
_L_FIRST, _L_PURCHASES, _L_GMV, _L_MARGIN = KEY["first_purchases"], KEY["purchases"], KEY["gmv"], KEY["margin"]
_L_PRIVATE_PURCHASES, _L_PRIVATE_GMV, _L_REBATES = KEY["private_purchases"], KEY["private_gmv"], KEY["cost_rebates"]
_L_FAILURES, _L_LEAVES, _L_LEAVES_FAILED = KEY["failures"], KEY["leaves"], KEY["leaves_failed_order"]


@rule
def hazard(need: float, cycle: float, trust: float, days_since_order: float, price_sens: float,
           deal: float, activity: float, ads: float, content: float, chatted: bool, demand: float,
           discount: float, cashback: float, lift_other: float, conversion_floor: float,
           conversion_ceiling: float, trust_exponent: float, event_lift: float, cashback_lift: float,
           group_activity_lift: float, unprompted_share: float, reminder_per_ad: float,
           reminder_per_content: float, cross_sell_per_year: float) -> float:
    """Daily purchase hazard ``h`` of a reachable user (the user buys with ``1 − e^(−h)``).

    ``ads`` counts ads and event notices; ``cashback`` is today's cash-back rate (0 when rebates
    stopped); ``lift_other`` is the lift every user shares (the mini-program's). The same as
    :func:`hazard_reminded` with :func:`reminder` of the user's messages.
    """
    return hazard_reminded(need, cycle, trust, days_since_order, price_sens, deal, activity, demand, discount,
                           cashback, lift_other, conversion_floor, conversion_ceiling, trust_exponent, event_lift,
                           cashback_lift, group_activity_lift, cross_sell_per_year,
                           reminder(ads, content, chatted, unprompted_share, reminder_per_ad, reminder_per_content))


@rule
def reminder(ads: float, content: float, chatted: bool, unprompted_share: float, reminder_per_ad: float,
             reminder_per_content: float) -> float:
    """Chance a user is reminded to buy today: ``unprompted + (1 − unprompted)(1 − e^(−touches))``.

    ``touches = reminder_per_ad × ads + reminder_per_content × content + chat`` (``ads`` counts
    ads and event notices). It depends on a user only through today's messages and chat, which
    take a handful of values a day, so the pool's pass looks it up (``pool._reminders``).
    """
    touches = reminder_per_ad * ads + reminder_per_content * content + (1.0 if chatted else 0.0)
    return unprompted_share + (1.0 - unprompted_share) * (1.0 - math.exp(-touches))


@rule
def hazard_reminded(need: float, cycle: float, trust: float, days_since_order: float, price_sens: float,
                    deal: float, activity: float, demand: float, discount: float, cashback: float,
                    lift_other: float, conversion_floor: float, conversion_ceiling: float, trust_exponent: float,
                    event_lift: float, cashback_lift: float, group_activity_lift: float,
                    cross_sell_per_year: float, reminded: float) -> float:
    """:func:`hazard` given the user's :func:`reminder` chance ``reminded``."""
    need_rate = need / cycle * demand + cross_sell_per_year * trust / 365.0
    curve = trust if trust_exponent == 1.0 else trust ** trust_exponent  # pow is slow; 1 is the default
    conv = conversion_floor + (conversion_ceiling - conversion_floor) * curve
    lift = (1.0 + event_lift * discount * price_sens) * (1.0 + cashback_lift * cashback * deal)
    lift *= (1.0 + group_activity_lift * activity) * lift_other
    return need_rate * readiness(days_since_order, cycle) * conv * lift * reminded


def book(model, buyers: np.ndarray, discount: float) -> None:
    """Book private orders of ``buyers`` at ``discount``: counts, money, fulfilment failures, trust, ladder.

    (Platform orders are booked with acquisition, ``acquisition._book_platform_orders``.)
    """
    sc = model.scenario
    if len(buyers) == 0:
        return
    revenue = sc.product.order_value * (1.0 - discount)
    st = sc.strategy
    # cash back only as far as the budget room pays for it (the budget cap rule); all when uncapped
    n_paid = model.budget.affordable(st.cashback_rate * revenue, len(buyers)) if pays_cashback(model) else 0
    out = np.zeros(BOOK_STATS, dtype=np.int64)
    model.capacity_left = book_private(buyers, *private_args(model, discount), n_paid, out)
    book_ledger(model, len(buyers), discount, n_paid, out)


#: length of the statistics array ``out`` of :func:`book_private`: first orders, orders of users
#: a partner brought, failed orders, buyers who left after a failed order
BOOK_STATS = 4


def pays_cashback(model) -> bool:
    """Whether today's private orders earn cash back (rebates running and a cash-back rate)."""
    return model.day.rebates_active and model.scenario.strategy.cashback_rate > 0


def private_args(model, discount: float) -> tuple:
    """The arguments of :func:`book_private` after ``buyers`` and before ``n_paid``, for orders at ``discount``."""
    sc, pop, day = model.scenario, model.pop, model.day
    st, ful, tr = sc.strategy, sc.fulfilment, sc.trust
    partner = st.partner_program and not model.budget.stopped("referral_rewards")
    return (pop.cols, pop.spend, pop.private_purchases, pop.referrer, handle(model.rng), int(day.t),
            float(sc.product.order_value * (1.0 - discount)), bool(partner), bool(sc.mechanisms.fulfilment_failures),
            float(ful.failure_rate), ful.capacity_per_day > 0, int(model.capacity_left), bool(sc.mechanisms.trust),
            float(tr.purchase_gain), float(1.0 - tr.failure_loss), float(tr.failure_loss))


@rule
def book_counts(lv, n, n_first, discount, order_value, margin_rate):
    """Book ``n`` orders at ``discount`` (``n_first`` of them first orders) into the ledger's values ``lv``.

    First orders, orders, GMV ``order_value × (1 − discount) × n`` and margin ``order_value ×
    (margin_rate − discount) × n`` (slots ``sim.mechanisms.day.KEY``; one float64 addition each).
    """
    lv[_L_FIRST] += n_first
    lv[_L_PURCHASES] += n
    lv[_L_GMV] += order_value * (1.0 - discount) * n
    lv[_L_MARGIN] += order_value * (margin_rate - discount) * n


@rule
def book_money(lv, n, discount, n_paid, out, order_value, margin_rate, cashback_rate, cashback):
    """Book ``n`` private orders at ``discount`` that :func:`book_private` booked (its statistics ``out``).

    :func:`book_counts`, private orders and GMV, cash back ``cashback_rate × revenue`` for each of
    the ``n_paid`` buyers paid it (when ``cashback``: rebates running), failed orders and the
    leaves after them. Everything of the order's books but the partner commission, which the
    budget may cut (:func:`book_ledger`). Returns the buyers who left.
    """
    revenue = order_value * (1.0 - discount)
    book_counts(lv, n, out[0], discount, order_value, margin_rate)
    lv[_L_PRIVATE_PURCHASES] += n
    lv[_L_PRIVATE_GMV] += revenue * n
    if cashback:
        lv[_L_REBATES] += cashback_rate * (revenue * n_paid)
    lv[_L_FAILURES] += out[2]
    if out[2] > 0:
        lv[_L_LEAVES] += out[3]
        lv[_L_LEAVES_FAILED] += out[3]
        return out[3]
    return 0


def book_ledger(model, n: int, discount: float, n_paid: int, out: np.ndarray) -> None:
    """Book the money and counts of ``n`` private orders at ``discount`` that :func:`book_private` booked.

    ``n_paid`` of the buyers were paid cash back; ``out`` holds the booking's statistics
    (:func:`book_money`). Partner commissions are paid as far as the budget room pays for them.
    """
    sc, led = model.scenario, model.ledger
    st, pr = sc.strategy, sc.product
    lost = book_money(led.values, n, float(discount), n_paid, out, float(pr.order_value), float(pr.margin_rate),
                      float(st.cashback_rate), pays_cashback(model))
    if st.partner_program and not model.budget.stopped("referral_rewards"):
        revenue = pr.order_value * (1.0 - discount)
        led.add("cost_referrals", model.budget.grant(st.partner_commission * revenue * int(out[1])))
    model.add_churned(int(lost))


@compiled_pass
def book_private(buyers, c, spend, private_purchases, referrer, rng, t, revenue, partner, failures_on,
                 failure_rate, capped, capacity, trust_on, purchase_gain, kept, failure_loss, n_paid, out):
    """The per-buyer writes of today's private orders of ``buyers`` (distinct) at ``revenue``; returns the capacity left.

    In order: count the orders (``out[0]`` first orders); pay cash back to the first ``n_paid``
    buyers; count in ``out[1]`` the buyers a partner brought (when ``partner``); fulfilment — each
    order fails with ``failure_rate`` and, when ``capped``, every order beyond ``capacity`` fails
    (a random permutation picks them); trust after orders (when ``trust_on``); each failed buyer
    still reachable leaves with ``failure_loss × (1 − trust)``. ``out[2]`` counts failed orders,
    ``out[3]`` those leaves. The draws come from the model's ``numpy.random.Generator`` (``rng``:
    its :func:`sim.mechanisms.streams.handle`; float32 uniforms and a permutation, numpy's own
    draws); float32 arithmetic as the columns.
    """
    n = len(buyers)
    trust, stage, events, last_reward = c.trust, c.stage, c.events, c.last_reward
    out[0] = _count_orders(buyers, t, revenue, True, c.purchases, c.last_purchase, spend, private_purchases, events)
    for k in range(n_paid):
        i = buyers[k]
        last_reward[i] = t
        events[i] |= _REWARDED
    if partner:
        by_partner = 0
        for i in buyers:
            ref = referrer[i]
            if ref >= 0 and stage[ref] == _PARTNER:
                by_partner += 1
        out[1] = by_partner
    failed = np.zeros(n, dtype=np.bool_)
    n_failed = 0
    if failures_on:
        u = as_generator(rng).random(n, dtype=np.float32)
        rate = np.float32(failure_rate)
        for k in range(n):
            failed[k] = u[k] < rate
        if capped:
            if n > capacity:
                over = as_generator(rng).permutation(n)
                for k in range(max(capacity, 0), n):
                    failed[over[k]] = True
            capacity = max(0, capacity - n)
        for k in range(n):
            if failed[k]:
                n_failed += 1
    out[2] = n_failed
    good = np.empty(n - n_failed, dtype=np.int64)
    bad = np.empty(n_failed, dtype=np.int64)
    j = 0
    for k in range(n):
        if failed[k]:
            bad[j] = buyers[k]
            j += 1
        else:
            good[k - j] = buyers[k]
    if trust_on:
        trust_rule.after_orders(trust, good, bad, purchase_gain, kept)
    if n_failed > 0:
        for i in bad:
            events[i] |= _FAILED
        v = as_generator(rng).random(n_failed, dtype=np.float32)
        loss, one = np.float32(failure_loss), np.float32(1.0)
        lost = np.zeros(n_failed, dtype=np.bool_)
        for j in range(n_failed):  # who leaves, read before anyone's stage changes
            i = bad[j]
            lost[j] = v[j] < loss * (one - trust[i]) and stage[i] <= _PARTNER
        n_lost = 0
        for j in range(n_failed):
            if lost[j]:
                i = bad[j]
                stage[i] = _CHURNED
                c.leave_day[i] = t
                c.leave_cause[i] = _FAILED_ORDER
                events[i] |= _LEFT
                n_lost += 1
        out[3] = n_lost
    return capacity


book_rule = book_private.dispatcher  # :func:`book_private`, callable from another compiled pass
_REWARDED, _FAILED, _LEFT = Event.REWARDED.value, Event.FAILED.value, Event.LEFT.value
_PARTNER, _CHURNED, _FAILED_ORDER = Stage.PARTNER.value, Stage.CHURNED.value, Cause.FAILED_ORDER.value
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
