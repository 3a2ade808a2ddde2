"""Acquisition and lead-in (引流): paid and organic public exposure, platform orders, hooks.

Rules (DOMAIN §1, §5):

- *Rising cost of exposure*: one paid exposure costs ``cost_per_exposure × (1 + g)^(t/365)``.
- *Public exposure*: each day a share ``ad_reach_per_day`` (paid) and ``organic_reach_per_day``
  (free) of public-pool users sees the store; ``content_reach_per_day`` sees its free content.
- *Platform purchase*: an exposed public user buys on the platform with probability
  ``platform_conversion / decision_touches × need × readiness × (1 + platform_repeat_boost ×
  past_buyer) × shock demand``; the platform keeps its commission and the merchant gets no relationship.
- *Hook take-up*: a hook offered to a user is taken with probability
  ``take_up × clip(1 + selection × (2 × deal_seeking − 1), 0, 2)``; cash hooks select
  deal-seekers, content hooks select content fans. Package cards reach platform buyers, gift
  and cash hooks reach paid exposures, the content hook reaches content readers.
- *Admission*: users below ``strategy.entry_threshold`` need are not admitted, and joins stop
  when every personal account is full (``touchpoints``) or the budget cannot carry them
  (``sim.mechanisms.budget``: paid exposures and hooks are cut when a cap binds).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.jit import rule
from sim.mechanisms.day import KEY
from sim.mechanisms.streams import as_generator, handle
from sim.population import Event, Source, Stage, _join
from sim.scenario import Hook, Public, Scenario

_PUBLIC = Stage.PUBLIC.value
_EXPOSED = Event.EXPOSED.value


def cost_per_exposure(public: Public, t: int) -> float:
    """Cost of one paid exposure on day ``t`` (compounded yearly growth)."""
    return public.cost_per_exposure * (1.0 + public.cost_growth_per_year) ** (t / 365.0)


def sample_public(stage: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Distinct public-pool users reached when each user is hit with probability ≈ ``share``."""
    return _sample(handle(rng), stage, float(share))


@rule
def _sample(h, stage, share):
    """:func:`sample_public`, compiled: ``K ~ Binomial(n, min(share, 1))`` ids drawn with replacement.

    ``h`` is the model's ``Generator`` or its :func:`~sim.mechanisms.streams.handle` (so are
    the ``h`` of the other compiled draws here). No draw when ``share ≤ 0``; the ids are merged
    and the public ones kept (:func:`_still_public`).
    """
    rng = as_generator(h)
    if share <= 0:
        return np.empty(0, dtype=np.int64)
    k = rng.binomial(len(stage), min(share, 1.0))
    return _still_public(rng.integers(0, len(stage), k), stage)


@rule
def _still_public(drawn, stage):
    """The distinct ids in ``drawn`` whose stage is public, in increasing order."""
    x = sort_ids(drawn, len(stage))
    out = np.empty(len(x), dtype=np.int64)
    n = 0
    prev = -1
    for v in x:
        if v != prev:
            prev = v
            if stage[v] == _PUBLIC:
                out[n] = v
                n += 1
    return out[:n]


@rule
def sort_ids(x, n):
    """The ids ``x`` (each in ``0..n-1``) in increasing order, as ``np.sort`` gives them.

    A bucket sort by the ids' high bits (about one bucket per id), then insertion within the
    buckets: linear time for ids drawn uniformly, as the exposure samples are. numba's
    ``np.sort`` costs about 60 ns an id on a draw of 3,000 (a tenth of that in numpy).
    """
    k = len(x)
    out = np.empty(k, dtype=np.int64)
    if k == 0:
        return out
    shift = 0
    while ((n - 1) >> shift) >= k:
        shift += 1
    nb = ((n - 1) >> shift) + 1  # buckets: at most k
    start = np.zeros(nb + 1, dtype=np.int64)
    for v in x:
        start[(v >> shift) + 1] += 1
    for b in range(nb):
        start[b + 1] += start[b]
    for v in x:
        b = v >> shift
        out[start[b]] = v
        start[b] += 1
    for a in range(1, k):  # only ids of one bucket are out of order
        v = out[a]
        j = a - 1
        while j >= 0 and out[j] > v:
            out[j + 1] = out[j]
            j -= 1
        out[j + 1] = v
    return out


