"""Referral cascades (裂变) as an independent cascade over the social network.

Rules (DOMAIN §6; EVIDENCE: Kempe, Kleinberg & Tardos 2003; referral surveys):

- *Spontaneous sharing*: a reachable user shares today with probability
  ``1 − e^(−p)``, ``p = share_rate × ([bought] × trust² + deal × cash) × sociability ×
  (partner_share_multiplier if partner)`` where the cash appeal
  ``cash = reward_share_lift × referral_reward / order_value`` while rebates run (else 0):
  trust moves content fans, cash moves deal-seekers.
- *Campaigns*: every ``campaign_every_days`` the operator asks ``seeds_per_campaign`` of the
  reachable pool to share; ``targeted`` seeding picks the top users by
  ``sociability × fresh reach × (0.1 + trust) × (1 + group-buys started)`` — fresh reach being
  the contacts a user's shares have not yet exposed (influence not yet used up) — while
  ``random`` picks at random.
- *Exposure*: a share exposes each contact once per edge (one chance per edge, ever); a public
  contact joins with ``join_prob × min(1, referrer trust + deal × cash) × (0.5 + need) ×
  (1 + event_lift × group_buy_discount × price_sensitivity if group-buy)``. Well-mixed: ``well_mixed_contacts``
  random users per share.
- *Group-buy*: with ``group_buy_size = k``, a sharer whose share brings ``k − 1`` joiners
  completes the group-buy: all of them buy at ``group_buy_discount``.
- *Rewards*: while rebates run, the referrer gets ``referral_reward`` per joiner.
"""

from __future__ import annotations

import numpy as np

from sim.jit import compiled_pass, rule
from sim.mechanisms import purchase
from sim.mechanisms.acquisition import admit_users
from sim.mechanisms.day import KEY
from sim.mechanisms.streams import as_generator, handle
from sim.population import Event, Source, Stage

_PUBLIC, _PARTNER, _REFERRAL = Stage.PUBLIC.value, Stage.PARTNER.value, Source.REFERRAL.value
#: the ledger slots the compiled admission writes (``sim.mechanisms.day.KEY``)
_L_REFERRALS, _L_NEW_JOINS, _L_JOINS_REFERRAL = KEY["referrals"], KEY["new_joins"], KEY["joins_referral"]
_L_REBATES, _L_ACQ, _L_REFERRAL_JOINS = KEY["cost_rebates"], KEY["acq_cost"], KEY["referral_joins"]
_L_COST_REFERRALS = KEY["cost_referrals"]


def cash_appeal(sc, rebates_active: bool) -> float:
    """Pull of the referral reward on deal-seekers: ``reward_share_lift × reward / order_value``."""
    if not rebates_active or sc.strategy.referral_reward <= 0:
        return 0.0
    return sc.referral.reward_share_lift * sc.strategy.referral_reward / sc.product.order_value


def pick_seeds(model, pool: np.ndarray) -> np.ndarray:
    """The campaign's seed users among ``pool`` (targeted by tags/influence, or random)."""
    st, pop = model.scenario.strategy, model.pop
    k = int(round(st.seeds_per_campaign * len(pool)))
    if k <= 0 or len(pool) == 0:
        return np.empty(0, dtype=np.int64)
    if st.seeding == "random":
        return model.rng.choice(pool, size=k, replace=False)
    score = pop.sociability[pool] * model.fresh_reach(pool) * (0.1 + pop.trust[pool]) * (1.0 + pop.group_buys[pool])
    return pool[np.argpartition(-score, k - 1)[:k]]


@rule
def share_hazard(bought: bool, trust: float, deal: float, cash: float, sociability: float,
                 partner: bool, share_rate: float, partner_share_multiplier: float) -> float:
    """Daily hazard ``p`` that a reachable user shares unprompted (``cash``: today's cash appeal)."""
    p = share_rate * ((trust * trust if bought else 0.0) + deal * cash) * sociability
    return p * partner_share_multiplier if partner else p


