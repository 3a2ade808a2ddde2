"""The compiled acquisition day (``sim.mechanisms.acquisition``): the exposure ids' sort, the
admission rule in one call, the four hooks in one call, and the Generator handle they draw from.

Without a budget cap a day's acquisition is two compiled calls; with one it asks the budget
between the steps (the Python path). With a cap that never binds both must take the same draws
in the same order and write the same state: the main check here, on a day where every hook runs.
"""

from __future__ import annotations

import numpy as np
import pytest
from siyu_harness import joined, new_day, tiny

from sim.jit import rule
from sim.mechanisms import acquisition, community
from sim.mechanisms.community import Groups
from sim.mechanisms.streams import as_generator, handle
from sim.population import NEVER, Event, Source, Stage

_ALL_HOOKS = {
    f"strategy__hooks__{k}__{f}": v
    for k, (tu, cost, sel) in {"package_card": (0.9, 2.0, 0.0), "cash": (0.4, 7.0, 0.8),
                               "gift": (0.5, 5.0, -0.3), "content": (0.6, 3.0, -0.8)}.items()
    for f, v in (("enabled", True), ("take_up", tu), ("cost_per_join", cost), ("selection", sel))
}


@pytest.mark.parametrize(("n", "ids"), [
    (10, []), (10, [3]), (1, [0, 0, 0]), (20_000, [19_999, 0, 7, 7, 12_000, 3]),
    (50, list(range(49, -1, -1))), (1_000, [500] * 30 + [499, 501]),
])
def test_sort_ids_orders_ids_like_numpy(n, ids):
    x = np.array(ids, dtype=np.int64)
    assert acquisition.sort_ids(x, n).tolist() == sorted(ids)


def test_sort_ids_orders_uniform_draws_like_numpy():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(1, 60_000))
        x = rng.integers(0, n, int(rng.integers(0, 4_000)))
        assert np.array_equal(acquisition.sort_ids(x, n), np.sort(x))


def _hooked_day(t: int, joined_first: int = 0, **over):
    """A model of 3,000 users, all four hooks on (``_ALL_HOOKS``, then ``over``), ready for day ``t``'s acquisition."""
    sc = tiny(population__n_users=3_000, public__ad_reach_per_day=0.3, public__platform_conversion=0.5,
              strategy__hooks__content_reach_per_day=0.1, **{**_ALL_HOOKS, **over})
    m = joined(sc, joined_first)
    new_day(m, t, rebates_active=True)
    return m


def _capped_twin(sc, k):
    """Two models of ``sc`` with users 0..k-1 joined: without a cap, and with one that never binds."""
    free = joined(sc, k)
    capped = joined(sc.with_overrides({"budget.monthly_cap": 1e9}), k)
    assert not free.budget.active and capped.budget.active
    return free, capped


@pytest.mark.parametrize("rebates", [True, False])
@pytest.mark.parametrize("capacity", [5_000, 230])
@pytest.mark.parametrize("content_take_up", [0.6, 0.0])  # 0: the content hook reaches readers, none take it
def test_the_compiled_day_takes_the_capped_path_s_draws_and_writes_its_state(rebates, capacity, content_take_up):
    sc = tiny(population__n_users=3_000, public__ad_reach_per_day=0.2, public__organic_reach_per_day=0.05,
              public__platform_conversion=0.6, strategy__hooks__content_reach_per_day=0.1,
              strategy__join_cash=2.0, strategy__entry_threshold=0.3, touchpoints__group_share=0.5,
              touchpoints__group_size=10, touchpoints__friends_per_account=capacity, touchpoints__max_accounts=1,
              **{**_ALL_HOOKS, "strategy__hooks__content__take_up": content_take_up})
    free, capped = _capped_twin(sc, 40)
    for m in (free, capped):
        m.pop.purchases[100:400] = 1  # past platform buyers: the card joiners' rungs differ
        new_day(m, 5, rebates_active=rebates, demand=0.8)
        acquisition.acquire(m)
    assert dict(free.ledger) == dict(capped.ledger)
    led_f = free.ledger
    assert led_f["new_joins"] > 20 and led_f["joins_card"] > 0
    if capacity == 5_000:  # every hook admits someone
        assert led_f["joins_gift"] > 0 and (led_f["joins_content"] > 0) == (content_take_up > 0)
        assert (led_f["joins_cash"] > 0) == rebates
    for name in ("stage", "rung", "source", "trust", "group", "join_day", "last_reward", "events", "purchases"):
        assert np.array_equal(getattr(free.pop, name), getattr(capped.pop, name)), name
    assert np.array_equal(free.pop.joined, capped.pop.joined) and free.pop.n_joined == capped.pop.n_joined
    assert free.groups.seats_filled == capped.groups.seats_filled
    assert np.array_equal(free.groups.activity, capped.groups.activity)
    assert free.rng.bit_generator.state == capped.rng.bit_generator.state
    if capacity < 5_000:  # the accounts filled up, across the hooks: nobody later gets in
        assert free.pop.n_joined == capacity and led_f["joins_content"] == 0


