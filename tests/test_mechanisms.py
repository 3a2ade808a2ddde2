"""Unit tests of each mechanism's rule, on small populations with one switch at a time."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.mechanisms import acquisition, fatigue, messaging
from sim.mechanisms.community import Groups
from sim.model import SiyuModel
from sim.network import build_network, neighbour_edges
from sim.population import Stage
from sim.scenario import Hook, Network, NetworkKind, Public, Scenario, Strategy


def run(scenario: Scenario, days: int) -> SiyuModel:
    m = SiyuModel(scenario, seed=3)
    for _ in range(days):
        m.step()
    return m


# --- acquisition -----------------------------------------------------------------------------
def test_cost_per_exposure_compounds_as_configured():
    pub = Public(cost_per_exposure=2.0, cost_growth_per_year=1.0)
    assert acquisition.cost_per_exposure(pub, 0) == 2.0
    assert acquisition.cost_per_exposure(pub, 365) == pytest.approx(4.0)
    assert acquisition.cost_per_exposure(pub, 730) == pytest.approx(8.0)


def test_hook_selection_skews_joiners():
    rng = np.random.default_rng(0)
    deal = rng.random(200_000).astype(np.float32)
    cash = acquisition.hook_take_up(Hook(enabled=True, take_up=0.2, selection=0.8), deal, rng)
    content = acquisition.hook_take_up(Hook(enabled=True, take_up=0.2, selection=-0.8), deal, rng)
    off = acquisition.hook_take_up(Hook(enabled=False, take_up=0.2), deal, rng)
    assert deal[cash].mean() > 0.6 > 0.4 > deal[content].mean()
    assert cash.mean() == pytest.approx(0.2, abs=0.01)
    assert not off.any()


def test_sample_public_only_returns_public_users_at_the_given_rate():
    rng = np.random.default_rng(1)
    stage = np.zeros(100_000, dtype=np.int8)
    stage[:50_000] = Stage.FOLLOWER
    got = acquisition.sample_public(stage, 0.1, rng)
    assert (stage[got] == Stage.PUBLIC).all()
    assert len(np.unique(got)) == len(got)
    assert len(got) == pytest.approx(5_000 * 0.95, rel=0.1)


def test_no_acquisition_means_no_joins_and_no_ad_cost():
    sc = sim.load_scenario("content_led").with_overrides({"population.n_users": 2000, "mechanisms.acquisition": False})
    daily = sim.simulate(sc.with_overrides({"horizon_days": 30})).daily
    assert daily["new_joins"].sum() == 0 and daily["cost_ads"].sum() == 0


def test_entry_threshold_admits_only_high_need():
    sc = sim.load_scenario("content_led").with_overrides({"population.n_users": 4000, "horizon_days": 60, "strategy.entry_threshold": 0.6})
    users = sim.simulate(sc).users
    joined = users[users.join_day >= 0]
    assert len(joined) > 0 and (joined.need >= 0.6).all()


def test_capacity_caps_the_pool():
    sc = sim.load_scenario("content_led").with_overrides({
        "population.n_users": 10000, "horizon_days": 90, "touchpoints.max_accounts": 1,
        "touchpoints.friends_per_account": 100})
    daily = sim.simulate(sc).daily
    assert daily["private_pool"].max() <= 100
    assert daily["private_pool"].max() == 100


# --- messaging and events --------------------------------------------------------------------
def test_welfare_events_are_evenly_spaced_and_monthly_promo_on_day_14():
    st = Strategy(welfare_events_per_week=3, monthly_promo=False)
    days = [t for t in range(70) if messaging.schedule(st, t)[0]]
    assert len(days) == 30
    st = Strategy(monthly_promo=True, promo_discount=0.3)
    assert messaging.schedule(st, 14) == (True, 0.3)
    assert messaging.schedule(st, 44) == (True, 0.3)
    assert messaging.schedule(st, 15) == (False, 0.0)


def test_routing_sends_no_ads_to_unpaid_users():
    # rule: (content, ads, notices) received by one reachable user
    assert messaging.received(1.0, 10.0, 1.0, -1, 0, True, True) == (1.0, 0.0, 0.0)  # unpaid, routed
    assert messaging.received(1.0, 10.0, 1.0, -1, 2, True, True) == (1.0, 10.0, 1.0)  # paid
    assert messaging.received(1.0, 10.0, 1.0, 7, 2, False, False) == (1.0, 0.0, 1.0)  # group, no selling
    assert messaging.received(1.0, 10.0, 0.0, 7, 0, True, False) == (1.0, 10.0, 0.0)
    # in the model: routing sends fewer messages for the same pool
    base = sim.load_scenario("spam_blast").with_overrides({"population.n_users": 3000, "horizon_days": 60,
                                                          "mechanisms.fatigue": False})
    plain = sim.simulate(base).daily
    routed = sim.simulate(base.with_overrides({"strategy.routing_by_tags": True})).daily
    per_user = lambda d: d["messages_sent"].sum() / d["reachable"].sum()  # noqa: E731
    assert per_user(routed) < 0.5 * per_user(plain)


def test_chat_probability_spreads_staff_time():
    assert messaging.chat_probability(100.0, 1000) == pytest.approx(0.1)
    assert messaging.chat_probability(5000.0, 1000) == 1.0
    assert messaging.chat_probability(0.0, 1000) == 0.0 and messaging.chat_probability(10.0, 0) == 0.0


def test_random_stream_is_seeded_and_uniform():
    from sim import jit
    a, b = jit.stream(np.random.default_rng(5)), jit.stream(np.random.default_rng(5))
    xs = [jit.uniform(a) for _ in range(20_000)]
    assert xs[:50] == [jit.uniform(b) for _ in range(50)]
    assert 0.0 <= min(xs) and max(xs) < 1.0 and abs(np.mean(xs) - 0.5) < 0.01
    assert np.histogram(xs, bins=10, range=(0, 1))[0].min() > 1_800


@pytest.mark.parametrize("hazard", [0.0, 0.02, 0.7, 3.0])
def test_an_event_with_hazard_h_happens_with_probability_one_minus_exp(hazard):
    from sim import jit
    state = jit.stream(np.random.default_rng(11))
    hits = np.mean([jit.occurs(state, hazard) for _ in range(40_000)])
    assert hits == pytest.approx(1 - np.exp(-hazard), abs=0.01)


# --- fatigue and churn -----------------------------------------------------------------------
def test_fatigue_threshold_is_steady_state_of_tolerated_cadence():
    r = fatigue.retention(7.0)
    assert r == pytest.approx(0.5 ** (1 / 7))
    f = 0.0
    for _ in range(400):
        f = f * r + 4 / 7  # four ads a week
    assert f == pytest.approx(4 / 7 / (1 - r), rel=1e-6)


def test_more_ads_more_mutes_and_leaves():
    out = []
    for ads in (0.1, 1.0, 5.0):
        sc = sim.load_scenario("spam_blast").with_overrides({"population.n_users": 4000, "horizon_days": 120, "strategy.ad_posts_per_day": ads})
        d = sim.simulate(sc).daily
        out.append((d["mutes"].sum() + d["leaves"].sum()) / max(1, d["new_joins"].sum()))
    assert out[0] < out[1] < out[2]


def test_fatigue_switch_off_means_no_mutes():
    sc = sim.load_scenario("spam_blast").with_overrides({"population.n_users": 3000, "horizon_days": 60, "mechanisms.fatigue": False})
    d = sim.simulate(sc).daily
    assert d["mutes"].sum() == 0 and d["mean_fatigue"].max() == 0


# --- group activity --------------------------------------------------------------------------
def test_groups_fill_in_order_and_open_lively():
    g = Groups(2000, 500, 0.5)
    ids = g.assign(700)
    assert ids[0] == 0 and ids[499] == 0 and ids[500] == 1 and g.count == 2
    assert np.allclose(g.activity[:2], 0.5) and g.activity[2] == 0


# --- trust -----------------------------------------------------------------------------------
def test_trust_grows_with_content_and_falls_with_hard_sell():
    base = {"population.n_users": 10_000, "horizon_days": 90}
    content = sim.simulate_many(sim.load_scenario("content_led").with_overrides(base), 3, workers=1)
    spam = sim.simulate_many(sim.load_scenario("spam_blast").with_overrides(base), 3, workers=1)
    assert content.summaries["mean_trust"].median() > 0.35
    assert spam.summaries["mean_trust"].median() < 0.1


def test_trust_switch_off_keeps_initial_trust():
    sc = sim.load_scenario("content_led").with_overrides({"population.n_users": 3000, "horizon_days": 60,
                                                         "mechanisms.trust": False, "mechanisms.referral": False})
    users = sim.simulate(sc).users
    joined = users[users.join_day >= 0]
    assert np.isin(np.round(joined.trust.to_numpy(dtype=float), 4), [0.05, 0.15]).all()


def test_failed_orders_destroy_trust():
    base = {"population.n_users": 20_000, "horizon_days": 150}
    good = sim.simulate_many(sim.load_scenario("content_led").with_overrides(base), 4, workers=2).summaries.mean()
    bad = sim.simulate_many(sim.load_scenario("content_led").with_overrides({**base, "fulfilment.failure_rate": 0.8}), 4,
                            workers=2).summaries.mean()
    assert bad["churn_rate"] > 1.3 * good["churn_rate"]
    assert bad["mean_trust"] < good["mean_trust"]
    assert bad["repeat_rate"] < good["repeat_rate"]


def test_fulfilment_capacity_fails_the_excess():
    sc = sim.load_scenario("content_led").with_overrides({"population.n_users": 4000, "horizon_days": 60,
                                                         "fulfilment.capacity_per_day": 0.001, "fulfilment.failure_rate": 0.0})
    d = sim.simulate(sc).daily
    assert d["failures"].sum() == d["private_purchases"].sum() > 0


# --- purchase --------------------------------------------------------------------------------
def test_discount_days_sell_more():
    sc = sim.load_scenario("content_led").with_overrides({"population.n_users": 6000, "strategy.promo_discount": 0.5})
    d = sim.simulate(sc).daily
    promo = d[d.day % 30 == 14]["private_purchases"].mean()
    other = d[(d.day % 30 != 14) & (d.day > 30)]["private_purchases"].mean()
    assert promo > 1.5 * other


def test_margin_accounts_for_discounts():
    sc = sim.load_scenario("content_led").with_overrides({"population.n_users": 3000, "horizon_days": 60})
    d = sim.simulate(sc).daily
    p = sc.product
    # margin = list × (m − discount) per order; on non-promo days discount is 0
    plain = d[d.day % 30 != 14]
    assert np.allclose(plain["margin"], plain["purchases"] * p.order_value * p.margin_rate)
    assert np.allclose(plain["gmv"], plain["purchases"] * p.order_value)


# --- referral --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(NetworkKind))
def test_networks_are_symmetric_without_self_loops(kind):
    g = build_network(Network(kind=kind, mean_degree=8), 3000, np.random.default_rng(0))
    if kind == NetworkKind.well_mixed:
        assert g is None
        return
    assert (g != g.T).nnz == 0
    assert g.diagonal().sum() == 0
    assert 5 < g.nnz / 3000 <= 8.5


def test_scale_free_has_hubs_random_does_not():
    rng = np.random.default_rng(0)
    sf = np.diff(build_network(Network(kind="scale_free"), 20_000, rng).indptr)
    er = np.diff(build_network(Network(kind="random"), 20_000, rng).indptr)
    assert sf.max() > 5 * er.max()


def test_neighbour_edges_gathers_csr_rows():
    g = build_network(Network(kind="random", mean_degree=6), 500, np.random.default_rng(2))
    nodes = np.array([3, 10, 499])
    edges, owner = neighbour_edges(g, nodes)
    for n in nodes:
        assert sorted(g.indices[edges[owner == n]]) == sorted(g[n].indices)


def test_referral_joiners_are_neighbours_of_their_referrer():
    sc = sim.load_scenario("hybrid_referral").with_overrides({"population.n_users": 6000, "horizon_days": 150})
    m = run(sc, 150)
    users = m.pop
    # referral joiners are neighbours of their referrer
    j = np.flatnonzero(users.referrer >= 0)
    assert len(j) > 0
    for u in j[:50]:
        assert u in m.graph[users.referrer[u]].indices


def test_referral_switch_off_means_no_referral_joins():
    sc = sim.load_scenario("hybrid_referral").with_overrides({"population.n_users": 3000, "horizon_days": 90, "mechanisms.referral": False})
    assert sim.simulate(sc).daily["referral_joins"].sum() == 0


def test_partners_appear_only_with_partner_programme():
    base = {"population.n_users": 5000, "horizon_days": 240}
    on = sim.simulate(sim.load_scenario("hybrid_referral").with_overrides(base)).daily
    off = sim.simulate(sim.load_scenario("hybrid_referral").with_overrides({**base, "strategy.partner_program": False})).daily
    assert on["partners"].iloc[-1] > 0 and off["partners"].max() == 0


# --- shocks ----------------------------------------------------------------------------------
def test_shock_closes_public_channels_for_the_window():
    sc = sim.load_scenario("black_swan").with_overrides({"population.n_users": 3000, "horizon_days": 240})
    d = sim.simulate(sc).daily
    win = d[(d.day >= 150) & (d.day < 210)]
    assert (win["public_open"] == 0).all() and win["platform_purchases"].sum() == 0 and win["cost_ads"].sum() == 0
    assert d[d.day < 150]["public_open"].all()


def test_mini_program_lifts_private_buying_and_costs_money():
    base = {"population.n_users": 5000, "horizon_days": 120, "touchpoints.mini_program_lift": 1.0}
    off = sim.simulate(sim.load_scenario("content_led").with_overrides(base)).daily
    on = sim.simulate(sim.load_scenario("content_led").with_overrides({**base, "touchpoints.mini_program": True})).daily
    assert on["private_purchases"].sum() > 1.3 * off["private_purchases"].sum()
    assert on["cost_accounts"].sum() == pytest.approx(off["cost_accounts"].sum() + 120 * 20.0)


# --- the per-user rules of the compiled daily pass ---------------------------------------------
def test_fatigue_threshold_rises_with_group_activity_and_overload_hazards_start_past_it():
    r = fatigue.retention(7.0)
    assert fatigue.threshold(7.0, 0.0, r, 1.0) == pytest.approx(1.0 / (1 - r))
    assert fatigue.threshold(7.0, 0.5, r, 1.0) == pytest.approx(1.5 / (1 - r))
    assert fatigue.mute_hazard(1.0, 0.3) == 0.0 and fatigue.mute_hazard(2.0, 0.3) == pytest.approx(0.3)
    assert fatigue.overload_hazard(2.4, 2.5, 0.2) == 0.0
    assert fatigue.overload_hazard(5.0, 2.5, 0.2) == pytest.approx(0.4)
    assert fatigue.added(2.0, 1.0, 1.0, 0.5, 1.0, 0.15) == pytest.approx(3.15)
    # lost incentive: none just after the cash, more for deal-seekers, none at full trust
    assert fatigue.incentive_hazard(0.0, 1.0, 0.0, 30.0, 0.03) == 0.0
    assert fatigue.incentive_hazard(60.0, 0.9, 0.0, 30.0, 0.03) > fatigue.incentive_hazard(60.0, 0.3, 0.0, 30.0, 0.03)
    assert fatigue.incentive_hazard(60.0, 0.9, 1.0, 30.0, 0.03) == 0.0


def test_trust_rule_saturates_and_stays_in_unit_interval():
    from sim.mechanisms import trust
    args = (0.006, 0.05, 0.002, 0.001, 0.03, 0.01)
    x = 0.05
    for _ in range(2000):  # daily content, chats, lively group: rises toward 1, never past it
        x = trust.updated(x, 1.0, 0.2, True, True, 0.8, 0.0, 0.0, *args)
    assert 0.95 < x <= 1.0
    y = trust.updated(0.5, 0.0, 0.2, False, False, 0.25, 40.0, 1.0, *args)  # massive overload
    assert 0.0 <= y < 1e-3  # loss capped at all the trust there is
    assert trust.updated(0.5, 0.0, 0.5, False, False, 0.0, 1.0, 0.0, *args) < 0.5  # hard sell loses


def test_purchase_hazard_grows_with_trust_and_need_and_waits_for_the_cycle():
    from sim.mechanisms import purchase
    def h(trust=0.5, need=0.5, since=100.0, ads=1.0, discount=0.0):
        return purchase.hazard(need, 30.0, trust, since, 0.5, 0.3, 0.0, ads, 0.0, False, 1.0, discount,
                               0.0, 1.0, 0.1, 0.9, 1.0, 2.0, 3.0, 0.5, 0.3, 1.0, 0.3, 0.0)
    assert h(trust=0.9) > h(trust=0.5) > h(trust=0.0) > 0
    assert h(need=0.8) > h(need=0.2)
    assert h(since=0.0) == 0.0 and h(since=15.0) == pytest.approx(h(since=30.0) / 2)
    assert h(ads=0.0) < h(ads=1.0) and h(discount=0.3) > h()


def test_ladder_rule_and_share_hazard():
    from sim.mechanisms import lifecycle, referral
    rung = lambda p, t=0.0, refs=0, ladder=True: lifecycle.rung(p, t, refs, ladder, True, 3, True, 0.7, 2)  # noqa: E731
    assert [rung(p) for p in (0, 1, 2)] == [Stage.FOLLOWER, Stage.CUSTOMER, Stage.REPEAT]
    assert rung(3) == Stage.MEMBER and rung(3, ladder=False) == Stage.REPEAT
    assert rung(1, 0.8, 2) == Stage.PARTNER and rung(0, 0.8, 2) == Stage.FOLLOWER
    share = lambda bought, trust, deal, cash, partner=False: referral.share_hazard(  # noqa: E731
        bought, trust, deal, cash, 1.0, partner, 0.01, 3.0)
    assert share(False, 0.9, 0.5, 0.0) == 0.0  # no order, no cash: no motive
    assert share(True, 0.9, 0.5, 0.0) == pytest.approx(0.01 * 0.81)
    assert share(True, 0.9, 0.5, 0.0, True) == pytest.approx(3 * 0.01 * 0.81)
    assert share(False, 0.0, 0.8, 0.5) == pytest.approx(0.01 * 0.4)  # cash moves deal-seekers