@rule
def _fresh_contacts(sharers, indptr, indices, edge_used, fresh):
    """Each sharer's contacts over edges not used before (one chance per edge), marking them used.

    Returns (owner, contact) per fresh edge, sharer by sharer in CSR row order, and counts the
    used edges off each owner's fresh reach.
    """
    total = 0
    for s in sharers:
        total += indptr[s + 1] - indptr[s]
    owner = np.empty(total, dtype=np.int64)
    targets = np.empty(total, dtype=np.int64)
    n = 0
    for s in sharers:
        for e in range(indptr[s], indptr[s + 1]):
            if not edge_used[e]:
                edge_used[e] = True
                owner[n] = s
                targets[n] = indices[e]
                n += 1
                fresh[s] -= np.float32(1.0)
    return owner[:n], targets[:n]


@rule
def _join_chances(owner, targets, stage, trust, deal, need, price_sens, cash, join_prob, group_buy_lift,
                  group_buy):
    """The public contacts among ``targets`` with their owners and join probability (see the module rule).

    ``join_prob × min(1, referrer trust + deal × cash) × (0.5 + need)``, times
    ``1 + group_buy_lift × price_sensitivity`` for a group-buy; float32 as the columns.
    """
    keep = np.empty(len(targets), dtype=np.int64)
    n = 0
    for k in range(len(targets)):
        if stage[targets[k]] == _PUBLIC:
            keep[n] = k
            n += 1
    o = np.empty(n, dtype=np.int64)
    t = np.empty(n, dtype=np.int64)
    p = np.empty(n, dtype=np.float32)
    c, jp, gb = np.float32(cash), np.float32(join_prob), np.float32(group_buy_lift)
    one, half = np.float32(1.0), np.float32(0.5)
    for j in range(n):
        k = keep[j]
        o[j] = owner[k]
        v = targets[k]
        t[j] = v
        q = jp * min(trust[owner[k]] + deal[v] * c, one) * (half + need[v])
        if group_buy:
            q = q * (one + gb * price_sens[v])
        p[j] = q
    return o, t, p


@rule
def _first_per_target(targets, owner, ok):
    """Distinct targets with ``ok`` in increasing order, each with the owner of its first exposure."""
    idx = np.flatnonzero(ok)
    t = targets[idx]
    order = np.argsort(t, kind="mergesort")
    out_t = np.empty(len(t), dtype=np.int64)
    out_o = np.empty(len(t), dtype=np.int64)
    n = 0
    for k in order:
        if n == 0 or t[k] != out_t[n - 1]:
            out_t[n] = t[k]
            out_o[n] = owner[idx[k]]
            n += 1
    return out_t[:n], out_o[:n]


@compiled_pass
def exposures(sharers, owner, targets, c, group_buys, group_buy, has_graph, indptr, indices, edge_used, fresh, rng,
              cash, join_prob, group_buy_lift):
    """The public contacts the shares of ``sharers`` (distinct) win over today, with the sharer credited.

    Marks the sharers (and counts a group-buy started when ``group_buy``); exposes each sharer's
    contacts over unused edges of the CSR graph (``has_graph``), or else the exposures
    ``owner`` → ``targets`` given (well-mixed); each public contact joins with the join
    probability (one float32 uniform each from the model's ``numpy.random.Generator``: ``rng``,
    its :func:`sim.mechanisms.streams.handle`). Returns (targets, owner): the distinct contacts who join, in increasing order,
    each with the sharer of their first exposure.
    """
    for i in sharers:
        c.events[i] |= _SHARED
    if group_buy:
        for i in sharers:
            group_buys[i] += 1
    if has_graph:
        owner, targets = _fresh_contacts(sharers, indptr, indices, edge_used, fresh)
    owner, targets, p = _join_chances(owner, targets, c.stage, c.trust, c.deal, c.need, c.price_sens, cash, join_prob,
                                      group_buy_lift, group_buy)
    u = as_generator(rng).random(len(targets), dtype=np.float32)
    ok = np.empty(len(targets), dtype=np.bool_)
    for k in range(len(targets)):
        ok[k] = u[k] < p[k]
    return _first_per_target(targets, owner, ok)


exposures_rule = exposures.dispatcher  # :func:`exposures`, callable from another compiled pass


