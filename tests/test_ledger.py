"""The books kind by kind against what caused each entry: exposures, hooks, join cash, running
costs, the day's row (profit, cumulative profit, stage counts) and the operator's plan."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from siyu_harness import each, joined, new_day, tiny

import sim
from sim.mechanisms import acquisition, fatigue
from sim.mechanisms.budget import RED_PACKET_KEY
from sim.mechanisms.day import (
    COMPUTED_COLUMNS,
    HIDDEN_KEYS,
    INT_COLUMNS,
    KEY,
    LEDGER_KEYS,
    Day,
    Ledger,
    book_running_costs,
    day_row,
)
from sim.model import SiyuModel
from sim.population import NEVER, Event, Source, Stage
from sim.results import COST_COLUMNS, DAILY_COLUMNS


def _four_sd(p) -> float:
    p = np.asarray(p, dtype=float)
    return 4.0 * math.sqrt(float((p * (1 - p)).sum())) + 2.0


def test_ledger_adds_and_reads_missing_as_zero():
    led = Ledger()
    assert led["anything"] == 0.0
    led.add("x", 2)
    led.add("x", 0.5)
    assert led["x"] == 2.5 and isinstance(led["x"], float)


def test_the_ledger_keeps_its_keys_in_one_array_and_any_other_key_aside():
    led = Ledger()
    assert len(led.values) == len(LEDGER_KEYS) and not dict(led)
    led.add("cost_ads", 1.5)
    led.add("cost_ads", 2)
    led.add("made_up", 4)
    led["budget_left"] = math.nan
    led.update({"mutes": 3.0, "other": 1.0})
    assert led.values[KEY["cost_ads"]] == 3.5 and led["made_up"] == 4.0 and led.get("made_up") == 4.0
    assert led.get("never", 7.0) == 7.0 and led.get("gmv", 7.0) == 0.0  # a ledger key reads its value
    got = dict(led)
    assert set(got) == {"cost_ads", "budget_left", "mutes", "made_up", "other"} and math.isnan(got["budget_left"])
    assert got["mutes"] == 3.0 and list(led) == list(got)


def test_a_key_outside_the_slots_is_set_as_a_float_and_read_back_or_as_zero():
    led = Ledger()
    led["made_up"] = 3
    assert led["made_up"] == 3.0 and isinstance(led["made_up"], float) and isinstance(led.get("made_up"), float)
    assert led.get("never") == 0.0 and led.get("gmv") == 0.0 and dict(led) == {"made_up": 3.0}
    led["gmv"] = 2
    assert led.values[KEY["gmv"]] == 2.0 and list(led) == ["gmv", "made_up"]


def _row(counts, lv, activity, n_groups, *, t=3, phase=1, n_public=90, trust_sum=3.0, fatigue_sum=1.5,
         cost_per_exposure=0.25, cum_profit=10.0):
    ints = np.zeros(len(INT_COLUMNS), dtype=np.int64)
    floats = np.zeros(len(LEDGER_KEYS) + len(COMPUTED_COLUMNS), dtype=np.float64)
    cum = day_row(ints, floats, np.array(counts, dtype=np.int64), lv, t, phase, n_public, trust_sum, fatigue_sum,
                  np.asarray(activity, dtype=np.float32), n_groups, cost_per_exposure, cum_profit)
    return dict(zip(INT_COLUMNS, ints.tolist(), strict=True)), dict(zip(COMPUTED_COLUMNS, floats[len(LEDGER_KEYS):].tolist(),
                                                                       strict=True)), floats, cum


def test_day_row_writes_the_counts_the_books_and_what_is_computed_from_them():
    lv = np.zeros(len(LEDGER_KEYS))
    for i, k in enumerate(COST_COLUMNS):
        lv[KEY[k]] = 2.0 ** i
    lv[KEY["margin"]], lv[KEY["platform_purchases"]], lv[KEY["mutes"]] = 500.0, 4.0, 2.0
    ints, computed, floats, cum = _row([7, 1, 2, 3, 4, 5, 6, 8], lv, [0.2, 0.4, 0.9, 0.7], 3)
    assert ints == {"day": 3, "public": 90, "followers": 1, "customers": 2, "repeat": 3, "members": 4, "partners": 5,
                    "dormant": 6, "churned": 8, "private_pool": 21, "reachable": 15, "phase": 1}
    assert floats[: len(LEDGER_KEYS)].tolist() == lv.tolist()
    total = 2.0 ** len(COST_COLUMNS) - 1
    assert computed["cost_total"] == total and computed["profit"] == 500.0 - total
    assert cum == computed["cum_profit"] == 10.0 + 500.0 - total
    assert computed["mean_trust"] == 3.0 / 21 and computed["mean_fatigue"] == 1.5 / 21
    assert computed["group_activity"] == pytest.approx(0.5)  # the three opened groups; the spare slot unread
    assert computed["cost_per_exposure"] == 0.25 and computed["cac_platform"] == lv[KEY["cost_ads"]] / 4.0


def test_day_row_of_one_group_no_group_an_empty_pool_and_no_platform_order():
    lv = np.zeros(len(LEDGER_KEYS))
    _, one, _, _ = _row([0, 2, 0, 0, 0, 0, 0, 0], lv, [0.6, 0.9], 1)
    assert one["group_activity"] == pytest.approx(0.6) and one["mean_trust"] == 1.5
    ints, none, _, cum = _row([0] * 8, lv, [0.6], 0, trust_sum=0.0, fatigue_sum=0.0)
    assert none["group_activity"] == 0.0 and none["mean_trust"] == 0.0 and none["mean_fatigue"] == 0.0
    assert ints["private_pool"] == 0 and math.isnan(none["cac_platform"]) and cum == 10.0


def test_running_costs_are_added_to_what_the_day_booked_before():
    from sim.mechanisms.budget import running_constants, running_costs

    sc = tiny(touchpoints__friends_per_account=100, touchpoints__account_cost_per_day=7.0,
              touchpoints__users_per_staff=200.0, touchpoints__staff_cost_per_day=50.0)
    lv = np.zeros(len(LEDGER_KEYS))
    lv[KEY["cost_staff"]], lv[KEY["cost_accounts"]], lv[KEY["cost_content"]] = 1.0, 2.0, 3.0
    book_running_costs(lv, 250, running_constants(sc))
    want = running_costs(sc, 250)
    assert lv[KEY["cost_staff"]] == 1.0 + want["cost_staff"] and lv[KEY["cost_accounts"]] == 2.0 + want["cost_accounts"]
    assert lv[KEY["cost_content"]] == 3.0 + want["cost_content"] and want["cost_staff"] == 62.5
    before = lv.copy()
    book_running_costs(lv, 0, running_constants(sc))  # no one in the pool, no content hook: nothing
    assert lv.tolist() == before.tolist()


def test_every_daily_float_column_is_a_ledger_key_or_computed_at_the_end_of_the_day():
    floats = [c for c in DAILY_COLUMNS if c not in INT_COLUMNS]
    assert sorted(floats + ["acq_cost", *HIDDEN_KEYS]) == sorted([*LEDGER_KEYS, *COMPUTED_COLUMNS])
    assert RED_PACKET_KEY in HIDDEN_KEYS and "joins_referral" in HIDDEN_KEYS  # booked by admissions


def test_a_model_stepped_past_its_horizon_keeps_every_day_s_row():
    m = SiyuModel(tiny(horizon_days=3), seed=0)
    for _ in range(7):
        m.step()
    d = m.daily()
    assert d["day"].tolist() == list(range(7)) and len(m.rows) == 7 and d["public"].iloc[-1] == 400


# --- acquisition -------------------------------------------------------------------------------
def test_paid_exposures_cost_the_day_s_price_each():
    sc = tiny(public__ad_reach_per_day=0.3, public__cost_per_exposure=0.8, public__cost_growth_per_year=1.0,
              public__platform_conversion=0.0)
    m = joined(sc, 0)
    new_day(m, 365)
    acquisition.acquire(m)
    paid = int(np.count_nonzero(m.pop.events & Event.EXPOSED))
    assert paid > 50
    assert m.ledger["cost_ads"] == pytest.approx(paid * 1.6)
    assert m.ledger["acq_cost"] == pytest.approx(paid * 1.6)
    assert m.ledger["public_open"] == 1.0 and m.ledger["platform_purchases"] == 0


def test_organic_exposure_is_free_and_a_closed_public_channel_does_nothing():
    sc = tiny(public__organic_reach_per_day=0.2, public__platform_conversion=1.0)
    m = joined(sc, 0)
    new_day(m, 1)
    acquisition.acquire(m)
    assert np.count_nonzero(m.pop.events & Event.EXPOSED) > 50 and m.ledger["cost_ads"] == 0
    assert m.ledger["platform_purchases"] > 0
    m = joined(tiny(public__ad_reach_per_day=0.5), 0)
    new_day(m, 1, public_open=False)
    acquisition.acquire(m)
    assert m.ledger["public_open"] == 0.0 and m.ledger["cost_ads"] == 0 and not (m.pop.events & Event.EXPOSED).any()


@pytest.mark.parametrize("demand", [1.0, 0.5])
def test_platform_orders_follow_the_platform_rule(demand):
    sc = tiny(population__n_users=2000, public__ad_reach_per_day=0.5, public__platform_conversion=0.3,
              product__decision_touches=2.0, public__platform_repeat_boost=4.0)
    m = joined(sc, 0)
    m.pop.purchases[:1000] = 1        # one past order each: the boost applies from the first
    m.pop.last_purchase[:1000] = -5   # day 10 − (−5) = 15 days since the order
    m.pop.last_purchase[:500] = -200  # long ago: fully ready again
    last = m.pop.last_purchase.copy()
    new_day(m, 10, demand=demand)
    acquisition.acquire(m)
    exposed = np.flatnonzero(m.pop.events & Event.EXPOSED)
    pop = m.pop
    ready = np.minimum(1.0, (10 - last[exposed]) / pop.cycle[exposed])
    p = 0.15 * pop.need[exposed] * ready * (1 + 4.0 * (exposed < 1000)) * demand
    bought = m.ledger["platform_purchases"]
    assert abs(bought - p.sum()) < _four_sd(p)
    assert m.ledger["cost_commission"] == pytest.approx(sc.public.platform_commission * bought * sc.product.order_value)


def test_hooks_cost_per_join_by_kind_and_reach_their_audience():
    hooks = {"package_card": (1.0, 2.0), "gift": (0.3, 5.0), "cash": (0.3, 7.0), "content": (0.5, 3.0)}
    over = {f"strategy__hooks__{k}__{f}": v for k, (tu, cost) in hooks.items()
            for f, v in (("enabled", True), ("take_up", tu), ("cost_per_join", cost), ("selection", 0.0))}
    sc = tiny(population__n_users=3000, public__ad_reach_per_day=0.2, public__platform_conversion=0.5,
              strategy__hooks__content_reach_per_day=0.1, **over)
    m = joined(sc, 0)
    new_day(m, 1, rebates_active=True)
    acquisition.acquire(m)
    led = m.ledger
    n = {k: led[f"joins_{k}"] for k in ("card", "gift", "cash", "content")}
    assert all(v > 0 for v in n.values()), n
    assert n["card"] == led["platform_purchases"]  # take-up 1: every platform buyer
    assert led["new_joins"] == sum(n.values()) == m.pop.n_joined
    want = 2.0 * n["card"] + 5.0 * n["gift"] + 7.0 * n["cash"] + 3.0 * n["content"]
    assert led["cost_hooks"] == pytest.approx(want)
    assert led["acq_cost"] == pytest.approx(want + led["cost_ads"])
    src = m.pop.source
    assert [(src == s).sum() for s in (Source.CARD, Source.GIFT, Source.CASH, Source.CONTENT)] == list(n.values())
    assert (m.pop.last_reward[src == Source.CASH] == 1).all() and (m.pop.last_reward[src == Source.GIFT] == NEVER).all()
    content_trust = m.pop.trust[src == Source.CONTENT]
    assert (content_trust == np.float32(sc.trust.initial_content)).all()
    assert (m.pop.trust[src == Source.GIFT] == np.float32(sc.trust.initial)).all()
    # cash for joining is a rebate: no cash joins once rebates stopped
    m2 = joined(sc, 0)
    new_day(m2, 1, rebates_active=False)
    acquisition.acquire(m2)
    assert m2.ledger["joins_cash"] == 0 and m2.ledger["joins_gift"] > 0


def test_join_cash_is_a_rebate_and_an_acquisition_cost():
    sc = tiny(strategy__join_cash=4.0, strategy__entry_threshold=0.5)
    m = joined(sc, 0)
    new_day(m, 3, rebates_active=True)
    idx = np.arange(200, dtype=np.int64)
    got, _ = m.touchpoints.admit(idx, Source.GIFT, sim.scenario.Hook(cost_per_join=1.5))
    k = len(got)
    assert 0 < k < 200 and (m.pop.need[got] >= 0.5).all() and k == (m.pop.need[:200] >= 0.5).sum()
    assert m.ledger["cost_rebates"] == pytest.approx(4.0 * k) and m.ledger["cost_hooks"] == pytest.approx(1.5 * k)
    assert m.ledger["acq_cost"] == pytest.approx(5.5 * k) and m.ledger["joins_gift"] == k
    assert (m.pop.last_reward[got] == 3).all() and (m.pop.join_day[got] == 3).all()
    new_day(m, 4, rebates_active=False)
    got2, _ = m.touchpoints.admit(np.arange(200, 300, dtype=np.int64), Source.GIFT, None)
    assert m.ledger["cost_rebates"] == 0 and m.ledger["acq_cost"] == 0 and len(got2) > 0
    assert (m.pop.last_reward[got2] == NEVER).all()


def test_admission_stops_when_every_account_is_full():
    sc = tiny(touchpoints__friends_per_account=100, touchpoints__max_accounts=2)
    m = joined(sc, 150)
    assert m.touchpoints.capacity() == 200
    got, _ = m.touchpoints.admit(np.arange(150, 300, dtype=np.int64), Source.GIFT, None)
    assert list(got) == list(range(150, 200)) and m.pop.n_joined == 200
    got, _ = m.touchpoints.admit(np.arange(300, 310, dtype=np.int64), Source.GIFT, None)
    assert len(got) == 0
    m.pop.stage[:5] = Stage.CHURNED
    m.add_churned(5)
    got, _ = m.touchpoints.admit(np.arange(300, 310, dtype=np.int64), Source.GIFT, None)
    assert len(got) == 5


def test_admitted_users_start_on_their_order_rung_in_groups_by_share():
    sc = tiny(touchpoints__group_share=0.5, touchpoints__group_size=20, trust__initial=0.1)
    m = joined(sc, 0)
    m.pop.purchases[:3] = [0, 1, 4]
    m.pop.trust[:3] = [0.0, 0.3, 0.05]
    got, _ = m.touchpoints.admit(np.arange(400, dtype=np.int64), Source.CARD, None)
    assert list(m.pop.stage[:3]) == [Stage.FOLLOWER, Stage.CUSTOMER, Stage.REPEAT]
    assert list(m.pop.rung[:3]) == list(m.pop.stage[:3])
    assert m.pop.trust[:3].tolist() == pytest.approx([0.1, 0.3, 0.1])   # never lowered to the initial
    in_group = m.pop.group[:400] >= 0
    assert abs(in_group.sum() - 200) < 50
    assert m.groups.seats_filled == in_group.sum() and m.pop.group[:400].max() == m.groups.count - 1
    assert (m.pop.fatigue[:400] == 0).all() and (m.pop.events[:400] & Event.JOINED).all()


# --- running costs -----------------------------------------------------------------------------
def test_running_costs_by_kind():
    sc = tiny(touchpoints__staff_cost_per_day=300.0, touchpoints__users_per_staff=100.0,
              touchpoints__account_cost_per_day=7.0, touchpoints__friends_per_account=120,
              strategy__content_cost_per_post=11.0, strategy__content_posts_per_day=2.5,
              touchpoints__mini_program=True, touchpoints__mini_program_cost_per_day=13.0)
    m = joined(sc, 250)
    m.pop.stage[:10] = Stage.CHURNED
    m.add_churned(10)
    new_day(m, 1)
    m.touchpoints.bill()
    led = m.ledger
    assert m.touchpoints.pool_size() == 240 and m.touchpoints.staff() == pytest.approx(2.4)
    assert led["cost_staff"] == pytest.approx(300.0 * 2.4)
    assert led["cost_accounts"] == pytest.approx(7.0 * 2 + 13.0)
    assert led["cost_content"] == pytest.approx(27.5)
    m2 = joined(sc.with_overrides({"touchpoints.mini_program": False}), 241)
    new_day(m2, 1)
    m2.touchpoints.bill()
    assert m2.ledger["cost_accounts"] == pytest.approx(7.0 * 3)


def test_no_pool_no_running_costs_unless_public_content_is_produced():
    sc = tiny(strategy__content_posts_per_day=2.0, strategy__content_cost_per_post=10.0)
    m = joined(sc, 0)
    new_day(m, 1)
    m.touchpoints.bill()
    assert sum(m.ledger[k] for k in COST_COLUMNS) == 0
    sc = sc.with_overrides({"strategy.hooks.content.enabled": True})
    m = joined(sc, 0)
    new_day(m, 1)
    m.touchpoints.bill()
    assert m.ledger["cost_content"] == 20.0 and m.ledger["cost_staff"] == 0 and m.ledger["cost_accounts"] == 0


# --- the day's row -----------------------------------------------------------------------------
def test_the_day_s_row_books_every_cost_kind_and_profit():
    m = joined(tiny(population__n_users=500), 10, trust=0.3)
    m.pop.stage[:10] = [1, 2, 3, 4, 5, 6, 7, 1, 1, 2]
    m.pop.fatigue[:10] = 1.0
    new_day(m, 0)
    for i, k in enumerate(COST_COLUMNS):
        m.ledger.add(k, 10.0 ** i)
    m.ledger.add("margin", 5e7)
    m.ledger.add("platform_purchases", 4)
    m.ledger.add("acq_cost", 3.0)
    m.ledger.add("mutes", 2)
    counts = np.bincount(m.pop.stage[:10], minlength=len(Stage))
    m._record(counts, 2.7, 9.0)
    row = m.rows[-1]
    total = sum(10.0 ** i for i in range(len(COST_COLUMNS)))
    assert row["cost_total"] == pytest.approx(total)
    for i, k in enumerate(COST_COLUMNS):
        assert row[k] == 10.0 ** i
    assert row["profit"] == pytest.approx(5e7 - total) and row["cum_profit"] == pytest.approx(5e7 - total)
    assert row["public"] == 490 and row["followers"] == 3 and row["customers"] == 2 and row["repeat"] == 1
    assert row["members"] == 1 and row["partners"] == 1 and row["dormant"] == 1 and row["churned"] == 1
    assert row["private_pool"] == 9 and row["reachable"] == 8
    assert row["mean_trust"] == pytest.approx(0.3) and row["mean_fatigue"] == pytest.approx(1.0)
    assert row["cac_platform"] == pytest.approx(1.0 / 4) and row["acq_cost"] == 3.0 and row["mutes"] == 2
    assert row["day"] == 0 and row["cost_per_exposure"] == pytest.approx(m.scenario.public.cost_per_exposure)
    assert set(DAILY_COLUMNS) <= set(row)
    # a second day: cumulative profit adds up; no platform orders → CAC undefined; an empty pool
    m.t = 1
    new_day(m, 1)
    m.ledger.add("margin", 100.0)
    m.ledger.add("cost_ads", 30.0)
    m._record(np.zeros(len(Stage), dtype=np.int64), 0.0, 0.0)
    row = m.rows[-1]
    assert row["profit"] == pytest.approx(70.0) and row["cum_profit"] == pytest.approx(5e7 - total + 70.0)
    assert math.isnan(row["cac_platform"]) and row["mean_trust"] == 0.0 and row["mean_fatigue"] == 0.0
    assert row["day"] == 1 and row["private_pool"] == 0
    assert row["cost_per_exposure"] == pytest.approx(acquisition.cost_per_exposure(m.scenario.public, 1))
    d = m.daily()
    assert list(d.columns) == [*DAILY_COLUMNS, "acq_cost"] and len(d) == 2


def test_a_run_s_books_balance_kind_by_kind():
    sc = sim.load_scenario("hybrid_referral").with_overrides({
        "population.n_users": 300, "horizon_days": 25, "public.ad_reach_per_day": 0.1,
        "strategy.cashback_rate": 0.1, "strategy.join_cash": 2.0, "strategy.red_packet_every_days": 5,
        "strategy.referral_reward": 3.0, "referral.share_rate": 0.3, "referral.join_prob": 0.5, "touchpoints.mini_program": True, "fulfilment.failure_rate": 0.2})
    r = sim.simulate(sc, 1)
    d = r.daily
    assert (d[COST_COLUMNS].sum(axis=1) - d["cost_total"]).abs().max() < 1e-6
    assert np.allclose(d["profit"], d["margin"] - d["cost_total"])
    assert np.allclose(d["cum_profit"], d["profit"].cumsum())
    assert d["referral_joins"].sum() > 0
    assert (d["cost_rebates"] > 0).any() and (d["cost_referrals"] > 0).any() and (d["cost_hooks"] > 0).any()
    assert (d["public"] + d["private_pool"] + d["churned"] == 300).all()
    assert d["gmv"].sum() == pytest.approx(d["private_gmv"].sum() + d["platform_gmv"].sum())
    assert d["purchases"].sum() == d["private_purchases"].sum() + d["platform_purchases"].sum()
    assert r.users["purchases"].sum() == d["purchases"].sum()


# --- the operator's plan -----------------------------------------------------------------------
def test_the_plan_sets_rebates_red_packets_campaigns_and_shocks():
    sc = tiny(strategy__rebate_end_day=20, strategy__red_packet_every_days=7, strategy__campaign_every_days=5,
              strategy__welfare_events_per_week=7.0, strategy__welfare_discount=0.12,
              shocks=[{"start_day": 10, "days": 3, "public_closed": True, "demand_multiplier": 0.5},
                      {"start_day": 11, "days": 1, "public_closed": False, "demand_multiplier": 3.0}])
    m = joined(sc, 0)

    def plan(t):
        day = new_day(m, t)
        m.operator.plan()
        return day

    d0 = plan(0)
    assert d0.rebates_active and not d0.red_packet and not d0.campaign and d0.public_open and d0.demand == 1.0
    assert d0.event and d0.discount == 0.12
    assert plan(7).red_packet and plan(14).red_packet and not plan(8).red_packet
    assert not plan(21).red_packet  # rebates stopped on day 20: no more red packets
    assert plan(19).rebates_active and not plan(20).rebates_active
    assert plan(5).campaign and plan(25).campaign and not plan(6).campaign
    d10, d11, d12, d13 = plan(10), plan(11), plan(12), plan(13)
    assert not d10.public_open and d10.demand == 0.5
    assert not d11.public_open and d11.demand == pytest.approx(1.5)
    assert not d12.public_open and d13.public_open and d13.demand == 1.0
    off = joined(sc.with_overrides({"mechanisms.shocks": False}), 0)
    off.day = new_day(off, 10)
    off.operator.plan()
    assert off.day.public_open and off.day.demand == 1.0


def test_public_open_is_recorded_without_acquisition():
    sc = tiny(mechanisms__acquisition=False, shocks=[{"start_day": 1, "days": 1}])
    r = sim.simulate(sc.with_overrides({"horizon_days": 3}), 0)
    assert r.daily["public_open"].tolist() == [1.0, 0.0, 1.0]


# --- the model's helpers -----------------------------------------------------------------------
def test_model_helpers_and_trace():
    sc = tiny(referral__well_mixed_contacts=7, horizon_days=4, public__ad_reach_per_day=0.2,
              strategy__hooks__gift__enabled=True, strategy__hooks__gift__take_up=1.0)
    m = SiyuModel(sc, seed=2, trace_users=[5, 1, 5])
    assert m.graph is None and m.edge_used is None
    assert m.fresh_reach(np.arange(3)).tolist() == [7.0, 7.0, 7.0]
    m.use_edges(np.arange(3))  # no graph: nothing to count
    assert list(m.trace_ids) == [1, 5] and m.trace_on
    for _ in range(4):
        m.step()
    tr = m.trace()
    assert len(tr) == 8 and set(tr["user"]) == {1, 5} and list(tr["day"]) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert set(tr["stage"].astype(str)) <= {s.name.lower() for s in Stage}
    assert m.t == 4 and len(m.daily()) == 4
    with pytest.raises(ValueError, match="trace_users"):
        SiyuModel(sc, seed=0, trace_users=[400])
    with pytest.raises(ValueError, match="trace_users"):
        SiyuModel(sc, seed=0, trace_users=[-1])
    assert SiyuModel(sc, seed=0).trace() is None
    g = SiyuModel(tiny(network__kind="random"), seed=0)
    deg = np.diff(g.graph.indptr).astype(float)
    g.use_edges(np.array([0, 0, 3]))
    assert g.fresh_reach(np.array([0, 3])).tolist() == [deg[0] - 2, deg[3] - 1]
    assert g.edge_used.shape == (g.graph.nnz,) and not g.edge_used.any()


def test_model_seed_determinism_and_bookkeeping():
    sc = tiny(horizon_days=5, public__ad_reach_per_day=0.2, strategy__hooks__gift__enabled=True,
              strategy__hooks__gift__take_up=0.5)

    def run(*args, **kw):
        m = SiyuModel(sc, *args, **kw)
        for _ in range(5):
            m.step()
        return m

    a, b, c = run(), run(seed=0), run(seed=3)
    assert a.seed == 0 and c.seed == 3
    pd.testing.assert_frame_equal(a.daily(), b.daily())
    assert not a.daily()["new_joins"].equals(c.daily()["new_joins"])
    assert a.daily()["followers"].dtype.kind == "i" and a.daily()["churned"].dtype.kind == "i"
    m = joined(tiny(), 10)
    m.add_churned(3)
    m.add_churned(2)
    assert m.n_churned() == 5


def test_trace_columns_values_and_event_names():
    sc = tiny(horizon_days=2, public__ad_reach_per_day=0.5, strategy__hooks__gift__enabled=True,
              strategy__hooks__gift__take_up=1.0, strategy__content_posts_per_day=1.0)
    m = SiyuModel(sc, seed=1, trace_users=[0])
    assert m.trace_on and m.msg_today.dtype == np.float32
    m.step()
    m.step()
    tr = m.trace()
    assert list(tr.columns)[:8] == ["day", "user", "stage", "trust", "fatigue", "messages", "purchases", "events"]
    assert list(tr.index) == [0, 1]
    last = tr.iloc[-1]
    assert last["trust"] == m.pop.trust[0] and last["fatigue"] == m.pop.fatigue[0]
    assert last["purchases"] == m.pop.purchases[0] and last["stage"] == Stage(m.pop.stage[0]).name.lower()
    names = {e.name.lower() for e in Event}
    for text in tr["events"]:
        assert text == "" or set(text.split("|")) <= names
    full = SiyuModel(sc, seed=1, trace_users=list(range(400)))
    full.step()
    day0 = full.trace()
    joined_ = day0[day0["events"].str.contains("joined")]
    assert len(joined_) > 0 and (joined_["events"].str.split("|").str[0] == "exposed").all()
    assert (joined_["events"].str.count(r"\|") >= 1).all()
    untouched = day0[full.pop.events[day0["user"]] == 0]
    assert len(untouched) > 0 and (untouched["events"] == "").all() and (untouched["messages"] == 0).all()
    assert sorted(set(day0["events"].str.cat(sep="|").split("|")) - {""}) == sorted(
        {e.name.lower() for e in Event if np.bitwise_or.reduce(full.pop.events) & e})
    with pytest.raises(ValueError, match=r"user ids in 0\.\.399"):
        SiyuModel(sc, trace_users=[400])
    assert SiyuModel(sc, trace_users=[0, 399]).trace_on


def test_capacity_of_one_order_per_10000_users():
    m = SiyuModel(tiny(population__n_users=20_000, fulfilment__capacity_per_day=1.0, mechanisms__acquisition=False), seed=0)
    m.step()
    assert m.capacity_left == 2


def test_group_activity_column_is_the_groups_mean():
    sc = tiny(touchpoints__group_share=1.0, touchpoints__group_size=10, community__initial_activity=0.7,
              community__activity_decay=0.5, horizon_days=1)
    m = joined(sc, 25)
    m.step()
    assert m.rows[-1]["group_activity"] == pytest.approx(m.groups.mean_activity()) and m.groups.count == 3
    assert 0 < m.rows[-1]["group_activity"] < 0.7


def test_trace_cause_is_today_s_leave_or_mute_cause_and_none_otherwise():
    # users 0-19 are driven out and 20-39 mute on day 0 (both from fatigue); 40-59 are untouched.
    # On day 1 nobody mutes or leaves: every cause is "none", though 0-39 keep a recorded cause.
    sc = tiny(mechanisms__purchase=False, mechanisms__incentive_churn=False, fatigue__leave_rate=5.0,
              fatigue__leave_multiple=20.0, fatigue__mute_rate=5.0, fatigue__dormant_cleanup_rate=0.0,
              fatigue__reactivation_rate=0.0, mechanisms__acquisition=False)
    m = SiyuModel(sc, seed=0, trace_users=list(range(60)))
    m.day, m.ledger = Day(t=0), Ledger()
    m.touchpoints.admit(np.arange(60, dtype=np.int64), Source.GIFT, None)
    r = fatigue.retention(sc.fatigue.half_life_days)
    theta = each(fatigue.threshold)(m.pop.tolerance[20:40].astype(float), 0.0, r, sc.community.activity_tolerance_bonus)
    m.pop.fatigue[:20] = 1e4
    m.pop.fatigue[20:40] = 6.0 * theta / r
    m.step()
    m.step()
    assert (m.pop.stage[:20] == Stage.CHURNED).all() and (m.pop.stage[20:40] == Stage.DORMANT).all()
    tr = m.trace()
    cause = {(int(d), int(u)): str(c) for d, u, c in zip(tr["day"], tr["user"], tr["cause"], strict=True)}
    want = {(0, u): "fatigue" if u < 40 else "none" for u in range(60)} | {(1, u): "none" for u in range(60)}
    assert cause == want
    assert tr["cause"].dtype == "category" and list(tr["cause"].cat.categories)[:2] == ["none", "fatigue"]