def test_hooks_reach_their_audience_in_order_and_pay_their_own_costs():
    m = _hooked_day(2, strategy__join_cash=0.0)
    sc = m.scenario
    acquisition.acquire(m)
    pop, led = m.pop, m.ledger
    src = pop.source
    card = np.flatnonzero(src == Source.CARD)
    assert len(card) == led["joins_card"] > 0 and (pop.events[card] & Event.PLATFORM_BUY).all()
    for s in (Source.CASH, Source.GIFT):  # the paid exposures' hooks
        who = np.flatnonzero(src == s)
        assert len(who) > 0 and (pop.events[who] & Event.EXPOSED).all()
    assert (pop.last_reward[src == Source.CASH] == 2).all()  # cash back for joining: a reward
    assert (pop.last_reward[(src == Source.GIFT) | (src == Source.CARD)] == NEVER).all()
    content = np.flatnonzero(src == Source.CONTENT)
    assert len(content) > 0 and (pop.trust[content] == np.float32(sc.trust.initial_content)).all()
    assert (pop.stage[card] == Stage.CUSTOMER).all()  # their platform order counts: customers
    n = {k: led[f"joins_{k}"] for k in ("card", "cash", "gift", "content")}
    assert led["cost_hooks"] == pytest.approx(2.0 * n["card"] + 7.0 * n["cash"] + 5.0 * n["gift"] + 3.0 * n["content"])
    assert led["new_joins"] == sum(n.values()) == pop.n_joined == len(pop.joined)
    assert led["cost_rebates"] == 0
    assert (pop.referrer[src != Source.NONE] == -1).all()  # a hook's joiners were brought by no one


def test_a_join_cash_under_one_rmb_rewards_every_joiner_and_is_booked_as_a_rebate():
    m = _hooked_day(4, strategy__join_cash=0.5)
    acquisition.acquire(m)
    pop, led = m.pop, m.ledger
    who = pop.joined
    assert len(who) > 20 and (pop.last_reward[who] == 4).all() and (pop.events[who] & Event.REWARDED).all()
    assert led["cost_rebates"] == pytest.approx(0.5 * len(who))


def test_a_full_pool_admits_nobody_and_a_day_books_onto_what_was_booked_before():
    m = _hooked_day(3, 100, touchpoints__friends_per_account=100, touchpoints__max_accounts=1)  # the account is full
    sc = m.scenario
    for key in ("cost_ads", "acq_cost", "first_purchases", "purchases", "gmv", "margin", "platform_purchases",
                "platform_gmv", "cost_commission"):
        m.ledger.add(key, 1.0)
    acquisition.acquire(m)
    led, v = m.ledger, acquisition.params_for(sc).values
    assert m.pop.n_joined == 100 and led["new_joins"] == 0 and led["platform_purchases"] > 1
    n = led["platform_purchases"] - 1.0
    assert led["purchases"] == 1.0 + n and led["gmv"] == pytest.approx(1.0 + n * v[acquisition._REVENUE])
    assert led["platform_gmv"] == led["gmv"] and led["margin"] == pytest.approx(1.0 + n * v[acquisition._MARGIN])
    assert led["first_purchases"] == 1.0 + n  # nobody had bought before: every platform order is a first one
    assert led["cost_commission"] == pytest.approx(1.0 + v[acquisition._COMMISSION] * n * v[acquisition._REVENUE])
    assert led["cost_ads"] > 1.0 and led["acq_cost"] == led["cost_ads"]


