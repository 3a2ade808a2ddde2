"""The daily pass over the private pool: each mechanism's per-user rule, in schedule order.

The rules themselves live in their mechanism modules (``messaging.received``,
``fatigue.threshold``, ``trust.updated``, ``purchase.hazard``, ``referral.share_hazard``,
``lifecycle.rung`` …). This module applies them to every user of the private pool in three
compiled passes a day (``sim.jit``), one loop each instead of dozens of whole-array
operations, so that a day costs about one read of each column it needs:

1. :func:`morning` — for every user in the private pool (``Population.joined``), in user-id order: fatigue decays (reachable
   and dormant); a dormant user clears the contact out or, on an event or red-packet day,
   re-engages if rested; a reachable user receives today's messages, may get a one-to-one chat,
   collects the red packet, gains fatigue, updates trust, may leave or mute, and, if still
   reachable, may buy. Then the day's orders are booked together (``purchase.book_private``),
   in the same compiled call unless a budget cap is set (the cap's room, read after the
   morning's leaves, decides how much cash back and commission is paid: ``purchase.book``).
2. :func:`share` — each user reachable this morning and still reachable shares with the
   referral rule's probability; campaign seeds join them; the cascade runs on the network
   (``referral.exposures``, in the same compiled call on days without a campaign), and the
   contacts won over are admitted (``referral.admit_joiners``).
3. :func:`evening` — this morning's reachable users still reachable move up the value ladder;
   the day's stage counts and pool sums are taken for the results row, and the users who left
   today are dropped from the pool's index (no later pass visits them).

On a common day (no budget cap, no campaign, a network: :func:`fused`) the whole day after the
plan is one compiled call (:func:`days`, which makes a run of such days one call too): the
day's acquisition (``acquisition._acquire_day``) and group activity
(``community.activity_update``), then the same three passes and booking, the referral joins
admitted by ``referral.admit_referred`` (the admission rule
``acquisition.admit_users``, credit, group-buy orders), then the running costs and the day's
row (``sim.mechanisms.day``); every count and money booked into the day's ledger values in the
order of the separate calls, and the pool's index grown, merged and compacted in place — so
the same draws in the same order and the same books to the bit, without Python between the
steps. The other days keep the separate calls above.

The per-user draws come from the model's compiled random stream (``sim.jit.stream``, seeded
from the model's ``numpy.random.Generator``); the booking's and the cascade's draws come from
that ``Generator`` itself, advanced inside the compiled calls (passed as its
``sim.mechanisms.streams.handle``), so a seed replays a run exactly.
"""

from __future__ import annotations

from typing import NamedTuple, get_type_hints

import numpy as np
from pydantic import BaseModel

from sim.arrays import union_sorted
from sim.jit import chance, compiled_pass, occurs, occurs_at, rule
from sim.mechanisms import (
    acquisition,
    community,
    fatigue,
    lifecycle,
    messaging,
    purchase,
    referral,
    trust,
)
from sim.mechanisms.acquisition import cost_per_exposure, params_for, pool_capacity
from sim.mechanisms.budget import N_RUNNING, RED_PACKET_KEY, running_constants
from sim.mechanisms.day import KEY, book_running_costs, day_row
from sim.mechanisms.streams import handle
from sim.population import LEAVE_COLUMNS, NEVER, Cause, Event, Stage, _merge_tail
from sim.scenario import Mechanisms, Scenario

_FOLLOWER, _PARTNER = Stage.FOLLOWER.value, Stage.PARTNER.value
_DORMANT, _CHURNED = Stage.DORMANT.value, Stage.CHURNED.value
_CHAT, _PROMO, _RED_PACKET = Event.CHAT.value, Event.PROMO.value, Event.RED_PACKET.value
_MUTED, _REACTIVATED, _LEFT = Event.MUTED.value, Event.REACTIVATED.value, Event.LEFT.value
_PROMOTED = Event.PROMOTED.value
_FATIGUE, _INCENTIVE, _BACKGROUND = Cause.FATIGUE.value, Cause.INCENTIVE.value, Cause.BACKGROUND.value
_CLEANUP = Cause.CLEANUP.value
_N_CAUSES, _N_STAGES = len(Cause), len(Stage)
#: the ledger slots the day's passes write (``sim.mechanisms.day.KEY``)
_L_MESSAGES, _L_MUTES, _L_LEAVES = KEY["messages_sent"], KEY["mutes"], KEY["leaves"]
_L_REBATES, _L_RED_PACKETS, _L_COST_REFERRALS = KEY["cost_rebates"], KEY[RED_PACKET_KEY], KEY["cost_referrals"]
#: each leave cause's ledger slot, by cause (-1: a cause with no column of its own)
_L_BY_CAUSE = np.full(_N_CAUSES, -1, dtype=np.int64)
for _cause, _column in LEAVE_COLUMNS.items():
    _L_BY_CAUSE[int(_cause)] = KEY[_column]


#: scenario sections whose every number and switch the per-user rules may read, under the
#: field's own name (``r.mute_rate`` is ``scenario.fatigue.mute_rate``); names are unique across them
RULE_SECTIONS = ("strategy", "trust", "fatigue", "community", "purchase", "referral")