@rule
def _exposure(paid, organic, t, events, last_purchase, cycle, need, purchases, per_touch, repeat_boost, demand):
    """Merge the paid and organic exposures (sorted, distinct) and mark them exposed.

    Returns the exposed users and each one's platform purchase probability
    (:func:`platform_buy_probability`).
    """
    exposed = np.empty(len(paid) + len(organic), dtype=np.int64)
    i = j = n = 0
    while i < len(paid) or j < len(organic):
        if j == len(organic) or (i < len(paid) and paid[i] < organic[j]):
            v = paid[i]
            i += 1
        elif i == len(paid) or organic[j] < paid[i]:
            v = organic[j]
            j += 1
        else:
            v = paid[i]
            i += 1
            j += 1
        exposed[n] = v
        n += 1
    exposed = exposed[:n]
    p = np.empty(n, dtype=np.float64)
    c = np.float32(per_touch)
    for k in range(n):
        v = exposed[k]
        events[v] |= _EXPOSED
        p[k] = platform_buy_probability(need[v], np.float32(t - last_purchase[v]), cycle[v], purchases[v] > 0,
                                        c, repeat_boost, demand)
    return exposed, p


@rule
def _platform_buyers(h, exposed, p):
    """The exposed users who buy on the platform: one float32 draw each, below ``p`` (float64)."""
    u = as_generator(h).random(len(exposed), dtype=np.float32)
    out = np.empty(len(exposed), dtype=np.int64)
    n = 0
    for k in range(len(exposed)):
        if np.float64(u[k]) < p[k]:
            out[n] = exposed[k]
            n += 1
    return out[:n]


@rule
def _expose_day(h, stage, events, last_purchase, cycle, need, purchases, ad_share, organic_share, t,
                per_touch, repeat_boost, demand):
    """The day's public exposure and platform buyers in one call (no budget cap on the ads).

    Paid then organic exposure (:func:`_sample`), their merge (:func:`_exposure`) and the platform
    purchase draw (:func:`_platform_buyers`), in the order ``acquire`` takes them with a budget.
    Returns the paid exposures and the platform buyers.
    """
    rng = as_generator(h)
    paid = _sample(rng, stage, ad_share)
    organic = _sample(rng, stage, organic_share)
    exposed, p = _exposure(paid, organic, t, events, last_purchase, cycle, need, purchases, per_touch,
                           repeat_boost, demand)
    return paid, _platform_buyers(rng, exposed, p)


@rule
def platform_buy_probability(need, days_since_order, cycle, past_buyer, per_touch, repeat_boost, demand):
    """Probability that an exposed public user buys on the platform today.

    ``per_touch × need × readiness × (1 + repeat_boost × past_buyer) × demand``, with
    ``per_touch = platform_conversion / decision_touches`` (float32, like the population columns).
    """
    ready = min(1.0, np.float64(days_since_order / cycle))  # readiness, rounded as the columns are
    p = np.float64(per_touch * need) * ready
    return p * (1.0 + repeat_boost * (1.0 if past_buyer else 0.0)) * demand


@rule
def readiness(days_since_order, cycle):
    """How ready users are to buy again: 0 just after a purchase, 1 after a full cycle.

    Works on numbers and on arrays (the platform draws it for arrays of exposed users).
    """
    return np.minimum(1.0, days_since_order / cycle)