def group_buy_lift(sc) -> float:
    """The group-buy's pull on a contact's joining: ``event_lift × group_buy_discount`` (0 without group-buys)."""
    st = sc.strategy
    return sc.purchase.event_lift * st.group_buy_discount if st.group_buy_size > 1 else 0.0


def exposure_args(model) -> tuple:
    """The arguments of :func:`exposures` after ``sharers``, ``owner`` and ``targets``, for today."""
    sc, pop, g = model.scenario, model.pop, model.graph
    group_buy = sc.strategy.group_buy_size > 1
    if g is not None:
        graph = (True, g.indptr, g.indices, model.edge_used, model._fresh)
    else:
        graph = (False, _NO_EDGES, _NO_EDGES, _NO_USED, _NO_FRESH)
    return (pop.cols, pop.group_buys, group_buy, *graph, handle(model.rng),
            float(cash_appeal(sc, model.day.rebates_active)), float(sc.referral.join_prob), float(group_buy_lift(sc)))


def well_mixed_exposures(model, sharers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, target) of each exposure of a well-mixed population: ``well_mixed_contacts`` random users per sharer."""
    owner = np.repeat(sharers, model.scenario.referral.well_mixed_contacts)
    return owner, model.rng.integers(0, model.pop.n, len(owner))


_SHARED, _REWARDED = Event.SHARED.value, Event.REWARDED.value
_NO_EDGES = np.zeros(1, dtype=np.int64)
_NO_USED = np.zeros(0, dtype=bool)
_NO_FRESH = np.zeros(0, dtype=np.float32)
_NONE = np.zeros(0, dtype=np.int64)


def spread(model, sharers: np.ndarray) -> np.ndarray:
    """Expose the sharers' contacts (one chance per edge) and admit those who join."""
    if len(sharers) == 0:
        return np.empty(0, dtype=np.int64)
    owner, targets = _NONE, _NONE
    if model.graph is None:
        owner, targets = well_mixed_exposures(model, sharers)
    targets, owner = exposures(sharers, owner, targets, *exposure_args(model))
    return admit_joiners(model, len(sharers), targets, owner)


@rule
def _credit(refs, t, rewarded, referrals, last_reward, events):
    """One referred joiner more for each of ``refs`` (repeats count); with ``rewarded`` they are paid on day ``t``."""
    for i in refs:
        referrals[i] += 1
        if rewarded:
            last_reward[i] = t
            events[i] |= _REWARDED