#: quantities the rules need that are derived from the scenario (see :func:`rules_for`)
DERIVED: dict[str, type] = {
    "retention": float,            # fatigue.retention(fatigue.half_life_days)
    "ad_weight": float,            # fatigue.targeted_weight for targeted ads, else 1
    "background_hazard": float,    # fatigue.background_hazard(fatigue.base_churn_per_year)
    "consistent": bool,            # ≥ 1 content post a day keeps the cadence
    "mini_program_factor": float,  # 1 + touchpoints.mini_program_lift if a mini-program runs, else 1
}


def _number_fields(section: type[BaseModel]) -> list[tuple[str, type]]:
    """(name, type) of the section's numeric and switch fields, in schema order."""
    return [(name, f.annotation) for name, f in section.model_fields.items() if f.annotation in (bool, int, float)]


def _rule_fields() -> list[tuple[str, type]]:
    fields = [(f"{name}_on", bool) for name in Mechanisms.model_fields]  # the switches
    for sec in RULE_SECTIONS:
        fields += _number_fields(Scenario.model_fields[sec].annotation)
    fields += list(DERIVED.items())
    names = [n for n, _ in fields]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise TypeError(f"rule parameter names must be unique across {RULE_SECTIONS}: {clash}")
    return fields


Rules = NamedTuple("Rules", _rule_fields())
Rules.__doc__ = """The scenario's parameters of the per-user rules, as plain numbers for the compiled passes.

Derived from the schema: every switch of ``scenario.mechanisms`` as ``<name>_on``, every
number and switch of the :data:`RULE_SECTIONS` under its own name, and the :data:`DERIVED`
quantities. A new schema field is therefore available to the rules without listing it here.
"""

_RULE_TYPES = get_type_hints(Rules)


def rules_for(sc) -> Rules:
    """The :class:`Rules` of scenario ``sc``."""
    fat, tp = sc.fatigue, sc.touchpoints
    values = {f"{name}_on": getattr(sc.mechanisms, name) for name in Mechanisms.model_fields}
    for sec in RULE_SECTIONS:
        part = getattr(sc, sec)
        values.update({name: getattr(part, name) for name, _ in _number_fields(type(part))})
    values.update(
        retention=fatigue.retention(fat.half_life_days),
        ad_weight=fat.targeted_weight if sc.strategy.ads_targeted else 1.0,
        background_hazard=fatigue.background_hazard(fat.base_churn_per_year),
        consistent=sc.strategy.content_posts_per_day >= 1.0,
        mini_program_factor=1.0 + tp.mini_program_lift if tp.mini_program else 1.0,
    )
    # exact Python types, so every scenario shares one compiled version of each pass
    return Rules(**{k: t(values[k]) for k, t in _RULE_TYPES.items()})


# --- the compiled passes -------------------------------------------------------------------------
@rule
def _kind(group, purchases, chatted):
    """A reachable user's kind for today's messages: in a group or not, bought before or not, chatted or not (0–7)."""
    return (4 if group >= 0 else 0) + (2 if purchases > 0 else 0) + (1 if chatted else 0)


@rule
def _reminders(r, notice):
    """``purchase.reminder`` for each :func:`_kind` of user today (the messages they receive and the chat).

    ``messaging.received`` depends on a user only through group membership and past purchases,
    so the eight values are all the reminder chances of the day, computed as the pass would.
    """
    out = np.empty(8, dtype=np.float64)
    for kind in range(8):
        content, ads, notices = messaging.received(r.content_posts_per_day, r.ad_posts_per_day, notice,
                                                   0 if kind & 4 else -1, 1 if kind & 2 else 0, r.selling_in_group,
                                                   r.routing_by_tags)
        out[kind] = purchase.reminder(ads + notices, content, kind & 1 == 1, r.unprompted_share, r.reminder_per_ad,
                                      r.reminder_per_content)
    return out