def test_book_joins_adds_the_joiners_their_hook_s_cost_and_the_join_cash_to_the_day():
    from sim.mechanisms.day import KEY, LEDGER_KEYS

    lv = np.ones(len(LEDGER_KEYS))
    slot = acquisition.JOIN_SLOT[Source.GIFT]
    acquisition.book_joins(lv, 3, slot, True, 2.0, 0.0)  # a hook's joiners, no join cash
    assert lv[KEY["new_joins"]] == 4.0 and lv[slot] == 4.0 and lv[KEY["cost_hooks"]] == 7.0 and lv[KEY["acq_cost"]] == 7.0
    assert lv[KEY["cost_rebates"]] == 1.0
    acquisition.book_joins(lv, 2, slot, False, 2.0, 1.5)  # referred joiners (no hook) paid join cash
    assert lv[slot] == 6.0 and lv[KEY["cost_hooks"]] == 7.0 and lv[KEY["cost_rebates"]] == 4.0
    assert lv[KEY["acq_cost"]] == 10.0 and lv[KEY["new_joins"]] == 6.0


def test_the_content_hook_is_offered_by_its_own_take_up():
    m = _hooked_day(2, strategy__hooks__package_card__take_up=0.0)
    acquisition.acquire(m)
    assert m.ledger["joins_content"] > 0 and m.ledger["joins_card"] == 0


def _admit(m, idx, room, seats, group_share, source=Source.GIFT, refs=None, rewarded=False, t=3):
    pop = m.pop
    out = np.full(len(idx), -1, dtype=np.int64)
    keep, seats_after = acquisition.admit_users(
        handle(m.rng), idx, refs if refs is not None else idx, refs is not None, room, seats, 4, group_share, 0.5,
        source.value, t, 0.2, 0.5, rewarded, pop.need, *pop.join_columns, out, 0)
    return keep, seats_after, out[: len(keep)]


def test_admit_users_takes_the_first_needy_users_while_there_is_room():
    m = joined(tiny(), 0)
    pop = m.pop
    pop.need[:10] = [0.9, 0.1, 0.6, 0.5, 0.49, 0.8, 0.7, 0.2, 0.9, 0.9]
    idx = np.arange(10, dtype=np.int64)
    keep, seats, who = _admit(m, idx, room=4, seats=0, group_share=0.0, rewarded=True)
    assert keep.tolist() == [0, 2, 3, 5] and who.tolist() == [0, 2, 3, 5] and seats == 0
    assert (pop.stage[who] == Stage.FOLLOWER).all() and (pop.source[who] == Source.GIFT).all()
    assert (pop.join_day[who] == 3).all() and (pop.last_reward[who] == 3).all()
    assert (pop.events[who] & Event.JOINED).all() and (pop.events[who] & Event.REWARDED).all()
    assert (pop.trust[who] == np.float32(0.2)).all() and (pop.group[who] == -1).all()
    assert pop.stage[[1, 4, 6, 7, 8, 9]].tolist() == [Stage.PUBLIC] * 6
    keep, seats, who = _admit(m, idx[6:], room=0, seats=0, group_share=1.0)
    assert len(keep) == 0 and seats == 0 and pop.stage[6] == Stage.PUBLIC


