"""The day's fused compiled calls (docs/PERFORMANCE.md, issue 9, third round: day) give exactly what
their separate steps give.

Without a budget cap the morning pass and the booking of its orders are one compiled call
(``pool._morning_orders``); with a cap the orders are booked afterwards through ``purchase.book``.
On a day without a campaign the sharers and their cascade's exposures are one compiled call
(``pool._share_cascade``); on a campaign day the cascade runs through ``referral.spread``. Each
pair is compared on the same model state and seed, so a broken fused call (or a broken split
one) shows as a difference. Small populations: these run under the mutation tests (pure Python).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from siyu_harness import joined, new_day, tiny

import sim
from sim.mechanisms import pool, referral
from sim.mechanisms.budget import RED_PACKET_KEY
from sim.model import SiyuModel
from sim.population import Event, Source, Stage

COLUMNS = ("stage", "rung", "trust", "fatigue", "purchases", "private_purchases", "spend", "last_purchase",
           "last_reward", "leave_day", "leave_cause", "events", "referrals", "group_buys", "referrer")


def _state(m) -> dict:
    cols = {name: getattr(m.pop, name).copy() for name in COLUMNS}
    return {**cols, "ledger": dict(m.ledger), "capacity": m.capacity_left, "churned": m.n_churned(),
            "rng": m.rng.bit_generator.state, "draws": m.draws.tolist(), "reach": m.day.reach.tolist()}


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], np.ndarray):
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        else:
            assert a[key] == b[key], key


def _buying_model(cap: float, **overrides):
    sc = tiny(**{"purchase.conversion_floor": 0.9, "purchase.conversion_ceiling": 1.0, "purchase.unprompted_share": 1.0, "fulfilment.failure_rate": 0.3, "trust.failure_loss": 0.6,
                 "strategy.cashback_rate": 0.2, "strategy.partner_program": True,
                 "strategy.partner_commission": 0.1, "budget.monthly_cap": cap,
                 **{k.replace("__", "."): v for k, v in overrides.items()}})
    m = joined(sc, 300, trust=0.4, seed=3)
    m.pop.need[:300] = 1.0
    m.pop.cycle[:300] = 1.0
    m.pop.last_purchase[:300] = -100
    m.pop.stage[0] = m.pop.rung[0] = Stage.PARTNER
    m.pop.referrer[10:60] = 0
    new_day(m, 7, rebates_active=True)
    m.capacity_left = 25
    return m


@pytest.mark.parametrize("capacity", [0.0, 1.0])
def test_the_morning_books_its_orders_in_one_call_exactly_as_the_booking_does(capacity):
    fused = _buying_model(0.0, fulfilment__capacity_per_day=capacity)
    split = _buying_model(1e9, fulfilment__capacity_per_day=capacity)  # a cap that never binds: booked after
    assert not fused.budget.active and split.budget.active
    pool.morning(fused)
    pool.morning(split)
    a, b = _state(fused), _state(split)
    _assert_same(a, b)
    led = a["ledger"]
    buyers = a["events"] & Event.BOUGHT.value > 0
    failed = a["events"] & Event.FAILED.value > 0
    assert 100 < buyers.sum() == led["private_purchases"] and led["failures"] == failed.sum() > 0
    assert (failed <= buyers).all() and (a["events"] & Event.REWARDED.value > 0).sum() == buyers.sum()
    assert led["cost_rebates"] == pytest.approx(0.2 * fused.scenario.product.order_value * buyers.sum())
    assert led["cost_referrals"] == pytest.approx(0.1 * fused.scenario.product.order_value * buyers[10:60].sum())
    lost = (a["stage"] == Stage.CHURNED) & failed
    assert lost.sum() == led["leaves_failed_order"] > 0 and (a["leave_day"][lost] == 7).all()
    if capacity:
        assert a["capacity"] == 0 and failed.sum() >= buyers.sum() - 25  # beyond capacity every order fails
    else:
        assert a["capacity"] == 25


@pytest.mark.parametrize("network", ["well_mixed", "scale_free"])
def test_sharers_and_their_cascade_in_one_call_equal_the_campaign_days_path(network):
    def model():
        sc = tiny(**{"referral.share_rate": 1.0, "referral.join_prob": 0.5, "network.kind": network,
                     "strategy.group_buy_size": 2, "strategy.referral_reward": 5.0, "strategy.seeds_per_campaign": 0.0})
        m = joined(sc, 150, trust=0.9, seed=5)
        m.pop.purchases[:150] = 1
        new_day(m, 4, rebates_active=True)
        pool.morning(m)
        return m

    fused, split = model(), model()
    split.day.campaign = True  # no seeds (seeds_per_campaign 0): the same sharers through referral.spread
    pool.share(fused)
    pool.share(split)
    a, b = _state(fused), _state(split)
    _assert_same(a, b)
    shared = a["events"] & Event.SHARED.value > 0
    assert shared.sum() == a["ledger"]["referrals"] > 20 and (a["group_buys"][shared] == 1).all()
    assert a["ledger"]["referral_joins"] == a["referrals"].sum() > 0
    assert (a["stage"][150:] != Stage.PUBLIC).sum() == a["ledger"]["referral_joins"]


# --- the pool's whole day in one call (pool.day) ----------------------------------------------------
DAY_COLUMNS = (*COLUMNS, "source", "join_day", "group", "messages", "mute_cause")


def _day_state(m) -> dict:
    g = m.groups
    ledger = {k: "nan" if v != v else v for k, v in dict(m.ledger).items()}  # budget_left: NaN without a cap
    return {**{name: getattr(m.pop, name).copy() for name in DAY_COLUMNS}, "ledger": ledger,
            "capacity": m.capacity_left, "rng": m.rng.bit_generator.state, "draws": m.draws.tolist(),
            "reach": m.day.reach.tolist(), "churned": m.n_churned(), "row": m.daily().iloc[-1].to_numpy(dtype=float),
            "cum_profit": m._cum_profit, "joined": m.pop.joined.tolist(), "n_joined": m.pop.n_joined,
            "left_before": m.pop.n_left_before, "seats": g.seats_filled, "red_packets": g.red_packets,
            "activity": g.activity.copy(), "edge_used": m.edge_used.copy(), "fresh": m._fresh.copy()}


def _referral_day(room: int, **overrides):
    """A scale-free pool of 150 trusting buyers who share, on a day with rebates, cash back,
    partner commissions, failing orders beyond a capacity, group-buys and a red packet; 20 users
    muted, 10 who left earlier and 20 overloaded; one acquisition joiner not yet merged into the index."""
    sc = tiny(**{"network.kind": "scale_free", "referral.share_rate": 1.0, "referral.join_prob": 0.6,
                 "strategy.group_buy_size": 2, "strategy.referral_reward": 5.0, "strategy.join_cash": 2.0,
                 "strategy.cashback_rate": 0.2, "strategy.partner_program": True,
                 "strategy.partner_commission": 0.1, "strategy.red_packet_per_member": 1.5,
                 "strategy.one_to_one": True, "purchase.conversion_floor": 0.5, "fulfilment.failure_rate": 0.2,
                 "fulfilment.capacity_per_day": 300.0, "trust.failure_loss": 0.6, "touchpoints.group_share": 0.5,
                 "touchpoints.group_size": 10, "touchpoints.friends_per_account": room,
                 "touchpoints.max_accounts": 1, "fatigue.base_churn_per_year": 1.0, "fatigue.leave_rate": 0.5, "fatigue.mute_rate": 0.5,
                 **{k.replace("__", "."): v for k, v in overrides.items()}})
    m = joined(sc, 150, trust=0.9, seed=11)
    pop = m.pop
    pop.purchases[:150] = 1
    pop.need[:150] = 1.0
    pop.last_purchase[:150] = -100
    pop.stage[:5] = pop.rung[:5] = Stage.PARTNER
    pop.referrer[20:80] = 3
    pop.stage[100:120] = Stage.DORMANT
    pop.stage[120:130] = Stage.CHURNED
    m.add_churned(10)
    pop.fatigue[130:150] = 50.0  # overloaded: some mute, some leave this morning
    new_day(m, 9, rebates_active=True, red_packet=True, event=True, discount=0.1)
    m.capacity_left = 12  # fewer than the day's orders: the rest fail
    m.touchpoints.admit(np.array([397], dtype=np.int64), Source.GIFT, None)  # unsorted in the index
    return m


@pytest.mark.parametrize("room", [5_000, 175])
def test_the_common_day_in_one_call_equals_its_separate_calls(room):
    one, split = _referral_day(room), _referral_day(room)
    assert pool.fused(one)
    one._common_day()
    split._separate_day()
    got, want = _day_state(one), _day_state(split)
    _assert_same(got, want)
    led = got["ledger"]
    assert led["referral_joins"] > 10 and led["purchases"] > led["referral_joins"]  # group-buy orders too
    assert led["failures"] > 0 and led["leaves_failed_order"] > 0 and led["cost_referrals"] > 0
    assert led["mutes"] + led["leaves"] > 0 and led[RED_PACKET_KEY] > 0 and got["capacity"] == 0
    assert led["new_joins"] > led["referral_joins"] and led["cost_staff"] > 0 and got["red_packets"] == 1
    assert got["churned"] == (got["stage"] == Stage.CHURNED).sum()
    assert got["joined"] == np.flatnonzero((got["stage"] > 0) & (got["stage"] < Stage.CHURNED)).tolist()
    if room < 5_000:  # the accounts fill up: only as many joiners as the room
        assert got["n_joined"] - 150 == led["new_joins"] < 175 - 140  # the gift joiner of _referral_day too


@pytest.mark.parametrize("closed", [True, False])
def test_a_common_day_without_acquisition_takes_the_same_draws_as_the_separate_calls(closed):
    over = {"public.ad_reach_per_day": 0.3} if closed else {"mechanisms.acquisition": False}
    one, split = _referral_day(5_000, **over), _referral_day(5_000, **over)
    for m in (one, split):
        m.day.public_open = not closed
    one._common_day()
    split._separate_day()
    got = _day_state(one)
    _assert_same(got, _day_state(split))
    assert one.ledger["public_open"] == float(not closed) and one.ledger["cost_ads"] == 0


def test_an_empty_pool_s_day_without_acquisition_takes_no_draw_and_counts_those_who_left_before():
    m = joined(tiny(**{"network.kind": "scale_free", "mechanisms.acquisition": False}), 0)
    new_day(m, 3)
    m.pop._n_left = 4
    rng, draws = m.rng.bit_generator.state, m.draws.tolist()
    m._common_day()
    assert m.rng.bit_generator.state == rng and m.draws.tolist() == draws
    row = m.daily().iloc[-1]
    assert row["churned"] == m.n_churned() == 4 and row["private_pool"] == 0 and row["mean_trust"] == 0.0
    assert set(dict(m.ledger)) <= {"public_open", "budget_left", "cost_content"}


def test_the_one_call_day_is_taken_on_common_days_only():
    m = joined(tiny(**{"network.kind": "scale_free"}), 10)
    new_day(m, 1)
    assert pool.fused(m)
    m.day.campaign = True  # campaign seeds are drawn between the steps
    assert not pool.fused(m)
    assert not pool.fused(joined(tiny(), 10))  # well-mixed: the contacts are drawn between the steps
    capped = joined(tiny(**{"network.kind": "scale_free", "budget.monthly_cap": 1e6}), 10)
    new_day(capped, 1)
    assert not pool.fused(capped)  # a budget cap is asked between the steps


def test_a_run_of_one_call_days_equals_the_run_of_separate_calls(monkeypatch):
    sc = sim.load_scenario("hybrid_referral").with_overrides({
        "population.n_users": 2000, "horizon_days": 60, "referral.share_rate": 0.3, "referral.join_prob": 0.3,
        "fulfilment.failure_rate": 0.1, "strategy.group_buy_size": 2})
    one = sim.simulate(sc, 4)
    monkeypatch.setattr(pool, "fused", lambda model: False)
    split = sim.simulate(sc, 4)
    pd.testing.assert_frame_equal(one.daily, split.daily)
    pd.testing.assert_frame_equal(one.users, split.users)
    d = one.daily
    assert d["referral_joins"].sum() > 100 and d["failures"].sum() > 10 and d["leaves"].sum() > 10



# --- runs of common days in one call (SiyuModel.advance, pool.days) -------------------------------------
def _run_state(m) -> dict:
    """Everything a day leaves to the next, and the rows of results so far."""
    g, pop = m.groups, m.pop
    return {**{name: getattr(pop, name).copy() for name in DAY_COLUMNS}, "ints": m._ints[: m._days].copy(),
            "floats": m._floats[: m._days].copy(), "ledger": {k: "nan" if v != v else v for k, v in dict(m.ledger).items()},
            "capacity": m.capacity_left, "rng": m.rng.bit_generator.state, "draws": m.draws.tolist(),
            "reach": m.day.reach.tolist(), "churned": m.n_churned(), "cum_profit": m._cum_profit,
            "joined": pop.joined.tolist(), "n_joined": pop.n_joined, "left_before": pop.n_left_before,
            "seats": g.seats_filled, "red_packets": g.red_packets, "activity": g.activity.copy(),
            "t": m.t, "steps": m.steps, "phase": m.phase}


_ADVANCED = {  # common days between campaigns, red packets, a shock, a phase switch, failing orders
    "hybrid": ("hybrid_referral", {"strategy.red_packet_every_days": 3, "strategy.campaign_every_days": 9,
                                   "fulfilment.failure_rate": 0.1, "fulfilment.capacity_per_day": 20.0,
                                   "referral.share_rate": 0.3, "strategy.group_buy_size": 2}),
    "phased": ("black_swan", {"shocks": [{"start_day": 12, "days": 8, "public_closed": True, "demand_multiplier": 0.5}],
                              "network.kind": "small_world",
                              "phases": [{"from_day": 25, "strategy": {"ad_posts_per_day": 2.0, "red_packet_every_days": 4}}]}),
    "capped": ("rebate_led", {"budget.monthly_cap": 3000.0}),  # every day a step: the cap is asked between steps
    "mixed": ("hybrid_referral", {"network.kind": "well_mixed"}),  # every day a step: no network
}


@pytest.mark.parametrize("case", sorted(_ADVANCED))
def test_advance_is_the_same_run_as_as_many_steps(case, monkeypatch):
    name, over = _ADVANCED[case]
    sc = sim.load_scenario(name).with_overrides({"population.n_users": 4000, "horizon_days": 40, **over})
    stepped, advanced, pieces = (SiyuModel(sc, seed=3) for _ in range(3))
    for _ in range(40):
        stepped.step()
    runs, days_of = [], pool.days
    monkeypatch.setattr(pool, "days", lambda model, plans: runs.append(len(plans)) or days_of(model, plans))
    advanced.advance(40)
    for days in (1, 12, 2, 25):
        pieces.advance(days)
    want = _run_state(stepped)
    _assert_same(_run_state(advanced), want)
    _assert_same(_run_state(pieces), want)
    assert want["t"] == want["steps"] == 40 and want["n_joined"] > 20
    if case in ("capped", "mixed"):
        assert runs == []
    else:  # runs of common days as one call, a common day alone as one too
        assert max(runs) >= 5 and sum(runs) > 25 and 1 in runs



def test_two_common_days_are_one_call_and_a_run_past_the_horizon_grows_its_tables(monkeypatch):
    sc = sim.load_scenario("hybrid_referral").with_overrides({"population.n_users": 600, "horizon_days": 5})
    runs, days_of = [], pool.days
    monkeypatch.setattr(pool, "days", lambda model, plans: runs.append(len(plans)) or days_of(model, plans))
    m = SiyuModel(sc, seed=1)
    m.advance(2)
    assert runs == [2]
    stepped = SiyuModel(sc, seed=1)
    for _ in range(23):
        stepped.step()
    m.advance(21)  # past the 5 days the tables were made for
    assert len(m.daily()) == 23 and m.daily()["day"].tolist() == list(range(23))
    pd.testing.assert_frame_equal(m.daily(), stepped.daily())

def test_the_plans_ahead_stop_at_a_campaign_and_a_phase_switch_and_are_none_when_tracing_or_capped():
    sc = sim.load_scenario("hybrid_referral").with_overrides({
        "population.n_users": 500, "strategy.campaign_every_days": 10,
        "phases": [{"from_day": 25, "strategy": {"ad_posts_per_day": 2.0}}]})
    m = SiyuModel(sc, seed=0)
    assert [p.t for p in m._plans_ahead(40)] == list(range(10))  # day 10 is a campaign's
    m.t = 11
    assert [p.t for p in m._plans_ahead(40)] == list(range(11, 20))
    m.t = 21
    assert [p.t for p in m._plans_ahead(40)] == [21, 22, 23, 24]  # day 25 switches to the next phase
    assert [p.t for p in m._plans_ahead(23)] == [21, 22]
    m.t = 25
    assert m._plans_ahead(40) == []  # the switch is a step's
    assert SiyuModel(sc, seed=0, trace_users=[1])._plans_ahead(40) == []
    assert SiyuModel(sc.with_overrides({"budget.monthly_cap": 1e6}), seed=0)._plans_ahead(40) == []
    assert SiyuModel(sc.with_overrides({"network.kind": "well_mixed"}), seed=0)._plans_ahead(40) == []


def test_a_traced_run_steps_every_day_and_equals_the_untraced_run():
    sc = sim.load_scenario("hybrid_referral").with_overrides({"population.n_users": 1500, "horizon_days": 30})
    plain, traced = sim.simulate(sc, 2), sim.simulate(sc, 2, trace_users=[0, 7, 900])
    pd.testing.assert_frame_equal(plain.daily, traced.daily)
    assert len(traced.trace) == 3 * 30

# --- the compiled helpers of the day's books ---------------------------------------------------------
@pytest.mark.parametrize("size", [2, 3])
def test_group_buyers_are_the_joiners_of_completed_group_buys_then_their_reachable_referrers(size):
    rng = np.random.default_rng(size)
    for _ in range(30):
        refs = rng.integers(0, 12, int(rng.integers(0, 25)))
        joined = np.arange(100, 100 + len(refs), dtype=np.int64)
        stage = rng.integers(1, 8, 12).astype(np.int8)
        done = np.array([np.count_nonzero(refs == v) >= size - 1 for v in refs], dtype=bool)
        leaders = np.unique(refs[done])
        want = np.concatenate([joined[done], leaders[stage[leaders] <= Stage.PARTNER]])
        assert referral.group_buyers(refs, joined, size, stage).tolist() == want.tolist()