@compiled_pass
def _morning(r, c, joined, activity, t, notice, discount, demand, cashback, red_packet, chats_per_day,
             draws, trace, msg_today, reach, buyers, leave_counts):
    n_reach = 0
    for i in joined:
        if _FOLLOWER <= c.stage[i] <= _PARTNER:
            n_reach += 1
    chat_p = messaging.chat_probability(chats_per_day, n_reach)
    reactivate = notice > 0.0 or red_packet
    reminded = _reminders(r, notice)
    faded = np.full(t + 1 if r.incentive_churn_on else 0, -1.0)  # incentive_faded by days since cash, as met
    n_reach = n_buyers = n_mutes = n_leaves = n_packets = 0
    sent_total = 0.0
    for i in joined:
        s = c.stage[i]
        if s == _CHURNED:
            continue
        if r.fatigue_on:
            c.fatigue[i] = float(c.fatigue[i]) * r.retention  # float64, then stored (as compiled)
        g = c.group[i]
        act = activity[g] if g >= 0 else 0.0
        if s == _DORMANT:  # muted: clean-up or, on event days, re-engagement when rested
            if chance(draws, r.dormant_cleanup_rate):
                c.stage[i] = _CHURNED
                c.leave_day[i] = t
                c.leave_cause[i] = _CLEANUP
                c.events[i] |= _LEFT
                leave_counts[_CLEANUP] += 1
                n_leaves += 1
            elif reactivate and float(c.fatigue[i]) < 0.5 * fatigue.threshold(c.tolerance[i], act, r.retention, r.activity_tolerance_bonus):
                if chance(draws, r.reactivation_rate):
                    c.stage[i] = c.rung[i]
                    c.events[i] |= _REACTIVATED
            continue
        reach[n_reach] = i
        n_reach += 1
        # messages and chats
        content, ads, notices = messaging.received(r.content_posts_per_day, r.ad_posts_per_day, notice, g, c.purchases[i],
                                                   r.selling_in_group, r.routing_by_tags)
        sent = content + ads + notices
        c.messages[i] = float(c.messages[i]) + sent  # in float64, then stored (as compiled)
        sent_total += sent
        if notices > 0.0:
            c.events[i] |= _PROMO
        if trace:
            msg_today[i] = sent
        chatted = chat_p > 0.0 and chance(draws, chat_p)
        if chatted:
            c.events[i] |= _CHAT
        if red_packet and g >= 0:
            n_packets += 1
            c.last_reward[i] = t
            c.events[i] |= _RED_PACKET
        deal = c.deal[i]
        # fatigue, then trust
        ratio = 0.0
        if r.fatigue_on:
            c.fatigue[i] = float(c.fatigue[i]) + fatigue.added(ads, notices, content, deal, r.ad_weight, r.content_weight)
            ratio = float(c.fatigue[i]) / fatigue.threshold(c.tolerance[i], act, r.retention, r.activity_tolerance_bonus)
        if r.trust_on:
            c.trust[i] = trust.updated(
                c.trust[i], content, deal, chatted, r.consistent, act if g >= 0 else 0.25,
                max(0.0, ratio - 1.0), r.exaggeration, r.content_gain, r.interaction_gain,
                r.consistency_gain, r.familiarity_gain, r.hard_sell_loss, r.exaggeration_loss)
        # mute and leave: competing leave hazards; the one draw also names the cause
        hazard = r.background_hazard
        overload = 0.0
        mute = False
        if r.fatigue_on and ratio > 1.0:
            overload = fatigue.overload_hazard(ratio, r.leave_multiple, r.leave_rate)
            hazard += overload
            mute = occurs(draws, fatigue.mute_hazard(ratio, r.mute_rate))
        if r.incentive_churn_on and c.last_reward[i] > NEVER:
            since = t - c.last_reward[i]
            w = faded[since]
            if w < 0.0:
                w = fatigue.incentive_faded(since, r.incentive_memory_days)
                faded[since] = w
            hazard += fatigue.incentive_hazard_after(w, deal, c.trust[i], r.incentive_leave_rate)
        at = occurs_at(draws, hazard)
        if at >= 0.0:
            cause = fatigue.leave_cause(at * hazard, r.background_hazard, overload, _BACKGROUND, _FATIGUE,
                                        _INCENTIVE)
            c.stage[i] = _CHURNED
            c.leave_day[i] = t
            c.leave_cause[i] = cause
            c.events[i] |= _LEFT
            leave_counts[cause] += 1
            n_leaves += 1
            continue
        if mute:
            c.stage[i] = _DORMANT
            c.mute_cause[i] = _FATIGUE
            c.events[i] |= _MUTED
            n_mutes += 1
            continue
        # purchase
        if r.purchase_on:
            h = purchase.hazard_reminded(
                c.need[i], c.cycle[i], c.trust[i], t - c.last_purchase[i], c.price_sens[i], deal,
                act, demand, discount, cashback, r.mini_program_factor, r.conversion_floor, r.conversion_ceiling,
                r.trust_exponent, r.event_lift, r.cashback_lift, r.group_activity_lift, r.cross_sell_per_year,
                reminded[_kind(g, c.purchases[i], chatted)])
            if occurs(draws, h):
                buyers[n_buyers] = i
                n_buyers += 1
    return n_reach, n_buyers, sent_total, n_mutes, n_leaves, n_packets


@compiled_pass
def _sharers(r, c, reach, cash, draws, out):
    n = 0
    for i in reach:
        s = c.stage[i]
        if s > _PARTNER:  # muted or gone since the morning
            continue
        p = referral.share_hazard(c.purchases[i] > 0, c.trust[i], c.deal[i], cash, c.sociability[i],
                                  s == _PARTNER, r.share_rate, r.partner_share_multiplier)
        if occurs(draws, p):
            out[n] = i
            n += 1
    return n


