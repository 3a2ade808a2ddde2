"""Market settings shared across a comparison (sim.market): which fields, overrides, application."""

from __future__ import annotations

import pytest

import sim
from sim import ScenarioError, market


def test_market_fields_are_the_market_sections_and_touchpoint_prices():
    f = set(market.MARKET_FIELDS)
    for path in ("product.order_value", "product.margin_rate", "product.purchase_cycle_days",
                 "public.ad_reach_per_day", "public.cost_per_exposure", "population.need_mean",
                 "network.kind", "touchpoints.staff_cost_per_day", "touchpoints.friends_per_account"):
        assert path in f
    # the page's own users box, and every operator choice, are not market
    for path in ("population.n_users", "touchpoints.group_share", "touchpoints.max_accounts",
                 "touchpoints.mini_program", "strategy.ad_posts_per_day", "trust.initial", "horizon_days"):
        assert path not in f
    assert not [p for p in f if p.split(".")[0] not in (*market.MARKET_SECTIONS, "touchpoints")]


def test_overrides_keep_only_what_differs_from_the_defaults():
    d = market.defaults()
    assert d["product.order_value"] == 80.0 and d["network.kind"] == "scale_free"
    got = market.market_overrides({"product.order_value": 200.0, "product.margin_rate": d["product.margin_rate"],
                                   "network.kind": "random"})
    assert got == {"network.kind": "random", "product.order_value": 200.0} and list(got) == ["network.kind", "product.order_value"]
    table = market.differences(got)
    assert list(table.columns) == ["field", "unit", "default", "value"]
    row = table.set_index("field").loc["product.order_value"]
    assert (row["unit"], row["default"], row["value"]) == ("RMB per order", 80.0, 200.0)


def test_a_non_market_field_is_refused_in_one_line():
    with pytest.raises(ScenarioError, match="'strategy.ad_posts_per_day' is not a market field") as err:
        market.market_overrides({"strategy.ad_posts_per_day": 3})
    assert "\n" not in str(err.value)


def test_apply_changes_the_market_and_keeps_each_strategy():
    brand = {"product.margin_rate": 0.6, "product.order_value": 200.0, "product.purchase_cycle_days": 60.0,
             "public.cost_per_exposure": 0.8}
    for name in ("public_only", "content_led", "hybrid_referral"):
        sc = sim.load_scenario(name)
        out = market.apply_market(sc, brand)
        assert out.product.order_value == 200.0 and out.product.margin_rate == 0.6
        assert out.public.cost_per_exposure == 0.8
        assert out.strategy == sc.strategy and out.touchpoints.group_share == sc.touchpoints.group_share
        assert out.trust == sc.trust and out.name == sc.name
        assert out == sc.with_overrides(brand)  # what the CLI's --set does
    sc = sim.load_scenario("content_led")
    assert market.apply_market(sc, {}) is sc  # nothing to apply: same object (cache keys unchanged)
    assert market.own_market_values(sc) == {}
    assert market.own_market_values(market.apply_market(sc, brand)) == brand


def test_an_out_of_range_market_value_names_the_field():
    with pytest.raises(ScenarioError, match=r"product\.margin_rate.*0\.01 to 0\.95"):
        market.apply_market(sim.load_scenario("content_led"), {"product.margin_rate": 1.5})
