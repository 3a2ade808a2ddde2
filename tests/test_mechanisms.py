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
    sc = sim.load_scenario("spam_blast").with_overrides({"population.n_users": 3000, "strategy.routing_by_tags": True})
    m = run(sc, 20)
    m.day.t = 20
    messaging.send(m)
    unpaid = m.pop.purchases[m.day.reach] == 0
    assert unpaid.any()
    assert (m.day.ads[unpaid] == 0).all() and (m.day.ads[~unpaid] == 10).all()


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
    base = {"population.n_users": 3000, "horizon_days": 90}
    content = sim.simulate(sim.load_scenario("content_led").with_overrides(base)).daily
    spam = sim.simulate(sim.load_scenario("spam_blast").with_overrides(base)).daily
    assert content["mean_trust"].iloc[-1] > 0.4
    assert spam["mean_trust"].iloc[-1] < 0.1


def test_trust_switch_off_keeps_initial_trust():
    sc = sim.load_scenario("content_led").with_overrides({"population.n_users": 3000, "horizon_days": 60,
                                                         "mechanisms.trust": False, "mechanisms.referral": False})
    users = sim.simulate(sc).users
    joined = users[users.join_day >= 0]
    assert np.isin(np.round(joined.trust.to_numpy(dtype=float), 4), [0.05, 0.15]).all()


def test_failed_orders_destroy_trust():
    base = {"population.n_users": 6000, "horizon_days": 150}
    good = sim.simulate_many(sim.load_scenario("content_led").with_overrides(base), 3, workers=1).summaries.median()
    bad = sim.simulate_many(sim.load_scenario("content_led").with_overrides({**base, "fulfilment.failure_rate": 0.8}), 3,
                            workers=1).summaries.median()
    assert bad["churn_rate"] > 1.5 * good["churn_rate"]
    assert bad["repeat_rate"] < good["repeat_rate"]


def test_order_outcomes_move_trust():
    m = SiyuModel(sim.load_scenario("content_led").with_overrides({"population.n_users": 200}), seed=0)
    m.pop.trust[:] = 0.5
    from sim.mechanisms import trust as trust_rule
    trust_rule.on_orders(m, np.array([1]), np.array([2]))
    tr = m.scenario.trust
    assert m.pop.trust[1] == pytest.approx(0.5 + tr.purchase_gain * 0.5)
    assert m.pop.trust[2] == pytest.approx(0.5 * (1 - tr.failure_loss))
    assert m.pop.trust[3] == 0.5


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