@compiled_pass
def _evening(r, c, joined, reach, counts):
    # one pass over the pool: ``reach`` is a sorted subset of ``joined`` (this morning's reachable
    # users, in the pool's order), so each of them is promoted where the pass meets them; a
    # promotion changes only that user's row, so the counts and sums are those of promoting all first
    trust_sum = fatigue_sum = 0.0
    kept = 0
    p = 0
    n_reach = len(reach)
    for i in joined:
        s = c.stage[i]
        if p < n_reach and reach[p] == i:
            p += 1
            if s <= _PARTNER:
                new = lifecycle.rung(c.purchases[i], c.trust[i], c.referrals[i], r.lifecycle_on, r.membership,
                                     r.member_min_purchases, r.partner_program, r.partner_min_trust,
                                     r.partner_min_referrals)
                old = c.rung[i]
                if new > old:  # the ladder never goes down; a reachable user's stage is their rung
                    if old >= _FOLLOWER:
                        c.events[i] |= _PROMOTED
                    c.rung[i] = new
                    c.stage[i] = new
                    s = new
        counts[s] += 1
        if s == _CHURNED:  # left: dropped from the pool's index
            continue
        joined[kept] = i
        kept += 1
        if s <= _DORMANT:
            trust_sum += float(c.trust[i])  # in float64 (plain Python would keep float32)
            fatigue_sum += float(c.fatigue[i])
    return trust_sum, fatigue_sum, kept


@compiled_pass
def _morning_orders(r, c, joined, activity, t, notice, discount, demand, cashback, red_packet, chats_per_day,
                    draws, trace, msg_today, reach, buyers, leave_counts, pay_all, spend, private_purchases,
                    referrer, rng, day, revenue, partner, failures_on, failure_rate, capped, capacity,
                    trust_on, purchase_gain, kept, failure_loss, out):
    # the morning pass, then today's orders booked in the same call (``purchase.book_private``, whose
    # arguments after the population's columns ``c`` follow ``pay_all``); only when no budget cap can truncate cash back or commissions
    # (``pay_all``: every buyer is paid cash back)
    n_reach, n_buyers, sent, mutes, leaves, packets = _morning_rule(
        r, c, joined, activity, t, notice, discount, demand, cashback, red_packet, chats_per_day, draws, trace,
        msg_today, reach, buyers, leave_counts)
    if n_buyers > 0:
        capacity = purchase.book_rule(
            buyers[:n_buyers], c, spend, private_purchases, referrer, rng, day, revenue, partner,
            failures_on, failure_rate, capped, capacity, trust_on, purchase_gain, kept, failure_loss,
            n_buyers if pay_all else 0, out)
    return n_reach, n_buyers, sent, mutes, leaves, packets, capacity


_morning_rule = _morning.dispatcher  # the morning pass, callable from another compiled pass
_morning_orders_rule = _morning_orders.dispatcher


@rule
def _morning_books(lv, sent, mutes, leaves, by_cause, packets, red_packet_per_member):
    """Book the morning pass's messages, mutes, leaves (by cause) and red packets into the ledger's values ``lv``."""
    lv[_L_MESSAGES] += sent
    lv[_L_MUTES] += mutes
    lv[_L_LEAVES] += leaves
    for cause in range(len(by_cause)):
        if _L_BY_CAUSE[cause] >= 0:
            lv[_L_BY_CAUSE[cause]] += by_cause[cause]
    lv[_L_REBATES] += packets * red_packet_per_member
    lv[_L_RED_PACKETS] += packets * red_packet_per_member
_NO_TRACE = np.empty(0, dtype=np.float32)  # ``msg_today`` when no user is traced (never written)


# --- the day's calls -----------------------------------------------------------------------------
def morning(model) -> None:
    """Messages, chats, red packets, fatigue, trust, mutes and leaves, then today's orders.

    Without a budget cap the orders are booked in the same compiled call as the morning pass;
    with one, cash back and commissions depend on the budget room after the morning's leaves,
    so the orders are booked afterwards (``purchase.book``).
    """
    sc, pop, day, led = model.scenario, model.pop, model.day, model.ledger
    joined = pop.joined
    if len(joined) == 0:  # nobody in the pool (yet): no draws, nothing to book, every count 0
        return
    reach = np.empty(len(joined), dtype=np.int64)
    buyers = np.empty(len(joined), dtype=np.int64)
    tp = sc.touchpoints
    chats = model.touchpoints.staff() * tp.interactions_per_staff_per_day if sc.strategy.one_to_one else 0.0
    cashback = sc.strategy.cashback_rate if day.rebates_active else 0.0
    msg = model.msg_today if model.trace_on else _NO_TRACE
    by_cause = np.zeros(_N_CAUSES, dtype=np.int64)
    args = (model.rules, pop.cols, joined, model.groups.activity, int(day.t), 1.0 if day.event else 0.0,
            float(day.discount), float(day.demand), float(cashback), bool(day.red_packet), float(chats),
            model.draws, bool(model.trace_on), msg, reach, buyers, by_cause)
    fused = not model.budget.active
    if fused:
        out = np.zeros(purchase.BOOK_STATS, dtype=np.int64)
        pay_all = purchase.pays_cashback(model)
        n_reach, n_buyers, sent, mutes, leaves, packets, model.capacity_left = _morning_orders(
            *args, pay_all, *purchase.private_args(model, day.discount)[1:], out)  # its columns are ``c``
    else:
        n_reach, n_buyers, sent, mutes, leaves, packets = _morning(*args)
    day.reach = reach[:n_reach]
    _morning_books(led.values, sent, mutes, leaves, by_cause, packets, float(sc.strategy.red_packet_per_member))
    model.add_churned(leaves)
    if not fused:
        model.record_orders(buyers[:n_buyers], discount=day.discount)
    elif n_buyers > 0:
        purchase.book_ledger(model, n_buyers, day.discount, n_buyers if pay_all else 0, out)