def hook_take_up(hook: Hook, deal: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of users (with deal-seeking ``deal``) who take up ``hook`` (:func:`_taken`'s draws)."""
    taken = np.zeros(len(deal), dtype=bool)
    taken[_taken(handle(rng), np.arange(len(deal)), np.asarray(deal, dtype=np.float32),
                 hook.enabled and hook.take_up > 0, float(hook.take_up), float(hook.selection))] = True
    return taken


@rule
def take_up_probability(deal, take_up, selection):
    """``take_up × clip(1 + selection × (2 × deal − 1), 0, 2)`` per user (float32 like ``deal``)."""
    out = np.empty(len(deal), dtype=np.float32)
    t, s = np.float32(take_up), np.float32(selection)
    one, two, zero = np.float32(1.0), np.float32(2.0), np.float32(0.0)
    for k in range(len(deal)):
        out[k] = t * min(max(one + s * (two * deal[k] - one), zero), two)
    return out


@rule
def _taken(h, idx, deal, offered, take_up, selection):
    """The users of ``idx`` who take up a hook: :func:`hook_take_up` on ``deal[idx]``, compiled.

    One float32 draw per user of ``idx`` if the hook is ``offered`` (enabled with take-up > 0)
    and ``idx`` is not empty, none otherwise; the users keep their order.
    """
    if not offered or len(idx) == 0:
        return np.empty(0, dtype=np.int64)
    d = np.empty(len(idx), dtype=np.float32)
    for k in range(len(idx)):
        d[k] = deal[idx[k]]
    p = take_up_probability(d, take_up, selection)
    u = as_generator(h).random(len(idx), dtype=np.float32)
    out = np.empty(len(idx), dtype=np.int64)
    n = 0
    for k in range(len(idx)):
        if u[k] < p[k]:
            out[n] = idx[k]
            n += 1
    return out[:n]


@rule
def _still_in_public(idx, stage):
    """The users of ``idx`` still public (in order)."""
    out = np.empty(len(idx), dtype=np.int64)
    n = 0
    for v in idx:
        if stage[v] == _PUBLIC:
            out[n] = v
            n += 1
    return out[:n]


@rule
def eligible(idx, need, entry_threshold, room):
    """Positions in ``idx`` of the first ``room`` users whose need reaches ``entry_threshold`` (float32)."""
    out = np.empty(min(len(idx), room), dtype=np.int64)
    thr = np.float32(entry_threshold)
    n = 0
    for k in range(len(idx)):
        if n == len(out):
            break
        if need[idx[k]] >= thr:
            out[n] = k
            n += 1
    return out[:n]


@rule
def admit_users(h, idx, refs, has_refs, room, seats, group_size, group_share, entry_threshold, source, t,
                base_trust, endorsement, rewarded, need, purchases, rung, stage, src, join_day, trust, referrer,
                fatigue, group, events, last_reward, out, n_out):
    """The admission rule, compiled: who of ``idx`` joins, and their state.

    The first ``room`` users of ``idx`` whose need reaches ``entry_threshold``
    (:func:`eligible`) join; each goes to a group with probability ``group_share`` (one float32
    draw per joiner, compared in float32 as numpy compares a float32 array with a Python float)
    and takes the next free seat (``seats`` filled so far, ``group_size`` per group: seat
    ``seats + q`` is in group ``(seats + q) // group_size``); the joiners' columns (``need`` read, the rest from ``purchases`` on in the
    order of ``Population.join_columns``) are written by ``sim.population._join`` and their ids
    go to ``out[n_out:]``.

    Returns the joiners' positions in ``idx`` and the seats filled afterwards.
    """
    keep = eligible(idx, need, entry_threshold, room)
    k = len(keep)
    if k == 0:
        return keep, seats
    who = np.empty(k, dtype=np.int64)
    ref = np.empty(k, dtype=np.int64)
    for j in range(k):
        who[j] = idx[keep[j]]
        ref[j] = refs[keep[j]] if has_refs else who[j]
    u = as_generator(h).random(k, dtype=np.float32)
    share = np.float32(group_share)
    in_group = np.empty(k, dtype=np.bool_)
    m = 0
    for j in range(k):
        in_group[j] = u[j] < share
        if in_group[j]:
            m += 1
    group_ids = np.empty(m, dtype=np.int32)
    for q in range(m):
        group_ids[q] = (seats + q) // group_size
    _join(who, ref, has_refs, in_group, group_ids, source, t, base_trust, endorsement, rewarded, purchases,
          rung, stage, src, join_day, trust, referrer, fatigue, group, events, last_reward, out, n_out)
    return keep, seats + m


#: the hooks in the order they are offered (first taken wins) and each one's join channel
HOOK_ORDER = (("package_card", Source.CARD), ("cash", Source.CASH), ("gift", Source.GIFT),
              ("content", Source.CONTENT))
_HOOK_SOURCE = np.array([source.value for _, source in HOOK_ORDER], dtype=np.int64)
_CONTENT = Source.CONTENT.value

# the places of a scenario's acquisition parameters in ``AcquisitionParams.values`` (float64)
_AD, _ORGANIC, _PER_TOUCH, _BOOST = 0, 1, 2, 3  # public.ad_reach_per_day, organic_reach_per_day,
# platform_conversion / product.decision_touches, platform_repeat_boost
_OFFERED, _TAKE_UP, _SELECTION = 4, 8, 12  # per hook of HOOK_ORDER: 1 if enabled with take-up > 0, take_up, selection
_CONTENT_SHARE = 16  # hooks.content_reach_per_day if the content hook is on, else 0
_GROUP_SHARE, _ENTRY = 17, 18  # touchpoints.group_share, strategy.entry_threshold
_TRUST_INITIAL, _TRUST_CONTENT, _ENDORSEMENT = 19, 20, 21  # trust.initial, initial_content, endorsement
_JOIN_CASH, _REVENUE = 22, 23  # strategy.join_cash, product.order_value (a platform order's revenue)
_MARGIN, _COMMISSION = 24, 25  # a platform order's margin (order_value × margin_rate), platform_commission
_HOOK_COST = 26  # per hook of HOOK_ORDER: its cost_per_join
_N_VALUES = 30

#: the ledger slots acquisition books (``sim.mechanisms.day.KEY``)
_L_COST_ADS, _L_ACQ, _L_HOOKS, _L_REBATES = KEY["cost_ads"], KEY["acq_cost"], KEY["cost_hooks"], KEY["cost_rebates"]
_L_FIRST, _L_PURCHASES, _L_GMV, _L_MARGIN = KEY["first_purchases"], KEY["purchases"], KEY["gmv"], KEY["margin"]
_L_PLATFORM, _L_PLATFORM_GMV = KEY["platform_purchases"], KEY["platform_gmv"]
_L_COMMISSION, _L_NEW_JOINS = KEY["cost_commission"], KEY["new_joins"]
#: each join channel's ledger slot counting its joiners, by ``Source`` value (-1: none)
JOIN_SLOT = np.full(len(Source), -1, dtype=np.int64)
for _source in Source:
    if f"joins_{_source.name.lower()}" in KEY:
        JOIN_SLOT[_source] = KEY[f"joins_{_source.name.lower()}"]

# the places of a day's statistics in the array ``_acquire_day`` fills (int64)
_SEATS, _N_NEW = 0, 1
_N_STATS = 2


@rule
def _hooks(h, buyers, paid, rebates, v, room, seats, group_size, t, join_cash, deal, need, purchases, rung, stage,
           src, join_day, trust, referrer, fatigue, group, events, last_reward):
    """The hook take-up and the admission of its joiners, all four hooks in one call (no budget cap).

    In :data:`HOOK_ORDER`: the package card to the platform ``buyers``, cash (only while
    ``rebates`` run) then the gift to the ``paid`` exposures still public, the content hook to a
    fresh sample of the public pool (``v[_CONTENT_SHARE]``, 0 when the hook is off); each hook's
    takers (:func:`_taken`, with its offer, take-up and selection from the scenario's values
    ``v``) are admitted by :func:`admit_users` while ``room`` lasts. Joiners through a cash hook,
    or while ``join_cash`` is paid, are rewarded today.

    Returns the joiners (in joining order), how many joined through each hook and the group
    seats filled afterwards.
    """
    rng = as_generator(h)
    counts = np.zeros(4, dtype=np.int64)
    out = np.empty(len(buyers) + len(paid), dtype=np.int64)
    n = 0
    cash = join_cash > 0
    group_share, entry = v[_GROUP_SHARE], v[_ENTRY]
    for k in range(3):  # card, cash, gift; a hook not offered draws nothing: skipped
        if v[_OFFERED + k] <= 0 or (k == 1 and not rebates):  # cash for joining is a rebate: it stops with them
            continue
        offer = buyers if k == 0 else _still_in_public(paid, stage)
        taken = _taken(rng, offer, deal, True, v[_TAKE_UP + k], v[_SELECTION + k])
        if len(taken) == 0:  # nobody to admit: no draw
            continue
        keep, seats = admit_users(rng, taken, taken, False, room - n, seats, group_size, group_share, entry,
                                  _HOOK_SOURCE[k], t, v[_TRUST_INITIAL], v[_ENDORSEMENT], cash or k == 1, need,
                                  purchases, rung, stage, src, join_day, trust, referrer, fatigue, group, events,
                                  last_reward, out, n)
        counts[k] = len(keep)
        n += len(keep)
    readers = _sample(rng, stage, v[_CONTENT_SHARE])
    taken = _taken(rng, readers, deal, v[_OFFERED + 3] > 0, v[_TAKE_UP + 3], v[_SELECTION + 3])
    if len(taken) == 0:
        return out[:n], counts, seats
    more = np.empty(len(taken), dtype=np.int64)
    keep, seats = admit_users(rng, taken, taken, False, room - n, seats, group_size, group_share, entry, _CONTENT, t,
                              v[_TRUST_CONTENT], v[_ENDORSEMENT], cash, need, purchases, rung, stage, src, join_day,
                              trust, referrer, fatigue, group, events, last_reward, more, 0)
    counts[3] = len(keep)
    return np.concatenate((out[:n], more[: len(keep)])), counts, seats


@rule
def _acquire_day(h, v, t, demand, rebates, room, seats, group_size, cost_per_exposure, index, n_index, lv, stats,
                 need, deal, cycle, last_purchase, spend, private_purchases, purchases, rung, stage, src, join_day,
                 trust, referrer, fatigue, group, events, last_reward):
    """A day's acquisition without a budget cap in one call: exposure, platform orders, hooks, joins, books.

    :func:`_expose_day` (paid and organic exposure, the platform buyers), the platform orders'
    per-buyer writes (``purchase._count_orders``: they happen before the hooks, so a card
    joiner's rung counts its order), then :func:`_hooks`; today's join cash is
    ``v[_JOIN_CASH]`` while ``rebates`` run. The joiners are appended to the private-pool index
    ``index`` after its ``n_index`` entries (the caller gave it room: ``Population.index_buffer``).
    Then the day is booked into the ledger's values ``lv`` as the budget-capped path books it
    (:func:`book_day`). ``stats`` receives the seats filled afterwards and the joiners' count
    (``_SEATS``, ``_N_NEW``). The columns come last, as ``Population.acquire_columns`` holds them.
    """
    rng = as_generator(h)
    paid, buyers = _expose_day(rng, stage, events, last_purchase, cycle, need, purchases, v[_AD], v[_ORGANIC], t,
                               v[_PER_TOUCH], v[_BOOST], demand)
    n_first = _purchase._count_orders(buyers, t, v[_REVENUE], False, purchases, last_purchase, spend,
                                      private_purchases, events)
    new, counts, seats = _hooks(rng, buyers, paid, rebates, v, room, seats, group_size, t,
                                v[_JOIN_CASH] if rebates else 0.0, deal, need, purchases, rung, stage, src, join_day,
                                trust, referrer, fatigue, group, events, last_reward)
    k = len(new)
    index[n_index : n_index + k] = new
    book_day(lv, v, len(paid), cost_per_exposure, len(buyers), n_first, counts, rebates)
    stats[_SEATS] = seats
    stats[_N_NEW] = k


@rule
def book_day(lv, v, n_paid, cost_per_exposure, n_buyers, n_first, joins, rebates):
    """Book a day's acquisition into the ledger's values ``lv``: the ads, the platform orders, each hook's joiners.

    ``n_paid`` exposures at ``cost_per_exposure`` (``cost_ads``, ``acq_cost``), the ``n_buyers``
    platform orders (:func:`_book_platform_orders`) and the joiners through each hook of
    :data:`HOOK_ORDER` (``joins``, :func:`book_joins` with the hook's cost and today's join cash
    while ``rebates`` run), in the order the budget-capped path books them.
    """
    cost = n_paid * cost_per_exposure
    lv[_L_COST_ADS] += cost
    lv[_L_ACQ] += cost
    if n_buyers:
        _book_platform_orders(lv, v, n_buyers, n_first)
    cash = v[_JOIN_CASH] if rebates else 0.0
    for j in range(4):
        if joins[j]:
            book_joins(lv, joins[j], JOIN_SLOT[_HOOK_SOURCE[j]], True, v[_HOOK_COST + j], cash)


@rule
def _book_platform_orders(lv, v, n, n_first):
    """Book ``n`` platform orders (``n_first`` first orders) at list price: counts, money, commission.

    The same entries, in the same order, as ``purchase.book`` of platform orders (no discount),
    into the ledger's values ``lv``; the order's revenue, margin and commission from the
    scenario's values ``v``.
    """
    gmv = v[_REVENUE] * n
    lv[_L_FIRST] += n_first
    lv[_L_PURCHASES] += n
    lv[_L_GMV] += gmv
    lv[_L_MARGIN] += v[_MARGIN] * n
    lv[_L_PLATFORM] += n
    lv[_L_PLATFORM_GMV] += gmv
    lv[_L_COMMISSION] += v[_COMMISSION] * gmv


@rule
def book_joins(lv, k, slot, has_hook, cost_per_join, cash):
    """Book ``k`` joiners into the ledger's values ``lv``: the counts, the hook's cost per join, today's join cash.

    ``slot`` is the join channel's count (:data:`JOIN_SLOT`); ``cost_per_join`` is booked only
    for a hook (``has_hook``), ``cash`` (today's join cash) only when positive.
    """
    k = float(k)
    lv[_L_NEW_JOINS] += k
    lv[slot] += k
    if has_hook:
        cost = cost_per_join * k
        lv[_L_HOOKS] += cost
        lv[_L_ACQ] += cost
    if cash > 0:
        cost = cash * k
        lv[_L_REBATES] += cost
        lv[_L_ACQ] += cost


class AcquisitionParams(NamedTuple):
    """A scenario's acquisition parameters, read once per scenario (see :func:`params_for`)."""

    values: np.ndarray     # float64, as the compiled calls take them (indices _AD, _ORGANIC, ...)
    hooks: tuple           # the Hook of each of HOOK_ORDER
    sources: tuple         # the Source of each of HOOK_ORDER
    public: Public         # the public section (cost_per_exposure)
    capacity: int          # most users the private pool can hold (pool_capacity)


_PARAMS: tuple = (None, None)  # (scenario, its AcquisitionParams): the last scenario asked for


def pool_capacity(sc: Scenario) -> int:
    """Most users the private pool can hold: accounts × friends per account (the admission rule's room)."""
    tp = sc.touchpoints
    return tp.max_accounts * tp.friends_per_account


def params_for(sc: Scenario) -> AcquisitionParams:
    """The acquisition parameters of ``sc`` (kept for the last scenario: a run asks every day)."""
    global _PARAMS
    cached = _PARAMS
    if cached[0] is sc:
        return cached[1]
    pub, st, tr, hooks, prod = sc.public, sc.strategy, sc.trust, sc.strategy.hooks, sc.product
    hs = tuple(getattr(hooks, name) for name, _ in HOOK_ORDER)
    v = np.zeros(_N_VALUES, dtype=np.float64)
    v[_AD], v[_ORGANIC] = pub.ad_reach_per_day, pub.organic_reach_per_day
    v[_PER_TOUCH], v[_BOOST] = pub.platform_conversion / prod.decision_touches, pub.platform_repeat_boost
    for k, hk in enumerate(hs):
        v[_OFFERED + k] = 1.0 if hk.enabled and hk.take_up > 0 else 0.0
        v[_TAKE_UP + k], v[_SELECTION + k] = hk.take_up, hk.selection
        v[_HOOK_COST + k] = hk.cost_per_join
    v[_CONTENT_SHARE] = hooks.content_reach_per_day if hooks.content.enabled else 0.0
    v[_GROUP_SHARE], v[_ENTRY] = sc.touchpoints.group_share, st.entry_threshold
    v[_TRUST_INITIAL], v[_TRUST_CONTENT], v[_ENDORSEMENT] = tr.initial, tr.initial_content, tr.endorsement
    v[_JOIN_CASH], v[_REVENUE] = st.join_cash, prod.order_value  # a platform order is at list price
    v[_MARGIN], v[_COMMISSION] = prod.order_value * prod.margin_rate, pub.platform_commission
    out = AcquisitionParams(v, hs, tuple(source for _, source in HOOK_ORDER), pub, pool_capacity(sc))
    _PARAMS = (sc, out)
    return out


def acquire(model) -> None:
    """Run today's public exposure, platform orders and hook take-up (the PublicChannel's step).

    Without a budget cap the day is one compiled call (:func:`_acquire_day`, which also books
    it); with one, :func:`_acquire_capped` asks the budget before the ads and before each hook's
    joiners. Both take the same draws in the same order and book the same entries.
    """
    day, led = model.day, model.ledger
    if not day.public_open:
        led["public_open"] = 0.0
        return
    led["public_open"] = 1.0
    if model.budget.active:
        _acquire_capped(model)
        return
    ap = params_for(model.scenario)
    pop, groups = model.pop, model.groups
    t = day.t
    room = max(0, ap.capacity - model.touchpoints.pool_size())
    index, n_index, _ = pop.index_buffer(min(room, pop.n - pop.n_joined))  # room for every joiner it could admit
    stats = np.empty(_N_STATS, dtype=np.int64)
    _acquire_day(handle(model.rng), ap.values, t, float(day.demand), day.rebates_active, room, groups.seats_filled,
                 groups.size, cost_per_exposure(ap.public, t), index, n_index, led.values, stats,
                 *pop.acquire_columns)
    k = int(stats[_N_NEW])
    if k:
        pop.indexed(k)
        groups.fill(int(stats[_SEATS]))


def _acquire_capped(model) -> None:
    """:func:`acquire` under a budget cap: paid exposures and each hook's joiners as the budget allows.

    The draws and writes of :func:`_acquire_day`, step by step, with the budget asked between
    them (``BudgetTracker.stopped``, ``affordable``; the hooks' joiners through ``Touchpoints.admit``).
    """
    sc, pop, day, led = model.scenario, model.pop, model.day, model.ledger
    ap, budget = params_for(sc), model.budget
    v, t = ap.values, day.t
    rh = handle(model.rng)
    paid = _sample(rh, pop.stage, 0.0 if budget.stopped("ads") else v[_AD])
    organic = _sample(rh, pop.stage, v[_ORGANIC])
    cpe = cost_per_exposure(ap.public, t)
    if "cost_ads" in budget.columns:  # the budget pays for so many exposures
        paid = paid[: budget.affordable(cpe, len(paid))]
    led.add("cost_ads", len(paid) * cpe)
    led.add("acq_cost", len(paid) * cpe)
    # platform orders: no relationship, commission to the platform
    exposed, p = _exposure(paid, organic, int(t), pop.events, pop.last_purchase, pop.cycle, pop.need, pop.purchases,
                           v[_PER_TOUCH], v[_BOOST], float(day.demand))
    buyers = _platform_buyers(rh, exposed, p)
    if len(buyers):
        n_first = _purchase._count_orders(buyers, int(t), v[_REVENUE], False, pop.purchases, pop.last_purchase,
                                          pop.spend, pop.private_purchases, pop.events)
        _book_platform_orders(led.values, v, len(buyers), n_first)
    # hooks, first taken wins: card (buyers), cash and gift (paid exposures), content (readers)
    admit, deal, hooks = model.touchpoints.admit, pop.deal, ap.hooks

    def offer(k: int, idx: np.ndarray) -> None:
        admit(_taken(rh, idx, deal, v[_OFFERED + k] > 0, v[_TAKE_UP + k], v[_SELECTION + k]), ap.sources[k],
              hooks[k])

    offer(0, buyers)
    rest = _still_in_public(paid, pop.stage)
    if day.rebates_active:  # cash for joining is a rebate: it stops with the others
        offer(1, rest)
    offer(2, _still_in_public(rest, pop.stage))
    if hooks[3].enabled:
        offer(3, _sample(rh, pop.stage, v[_CONTENT_SHARE]))


# the platform orders' per-buyer writes (``_count_orders``); imported last because ``purchase``
# imports :func:`readiness` from this module
from sim.mechanisms import purchase as _purchase  # noqa: E402