def admit_joiners(model, n_sharers: int, targets: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Book ``n_sharers`` shares and admit the contacts ``targets`` they won over (``owner``: who brought each).

    Referrers are credited and, while rebates run, paid the referral reward; a group-buy whose
    sharer brought enough joiners is ordered. Returns the users admitted.
    """
    sc, pop, day = model.scenario, model.pop, model.day
    st = sc.strategy
    model.ledger.add("referrals", n_sharers)
    joined, refs = model.touchpoints.admit(targets, Source.REFERRAL, None, referrer=owner)
    if len(joined) == 0:
        return joined
    model.ledger.add("referral_joins", len(joined))
    rewarded = day.rebates_active and st.referral_reward > 0 and not model.budget.stopped("referral_rewards")
    _credit(refs, int(day.t), bool(rewarded), pop.referrals, pop.last_reward, pop.events)
    if rewarded:
        model.ledger.add("cost_referrals", st.referral_reward * len(joined))
        model.ledger.add("acq_cost", st.referral_reward * len(joined))
    if st.group_buy_size > 1:
        model.record_orders(group_buyers(refs, joined, st.group_buy_size, pop.stage),
                            discount=st.group_buy_discount)
    return joined


@rule
def group_buyers(refs, joined, size, stage):
    """The group-buy's buyers among today's referral joiners ``joined`` (``refs``: who brought each).

    A referrer who brought at least ``size − 1`` of them completes the group-buy: those joiners
    (in their order) and then the referrers still reachable (in increasing order) buy.
    """
    n = len(refs)
    order = np.argsort(refs, kind="mergesort")
    count = np.empty(n, dtype=np.int64)  # how often each joiner's referrer occurs in refs
    leaders = np.empty(n, dtype=np.int64)
    n_leaders = 0
    start = 0
    while start < n:
        end = start + 1
        while end < n and refs[order[end]] == refs[order[start]]:
            end += 1
        for q in range(start, end):
            count[order[q]] = end - start
        ref = refs[order[start]]
        if end - start >= size - 1 and stage[ref] <= _PARTNER:
            leaders[n_leaders] = ref
            n_leaders += 1
        start = end
    n_done = 0
    for j in range(n):
        if count[j] >= size - 1:
            n_done += 1
    out = np.empty(n_done + n_leaders, dtype=np.int64)
    m = 0
    for j in range(n):
        if count[j] >= size - 1:
            out[m] = joined[j]
            m += 1
    out[n_done:] = leaders[:n_leaders]
    return out


@rule
def admit_referred(r, c, h, lv, targets, owner, n_sharers, room, seats, group_size, group_share, t, rebates,
                   source, join_day, referrer, spend, private_purchases, index, n_index, order_value, margin_rate,
                   failure_rate, capped, capacity):
    """:func:`admit_joiners` on a day without a budget cap, compiled (the pool's day, ``sim.mechanisms.pool``).

    Books ``n_sharers`` shares; admits the contacts ``targets`` won over (``owner``: who brought
    each) by the admission rule (``acquisition.admit_users``: at most ``room``, into the group
    seats after ``seats``), their ids written to ``index[n_index:]``; books them as
    ``Touchpoints.book_joins`` does (no hook; today's join cash while ``rebates``); credits and,
    while rebates run, rewards their referrers; orders the completed group-buys
    (:func:`group_buyers`, booked by ``purchase.book_private`` and ``purchase.book_money``, partner
    commission in full). Ledger values ``lv`` (slots ``sim.mechanisms.day.KEY``), each booked in
    the order of the Python path. Returns (joiners, seats filled, capacity left, buyers who left
    after a failed order).
    """
    lv[_L_REFERRALS] += n_sharers
    if len(targets) == 0:
        return 0, seats, capacity, 0
    paid_to_join = rebates and r.join_cash > 0
    keep, seats = admit_users(h, targets, owner, True, room, seats, group_size, group_share, r.entry_threshold,
                              _REFERRAL, t, r.initial, r.endorsement, paid_to_join, c.need,
                              c.purchases, c.rung, c.stage, source, join_day, c.trust, referrer, c.fatigue, c.group,
                              c.events, c.last_reward, index, n_index)
    k = len(keep)
    if k == 0:
        return 0, seats, capacity, 0
    refs = owner[keep]
    lv[_L_NEW_JOINS] += k
    lv[_L_JOINS_REFERRAL] += k
    cash = r.join_cash if rebates else 0.0
    if cash > 0:
        lv[_L_REBATES] += cash * k
        lv[_L_ACQ] += cash * k
    lv[_L_REFERRAL_JOINS] += k
    rewarded = rebates and r.referral_reward > 0
    _credit(refs, t, rewarded, c.referrals, c.last_reward, c.events)
    if rewarded:
        lv[_L_COST_REFERRALS] += r.referral_reward * k
        lv[_L_ACQ] += r.referral_reward * k
    lost = 0
    if r.group_buy_size > 1:
        buyers = group_buyers(refs, index[n_index : n_index + k], r.group_buy_size, c.stage)
        n = len(buyers)
        if n > 0:
            discount = r.group_buy_discount
            revenue = order_value * (1.0 - discount)
            paid = rebates and r.cashback_rate > 0
            out = np.zeros(4, dtype=np.int64)
            n_paid = n if paid else 0
            capacity = purchase.book_rule(buyers, c, spend, private_purchases, referrer, h, t, revenue,
                                          r.partner_program, r.fulfilment_failures_on, failure_rate, capped, capacity,
                                          r.trust_on, r.purchase_gain, 1.0 - r.failure_loss, r.failure_loss, n_paid,
                                          out)
            lost = purchase.book_money(lv, n, discount, n_paid, out, order_value, margin_rate, r.cashback_rate,
                                       paid)
            if r.partner_program:
                lv[_L_COST_REFERRALS] += r.partner_commission * revenue * out[1]
    return k, seats, capacity, lost