def share(model) -> None:
    """Today's sharers (spontaneous and campaign seeds) and the cascade they start.

    On a day without a campaign the sharers' draws and their cascade's exposures over the
    network are one compiled call; a campaign's seeds (``referral.pick_seeds``) and a
    well-mixed population's contacts are drawn in between.
    """
    sc, pop, day = model.scenario, model.pop, model.day
    if not sc.mechanisms.referral or len(day.reach) == 0:
        return
    out = np.empty(len(day.reach), dtype=np.int64)
    cash = float(referral.cash_appeal(sc, day.rebates_active))
    if day.campaign:
        n = _sharers(model.rules, pop.cols, day.reach, cash, model.draws, out)
        alive = day.reach[pop.stage[day.reach] <= _PARTNER]
        referral.spread(model, union_sorted(out[:n], referral.pick_seeds(model, alive)))
        return
    if model.graph is None:  # well-mixed: the contacts are drawn in between (numpy's bounded integers)
        n = _sharers(model.rules, pop.cols, day.reach, cash, model.draws, out)
        referral.spread(model, out[:n])
        return
    n, targets, owner = _share_cascade(model.rules, pop.cols, day.reach, cash, model.draws, out,
                                       *referral.exposure_args(model)[1:])  # its columns are ``c``
    if n > 0:
        referral.admit_joiners(model, n, targets, owner)


@compiled_pass
def _share_cascade(r, c, reach, cash, draws, out, group_buys, group_buy, has_graph, indptr, indices, edge_used,
                   fresh, rng, cash_appeal, join_prob, group_buy_lift):
    # the sharers (``_sharers``), then their cascade's exposures over the network (``referral.exposures``,
    # whose arguments after the population's columns follow ``out``) in the same call; returns
    # (sharers, joining targets, their sharers)
    n = _sharers_rule(r, c, reach, cash, draws, out)
    none = np.empty(0, dtype=np.int64)
    if n == 0:
        return n, none, none
    targets, owner = referral.exposures_rule(out[:n], none, none, c, group_buys, group_buy, has_graph, indptr,
                                             indices, edge_used, fresh, rng, cash_appeal, join_prob,
                                             group_buy_lift)
    return n, targets, owner


_sharers_rule = _sharers.dispatcher  # the sharers' pass, callable from another compiled pass
_share_cascade_rule = _share_cascade.dispatcher


_evening_rule = _evening.dispatcher

#: slots of the day's array of :func:`_day` (``d``): today's plan, the model's counts and the day's
#: other numbers, then what the call returns (the capacity left, the seats, the cumulative profit
#: and the index's joiners are updated in place)
(_D_T, _D_EVENT, _D_DISCOUNT, _D_DEMAND, _D_REBATES, _D_RED_PACKET, _D_TRACE, _D_CAPACITY, _D_JOINED, _D_CHURNED,
 _D_SEATS, _D_INDEX, _D_SORTED, _D_LEFT, _D_ADDED, _D_KEPT, _D_TRUST, _D_FATIGUE, _D_REACH, _D_PUBLIC_OPEN,
 _D_ACQUIRE, _D_COST_PER_EXPOSURE, _D_GROUP_SIZE, _D_INITIAL_ACTIVITY, _D_ACTIVITY_ON, _D_KEEP, _D_LIFT,
 _D_RED_PACKET_DROPPED, _D_PHASE, _D_USERS, _D_CUM_PROFIT) = range(31)
_N_D = 31
#: slots of the scenario's constants of :func:`_day` (``k``, :func:`day_constants`); the
#: running costs' constants (``budget.running_constants``) from ``_K_RUNNING`` on
(_K_ORDER_VALUE, _K_MARGIN_RATE, _K_POOL_CAPACITY, _K_GROUP_SIZE, _K_GROUP_SHARE, _K_FAILURE_RATE, _K_CAPPED,
 _K_USERS_PER_STAFF, _K_CHATS_PER_STAFF, _K_CASH_APPEAL, _K_GROUP_BUY_LIFT, _K_RUNNING) = range(12)
_L_PUBLIC_OPEN, _L_BUDGET_BOUND, _L_BUDGET_LEFT = KEY["public_open"], KEY["budget_bound"], KEY["budget_left"]