def test_admit_users_seats_group_members_in_order_and_endorses_referred_joiners():
    m = joined(tiny(), 0)
    pop = m.pop
    pop.need[:20] = 1.0
    pop.trust[30] = 0.4
    idx = np.arange(20, dtype=np.int64)
    refs = np.full(20, 30, dtype=np.int64)
    keep, seats, who = _admit(m, idx, room=100, seats=6, group_share=1.0, source=Source.REFERRAL, refs=refs)
    assert len(keep) == 20 and seats == 26
    assert pop.group[:20].tolist() == [(6 + q) // 4 for q in range(20)]  # seats 6..25, 4 a group
    assert (pop.referrer[:20] == 30).all()
    assert (pop.trust[:20] == np.float32(0.2) + np.float32(0.5) * np.float32(0.4)).all()
    assert (pop.last_reward[:20] == NEVER).all()


def test_admit_users_draws_group_membership_once_per_joiner_in_float32():
    m = joined(tiny(population__n_users=4_000), 0)
    m.pop.need[:] = 1.0
    idx = np.arange(3_000, dtype=np.int64)
    twin = np.random.default_rng(0)
    twin.bit_generator.state = m.rng.bit_generator.state
    keep, seats, who = _admit(m, idx, room=10_000, seats=0, group_share=0.7)
    want = twin.random(3_000, dtype=np.float32) < 0.7
    assert np.array_equal(m.pop.group[:3_000] >= 0, want) and seats == int(want.sum())
    assert m.rng.bit_generator.state == twin.bit_generator.state


def test_groups_fill_opens_the_groups_the_seats_reach_and_keeps_the_others():
    g = Groups(100, 5, 0.8)
    g.fill(7)
    assert g.count == 2 and g.activity[:3].tolist() == pytest.approx([0.8, 0.8, 0.0])
    g.activity[:2] = 0.1
    g.fill(10)   # the second group fills up: nothing opens
    assert g.count == 2 and g.activity[:3].tolist() == pytest.approx([0.1, 0.1, 0.0])
    g.fill(11)
    assert g.count == 3 and g.activity[:3].tolist() == pytest.approx([0.1, 0.1, 0.8])
    assert g.assign(3).tolist() == [2, 2, 2] and g.seats_filled == 14


@rule
def _draw_through(h, n, k):
    rng = as_generator(h)
    return (rng.random(k, dtype=np.float32), rng.integers(0, n, k), rng.binomial(n, 0.013), rng.random(k),
            rng.permutation(k), rng.random(k % 7, dtype=np.float32))


@pytest.mark.parametrize("k", [0, 1, 613])
def test_a_generator_handle_draws_what_numpy_draws(k):
    a, b = np.random.default_rng(11), np.random.default_rng(11)
    for _ in range(3):
        got = _draw_through(handle(a), 20_000, k)
        want = (b.random(k, dtype=np.float32), b.integers(0, 20_000, k), b.binomial(20_000, 0.013), b.random(k),
                b.permutation(k), b.random(k % 7, dtype=np.float32))
        for x, y in zip(got, want, strict=True):
            assert np.array_equal(x, y)
        a.random(3)  # numpy draws in between continue the same stream
        b.random(3)
    assert a.bit_generator.state == b.bit_generator.state
    assert handle(a) is handle(a)  # read once per Generator


@pytest.mark.parametrize(("decay", "s"), [(0.1, 0.35), (0.37, 0.0), (0.0, 1.0), (0.02, 0.0123)])
def test_a_day_of_group_activity_rounds_like_the_numpy_steps(decay, s):
    from sim.mechanisms.community import _activity_day

    a = np.random.default_rng(5).random(300, dtype=np.float32)
    want = a.copy()
    want *= 1.0 - decay
    want += (1.0 - want) * min(s, 1.0)
    _activity_day(a, 1.0 - decay, min(s, 1.0))
    assert np.array_equal(a, want) and a.dtype == np.float32


@pytest.mark.parametrize("n", [1, 2, 7, 8, 9, 15, 16, 17, 127, 128, 129, 136, 255, 256, 1_000, 4_099])
def test_the_mean_activity_is_numpy_s_float32_mean_to_the_bit(n):
    from sim.mechanisms.community import mean_float32

    rng = np.random.default_rng(n)
    for scale in (1.0, 1e-3, 3e4):
        a = (rng.random(n) * scale).astype(np.float32)
        a[rng.integers(0, n, max(1, n // 5))] = np.float32(1.0) / np.float32(3.0)  # values whose sums round
        got = mean_float32(a)
        assert got == np.mean(a) and np.float32(got) == np.mean(a), (n, scale)
    # a sum in the wrong order (plain, or pairwise with other blocks) differs from numpy's on some of these
    assert mean_float32(np.full(n, np.float32(0.1))) == np.mean(np.full(n, np.float32(0.1)))


def test_groups_mean_activity_over_the_opened_groups():
    g = Groups(1_000, 10, 0.8)
    assert g.mean_activity() == 0.0
    g.fill(25)  # three groups open
    g.activity[:3] = np.array([0.1, 0.2, 0.4], dtype=np.float32)
    g.activity[3] = 0.9  # not opened: not counted
    assert g.mean_activity() == float(np.mean(g.activity[:3])) == pytest.approx(0.7 / 3)


def test_the_day_s_joiners_are_indexed_whether_or_not_the_index_has_room_left():
    sc = tiny(population__n_users=3_000, public__ad_reach_per_day=0.2, public__platform_conversion=0.6,
              strategy__hooks__content_reach_per_day=0.1, **_ALL_HOOKS)
    roomy, full = joined(sc, 40), joined(sc, 40)
    full.pop._joined = full.pop._joined[:40].copy()  # no room after the 40 joined: grown before the call
    roomy.pop._grow(3_000)  # room for every public user: the compiled call writes into this buffer
    buffer = roomy.pop._joined
    for m in (roomy, full):
        new_day(m, 3, rebates_active=True)
        acquisition.acquire(m)
    assert roomy.ledger["new_joins"] > 20 and dict(roomy.ledger) == dict(full.ledger)
    assert np.array_equal(roomy.pop.joined, full.pop.joined) and roomy.pop.n_joined == full.pop.n_joined == 40 + \
        roomy.ledger["new_joins"]
    assert len(full.pop._joined) > 40 and roomy.pop._joined is buffer  # one grew, the other was written in place
    assert set(np.flatnonzero(roomy.pop.join_day == 3).tolist()) <= set(roomy.pop.joined.tolist())


def test_the_plan_and_the_activity_rule_follow_the_scenario_in_force():
    sc = tiny(strategy__rebate_end_day=10, strategy__red_packet_every_days=5, strategy__campaign_every_days=4,
              strategy__content_posts_per_day=1.0, community__content_stimulus=0.5, community__activity_decay=0.0,
              community__initial_activity=0.2, touchpoints__group_size=10)
    later = sc.with_overrides({"strategy.rebate_end_day": 30, "strategy.campaign_every_days": 0,
                               "strategy.content_posts_per_day": 0.0})
    m = joined(sc, 0)
    m.groups.fill(5)
    day = new_day(m, 20)
    m.operator.plan()
    assert not day.rebates_active and not day.red_packet and day.campaign
    community.update_activity(m)
    assert m.groups.activity[0] == pytest.approx(0.6)  # content lifts half the way
    m.scenario = later  # as a phase switch does
    day = new_day(m, 20)
    m.operator.plan()
    assert day.rebates_active and day.red_packet and not day.campaign
    community.update_activity(m)
    # no content in force: only the red packet lifts, half the way (with content's 0.5 it would be full)
    assert m.groups.activity[0] == pytest.approx(0.8) and m.groups.red_packets == 1


def test_params_for_holds_each_number_of_the_scenario_in_its_slot_read_once_per_scenario():
    A = acquisition
    sc = tiny(public__ad_reach_per_day=0.003, public__organic_reach_per_day=0.002, public__platform_conversion=0.06,
              product__decision_touches=3, public__platform_repeat_boost=0.5, strategy__hooks__cash__enabled=True,
              strategy__hooks__cash__take_up=0.2, strategy__hooks__cash__selection=0.4,
              strategy__hooks__cash__cost_per_join=1.5, strategy__hooks__gift__enabled=True,
              strategy__hooks__gift__take_up=0.0, strategy__hooks__content__enabled=True,
              strategy__hooks__content_reach_per_day=0.01, touchpoints__group_share=0.3, strategy__entry_threshold=0.2,
              trust__initial=0.1, trust__initial_content=0.15, trust__endorsement=0.25, strategy__join_cash=2.0,
              product__order_value=80.0, product__margin_rate=0.4, public__platform_commission=0.05,
              touchpoints__max_accounts=3, touchpoints__friends_per_account=500)
    ap = A.params_for(sc)
    v, hooks = ap.values, sc.strategy.hooks
    assert v.dtype == np.float64 and len(v) == A._N_VALUES
    assert v[A._AD] == 0.003 and v[A._ORGANIC] == 0.002 and v[A._PER_TOUCH] == 0.06 / 3 and v[A._BOOST] == 0.5
    for k, (name, source) in enumerate(A.HOOK_ORDER):
        hk = getattr(hooks, name)
        assert ap.hooks[k] is hk and ap.sources[k] == source
        assert v[A._OFFERED + k] == (1.0 if hk.enabled and hk.take_up > 0 else 0.0)
        assert v[A._TAKE_UP + k] == hk.take_up and v[A._SELECTION + k] == hk.selection
        assert v[A._HOOK_COST + k] == hk.cost_per_join
    assert v[A._OFFERED + 1] == 1.0 and v[A._OFFERED + 2] == 0.0  # cash offered; a gift nobody takes is not
    assert v[A._TAKE_UP + 1] == 0.2 and v[A._SELECTION + 1] == 0.4 and v[A._HOOK_COST + 1] == 1.5
    assert v[A._CONTENT_SHARE] == 0.01 and v[A._GROUP_SHARE] == 0.3 and v[A._ENTRY] == 0.2
    assert (v[A._TRUST_INITIAL], v[A._TRUST_CONTENT], v[A._ENDORSEMENT]) == (0.1, 0.15, 0.25)
    assert v[A._JOIN_CASH] == 2.0 and v[A._REVENUE] == 80.0 and v[A._MARGIN] == 80.0 * 0.4
    assert v[A._COMMISSION] == 0.05 and ap.public is sc.public and ap.capacity == 1500
    assert A.params_for(sc) is ap  # the same scenario again: read once
    off = sc.with_overrides({"strategy.hooks.content.enabled": False})
    assert A.params_for(off).values[A._CONTENT_SHARE] == 0.0 and A.params_for(off) is not ap