def day_constants(sc) -> np.ndarray:
    """The numbers of scenario ``sc`` the pool's day reads besides its :class:`Rules` (the ``k`` of :func:`_day`)."""
    st, tp, ful = sc.strategy, sc.touchpoints, sc.fulfilment
    k = np.zeros(_K_RUNNING + N_RUNNING, dtype=np.float64)
    k[_K_ORDER_VALUE], k[_K_MARGIN_RATE] = sc.product.order_value, sc.product.margin_rate
    k[_K_POOL_CAPACITY] = pool_capacity(sc)
    k[_K_GROUP_SIZE], k[_K_GROUP_SHARE] = tp.group_size, tp.group_share
    k[_K_FAILURE_RATE], k[_K_CAPPED] = ful.failure_rate, ful.capacity_per_day > 0
    k[_K_USERS_PER_STAFF] = tp.users_per_staff
    k[_K_CHATS_PER_STAFF] = tp.interactions_per_staff_per_day if st.one_to_one else 0.0
    k[_K_CASH_APPEAL] = referral.cash_appeal(sc, True)  # while rebates run
    k[_K_GROUP_BUY_LIFT] = referral.group_buy_lift(sc)
    k[_K_RUNNING:] = running_constants(sc)
    return k


@compiled_pass
def _day(r, c, k, d, v, index, activity, draws, msg_today, h, spend, private_purchases, referrer, source,
         join_day, group_buys, indptr, indices, edge_used, fresh, lv, counts, ints, floats):
    # the whole common day in one call (see :func:`days`): acquisition (``acquisition._acquire_day``,
    # with the scenario's acquisition values ``v``, when ``d[_D_ACQUIRE]``) and the groups it opens,
    # group activity (``community.activity_update``), then the pool's day: the morning pass and its
    # orders (``_morning_orders``), the sharers and their cascade (``_share_cascade``), the referral
    # joins (``referral.admit_referred``), the evening (``_evening``); then the running costs
    # (``day.book_running_costs``), the budget's close of a day without a cap and the day's row
    # (``day.day_row`` into ``ints`` and ``floats``). Every count and money booked into the
    # ledger's values ``lv`` in the order of the separate calls; the pool's index ``index`` grown
    # by today's joiners, merged and compacted in place; returns this morning's reachable users
    t, rebates, discount = int(d[_D_T]), d[_D_REBATES] > 0.0, d[_D_DISCOUNT]
    n_index, n_joined, n_churned = int(d[_D_INDEX]), int(d[_D_JOINED]), int(d[_D_CHURNED])
    capacity, seats, group_size = int(d[_D_CAPACITY]), int(d[_D_SEATS]), int(d[_D_GROUP_SIZE])
    red_packet = d[_D_RED_PACKET] > 0.0
    lv[_L_PUBLIC_OPEN] = d[_D_PUBLIC_OPEN]
    acquired = 0
    if d[_D_ACQUIRE] > 0.0:  # acquisition on, public channels open
        stats = np.empty(acquisition._N_STATS, dtype=np.int64)
        acquisition._acquire_day(
            h, v, t, d[_D_DEMAND], rebates, max(0, int(k[_K_POOL_CAPACITY]) - (n_joined - n_churned)), seats,
            group_size, d[_D_COST_PER_EXPOSURE], index, n_index, lv, stats, c.need, c.deal, c.cycle,
            c.last_purchase, spend, private_purchases, c.purchases, c.rung, c.stage, source, join_day, c.trust,
            referrer, c.fatigue, c.group, c.events, c.last_reward)
        acquired = stats[acquisition._N_NEW]
        if acquired > 0:
            community.open_groups(activity, group_size, seats, stats[acquisition._SEATS], d[_D_INITIAL_ACTIVITY])
            seats = stats[acquisition._SEATS]
            n_index += acquired
            n_joined += acquired
    ran = community.activity_update(activity, seats, group_size, d[_D_ACTIVITY_ON] > 0.0, d[_D_KEEP], d[_D_LIFT])
    d[_D_RED_PACKET_DROPPED] = 1.0 if ran and red_packet else 0.0
    if int(d[_D_SORTED]) < n_index:  # today's acquisition joiners into the sorted index
        _merge_tail(index, int(d[_D_SORTED]), n_index)
    reach = np.empty(n_index, dtype=np.int64)
    n_reach = 0
    if n_index > 0:
        chats = (n_joined - n_churned) / k[_K_USERS_PER_STAFF] * k[_K_CHATS_PER_STAFF] if r.one_to_one else 0.0
        paid = rebates and r.cashback_rate > 0
        revenue = k[_K_ORDER_VALUE] * (1.0 - discount)
        buyers = np.empty(n_index, dtype=np.int64)
        by_cause = np.zeros(_N_CAUSES, dtype=np.int64)
        out = np.zeros(purchase.BOOK_STATS, dtype=np.int64)
        cashback = r.cashback_rate if rebates else 0.0
        trace, capped = d[_D_TRACE] > 0.0, k[_K_CAPPED] > 0.0
        n_reach, n_buyers, sent, mutes, leaves, packets, capacity = _morning_orders_rule(
            r, c, index[:n_index], activity, t, d[_D_EVENT], discount, d[_D_DEMAND], cashback, red_packet, chats,
            draws, trace, msg_today, reach, buyers, by_cause, paid, spend, private_purchases, referrer, h, t, revenue,
            r.partner_program, r.fulfilment_failures_on, k[_K_FAILURE_RATE], capped, capacity, r.trust_on,
            r.purchase_gain, 1.0 - r.failure_loss, r.failure_loss, out)
        _morning_books(lv, sent, mutes, leaves, by_cause, packets, r.red_packet_per_member)
        n_churned += leaves
        if n_buyers > 0:
            n_paid = n_buyers if paid else 0
            n_churned += purchase.book_money(lv, n_buyers, discount, n_paid, out, k[_K_ORDER_VALUE],
                                             k[_K_MARGIN_RATE], r.cashback_rate, paid)
            if r.partner_program:
                lv[_L_COST_REFERRALS] += r.partner_commission * revenue * out[1]
    added = 0
    if r.referral_on and n_reach > 0:
        cash = k[_K_CASH_APPEAL] if rebates else 0.0
        sharers = np.empty(n_reach, dtype=np.int64)
        group_buy = r.group_buy_size > 1
        n, targets, owner = _share_cascade_rule(
            r, c, reach[:n_reach], cash, draws, sharers, group_buys, group_buy, True, indptr, indices, edge_used,
            fresh, h, cash, r.join_prob, k[_K_GROUP_BUY_LIFT])
        if n > 0:
            room = max(0, int(k[_K_POOL_CAPACITY]) - (n_joined - n_churned))
            capped = k[_K_CAPPED] > 0.0
            filled = seats
            added, seats, capacity, lost = referral.admit_referred(
                r, c, h, lv, targets, owner, n, room, seats, int(k[_K_GROUP_SIZE]), k[_K_GROUP_SHARE], t, rebates,
                source, join_day, referrer, spend, private_purchases, index, n_index, k[_K_ORDER_VALUE],
                k[_K_MARGIN_RATE], k[_K_FAILURE_RATE], capped, capacity)
            n_churned += lost
            if added > 0:
                community.open_groups(activity, group_size, filled, seats, d[_D_INITIAL_ACTIVITY])
    if added > 0:  # today's referral joiners into the sorted index
        _merge_tail(index, n_index, n_index + added)
    trust_sum, fatigue_sum, kept = _evening_rule(r, c, index[: n_index + added], reach[:n_reach], counts)
    counts[_CHURNED] += int(d[_D_LEFT])
    n_joined += added
    book_running_costs(lv, n_joined - counts[_CHURNED], k[_K_RUNNING:])
    lv[_L_BUDGET_BOUND] = 0.0  # the budget's close of a day without a cap (BudgetTracker.end_day)
    lv[_L_BUDGET_LEFT] = np.nan
    d[_D_CUM_PROFIT] = day_row(ints, floats, counts, lv, t, int(d[_D_PHASE]), int(d[_D_USERS]) - n_joined,
                               trust_sum, fatigue_sum, activity, -(-seats // group_size),
                               d[_D_COST_PER_EXPOSURE], d[_D_CUM_PROFIT])
    d[_D_CAPACITY], d[_D_SEATS], d[_D_ADDED], d[_D_KEPT] = capacity, seats, acquired + added, kept
    return reach[:n_reach]


_day_rule = _day.dispatcher  # the whole common day, callable from another compiled pass


@compiled_pass
def _days(r, c, k, days, v, index, activity, draws, msg_today, h, spend, private_purchases, referrer, source,
          join_day, group_buys, indptr, indices, edge_used, fresh, lv, counts, ints, floats, lifts):
    # consecutive common days in one call (see :func:`days`): ``days`` holds one row of :func:`_day`'s
    # slots per day (the plan's and the scenario's, written by the caller); the model's state that
    # one day leaves to the next (the pool's counts, the index's entries, the seats, the cumulative
    # profit) is carried here from row to row as the model's Python carries it between two calls,
    # and each day's row keeps what its day returned. Each day after the first
    # starts a fresh ledger ``lv`` (the first books into the model's, as it is); the stage counts
    # ``counts`` start at zero each day; ``ints`` and ``floats`` receive each day's row of
    # results; ``lifts[j]`` is the activity lift of a red-packet day after ``j`` red packets dropped
    # in this call (``Groups.today``). Returns the last day's reachable users
    n_days = len(days) // _N_D
    n_ints, n_floats = len(ints) // n_days, len(floats) // n_days
    first = days[:_N_D]
    n_joined, n_churned, seats = first[_D_JOINED], first[_D_CHURNED], first[_D_SEATS]
    n_index, n_sorted, left, cum_profit = first[_D_INDEX], first[_D_SORTED], first[_D_LEFT], first[_D_CUM_PROFIT]
    dropped = 0
    reach = np.empty(0, dtype=np.int64)
    for j in range(n_days):
        d = days[j * _N_D : (j + 1) * _N_D]
        d[_D_JOINED], d[_D_CHURNED], d[_D_SEATS], d[_D_INDEX] = n_joined, n_churned, seats, n_index
        d[_D_SORTED], d[_D_LEFT], d[_D_CUM_PROFIT] = n_sorted, left, cum_profit
        if d[_D_RED_PACKET] > 0.0:
            d[_D_LIFT] = lifts[dropped]
        if j > 0:
            lv[:] = 0.0
        counts[:] = 0
        reach = _day_rule(r, c, k, d, v, index, activity, draws, msg_today, h, spend, private_purchases, referrer,
                          source, join_day, group_buys, indptr, indices, edge_used, fresh, lv, counts,
                          ints[j * n_ints : (j + 1) * n_ints], floats[j * n_floats : (j + 1) * n_floats])
        # what the model books between two days (``Population.indexed``, ``SiyuModel.n_churned``, ...)
        kept = d[_D_KEPT]
        n_joined += d[_D_ADDED]
        left += n_index + d[_D_ADDED] - kept
        n_index = n_sorted = kept
        n_churned = counts[_CHURNED]
        seats, cum_profit = d[_D_SEATS], d[_D_CUM_PROFIT]
        dropped += int(d[_D_RED_PACKET_DROPPED])
    return reach


def fused(model) -> bool:
    """Whether today is a common day, which is one compiled call (:func:`days`): no budget cap, no campaign, a network."""
    return not model.budget.active and not model.day.campaign and model.graph is not None


def days(model, plans: list) -> tuple[np.ndarray, float]:
    """The common days ``plans`` (consecutive, each planned: ``Operator.plan``), after their plans, in one compiled call.

    A common day has no budget cap, no campaign and a network. Each day takes the same steps,
    draws and books as ``acquisition.acquire``, ``community.update_activity``, :func:`morning`,
    :func:`share` and :func:`evening` (with ``referral.admit_joiners`` admitting the joiners),
    ``Touchpoints.bill``, ``BudgetTracker.end_day`` and the day's row (``day.day_row``) in turn,
    and between two days the model's state moves on as between two ``step()`` calls; so a run
    of common days costs no Python a day. The first day books into ``model.ledger`` as it is,
    each later day into a fresh one (left there after the last); each day's row is written into
    the model's tables, and the last day's reachable users are ``plans[-1].reach``.
    Returns the last day's stage counts and the cumulative profit after it.
    """
    sc, pop, groups, k = model.scenario, model.pop, model.groups, model.day_constants
    n = len(plans)
    # room for every joiner the days could admit: no more than the public
    index, n_index, n_sorted = pop.index_buffer(pop.n - pop.n_joined)
    on, keep, plain = groups.today(sc, False)
    lifts = np.array([groups.today(sc, True, j)[2] for j in range(sum(p.red_packet for p in plans))] or [0.0])
    acquire, trace, capacity, size, initial, phase = (sc.mechanisms.acquisition, model.trace_on, model.capacity_left,
                                                      groups.size, groups.initial, model.phase)
    rows = np.array([[p.t, 1.0 if p.event else 0.0, p.discount, p.demand, p.rebates_active, p.red_packet, trace,
                      capacity, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, p.public_open, acquire and p.public_open,
                      cost_per_exposure(sc.public, p.t), size, initial, on, keep, plain, 0, phase, pop.n, 0]
                     for p in plans], dtype=np.float64)
    first = rows[0]
    first[_D_JOINED], first[_D_CHURNED], first[_D_SEATS] = pop.n_joined, model.n_churned(), groups.seats_filled
    first[_D_INDEX], first[_D_SORTED], first[_D_LEFT] = n_index, n_sorted, pop.n_left_before
    first[_D_CUM_PROFIT] = model._cum_profit
    counts = np.zeros(_N_STAGES, dtype=np.int64)
    ints, floats = model.next_rows(n)
    g = model.graph
    plans[-1].reach = _days(model.rules, pop.cols, k, rows.reshape(-1), params_for(sc).values, index, groups.activity,
                            model.draws, model.msg_today if model.trace_on else _NO_TRACE, handle(model.rng),
                            pop.spend, pop.private_purchases, pop.referrer, pop.source, pop.join_day,
                            pop.group_buys, g.indptr, g.indices, model.edge_used, model._fresh, model.ledger.values,
                            counts, ints.reshape(-1), floats.reshape(-1), lifts)
    last = rows[-1].tolist()  # what the last day left: the capacity, the seats, the index, the profit
    model.capacity_left = int(last[_D_CAPACITY])
    groups.seats_filled = int(last[_D_SEATS])  # the groups it opened already started lively
    groups.red_packets += int(rows[:, _D_RED_PACKET_DROPPED].sum())
    pop.indexed(int(rows[:, _D_ADDED].sum()), int(last[_D_KEPT]))
    return counts, last[_D_CUM_PROFIT]


def evening(model) -> tuple[np.ndarray, float, float]:
    """Promote up the ladder; return stage counts of the joined and the pool's trust and fatigue sums.

    Users who left today are dropped from ``Population.joined``; the churned count adds those
    dropped on earlier evenings.
    """
    counts = np.zeros(_N_STAGES, dtype=np.int64)
    pop = model.pop
    trust_sum, fatigue_sum, kept = _evening(model.rules, pop.cols, pop.joined, model.day.reach, counts)
    counts[_CHURNED] += pop.n_left_before
    pop.drop_left(kept)
    return counts, trust_sum, fatigue_sum


__all__ = ["Rules", "day_constants", "days", "evening", "fused", "morning", "rules_for", "share"]
