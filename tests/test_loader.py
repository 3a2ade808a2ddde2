"""Scenario schema and loading: shipped files, extends, overrides, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import sim
from sim.loader import parse_override
from sim.scenario import Scenario

DATA = Path(__file__).parent / "data"

SHIPPED = ["public_only", "rebate_led", "content_led", "spam_blast", "broadcast_group",
           "hybrid_referral", "community_no_sell", "black_swan"]


def test_all_required_scenarios_are_shipped_and_valid():
    assert set(SHIPPED) <= set(sim.list_scenarios())
    for name in SHIPPED:
        sc = sim.load_scenario(name)
        assert sc.name == name
        assert sc.description


def test_every_field_has_description_unit_and_source():
    def walk(model, prefix=""):
        for name, field in model.model_fields.items():
            path = prefix + name
            assert field.description, path
            ann = field.annotation
            if isinstance(ann, type) and issubclass(ann, sim.scenario.Section):
                walk(ann, path + ".")
            elif path not in {"name", "description", "shocks"}:
                extra = field.json_schema_extra or {}
                assert extra.get("unit") and extra.get("source"), path
    import sim.scenario  # noqa: F401
    walk(Scenario)


def test_extends_inherits_and_overrides():
    child = sim.load_scenario(DATA / "child.yaml")
    parent = sim.load_scenario("content_led")
    assert child.strategy.ad_posts_per_day == 2
    assert child.strategy.content_posts_per_day == parent.strategy.content_posts_per_day
    assert child.name == "child"
    swan = sim.load_scenario("black_swan")
    assert swan.shocks and swan.strategy.content_posts_per_day == parent.strategy.content_posts_per_day


def test_with_overrides_validates_and_copies():
    base = sim.load_scenario("content_led")
    new = base.with_overrides({"strategy.ad_posts_per_day": 5, "population.n_users": 1234, "horizon_days": 90})
    assert (new.strategy.ad_posts_per_day, new.population.n_users, new.horizon_days) == (5, 1234, 90)
    assert base.strategy.ad_posts_per_day == 0.15
    shocked = base.with_overrides({"shocks": [{"start_day": 10, "days": 5}]})
    assert shocked.shocks[0].start_day == 10
    assert shocked.with_overrides({"shocks.0.days": 7}).shocks[0].days == 7


@pytest.mark.parametrize("override, expected", [
    ({"strategy.ad_posts_per_day": 500}, r"strategy\.ad_posts_per_day = 500: .*allowed 0 to 50 posts per day"),
    ({"strategy.ad_post_per_day": 1}, r"unknown key 'strategy\.ad_post_per_day'; did you mean 'ad_posts_per_day'\?"),
    ({"population.n_users": "abc"}, r"population\.n_users = 'abc'"),
    ({"network.kind": "star"}, r"network\.kind = 'star'"),
    ({"shocks.3.days": 1}, r"no item '3'"),
])
def test_bad_overrides_give_one_line_errors(override, expected):
    with pytest.raises(sim.ScenarioError, match=expected) as err:
        sim.load_scenario("content_led").with_overrides(override)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("fname, expected", [
    ("wrong_unknown_key.yaml", r"unknown key 'strategy\.ad_post_per_day'; did you mean 'ad_posts_per_day'"),
    ("wrong_range.yaml", r"strategy\.ad_posts_per_day = 500.*allowed 0 to 50"),
    ("wrong_type.yaml", r"population\.n_users = 'many'"),
    ("wrong_not_mapping.yaml", r"must be a mapping"),
    ("wrong_bomb.yaml", r"(anchors|aliases) .* not allowed"),
    ("wrong_malformed.yaml", r"not valid YAML \(line \d+\)"),
    ("wrong_empty.yaml", r"file is empty"),
    ("wrong_cross_field.yaml", r"conversion_floor must be ≤"),
    ("loop_a.yaml", r"circular"),
])
def test_bad_files_give_one_line_errors(fname, expected):
    with pytest.raises(sim.ScenarioError, match=expected) as err:
        sim.load_scenario(DATA / fname)
    assert "\n" not in str(err.value)


def test_unknown_scenario_name_suggests_close_match():
    with pytest.raises(sim.ScenarioError, match="did you mean 'content_led'"):
        sim.load_scenario("content_lead")


def test_oversized_upload_is_refused():
    text = "name: big\ndescription: " + "x" * 1_100_000
    with pytest.raises(sim.ScenarioError, match="larger than 1 MB"):
        sim.parse_scenario_text(text)


def test_round_trip_yaml_and_dump():
    for name in SHIPPED:
        sc = sim.load_scenario(name)
        again = sim.parse_scenario_text(sc.to_yaml())
        assert again == sc
        assert Scenario.model_validate(sc.model_dump()) == sc
        assert yaml.safe_load(sc.to_yaml())["name"] == name


def test_parse_override_reads_yaml_values():
    assert parse_override("strategy.one_to_one=true") == ("strategy.one_to_one", True)
    assert parse_override("population.n_users=5000") == ("population.n_users", 5000)
    with pytest.raises(sim.ScenarioError, match="section.field=value"):
        parse_override("nonsense")


def test_uploads_may_only_extend_shipped_scenarios(tmp_path):
    other = tmp_path / "secret.yaml"
    other.write_text("name: secret\n")
    assert sim.parse_scenario_text("extends: content_led\nname: up\n").strategy.content_posts_per_day == 1.5
    with pytest.raises(sim.ScenarioError, match="must name a shipped scenario"):
        sim.parse_scenario_text(f"extends: {other}\nname: up\n")


def test_deeply_nested_yaml_is_one_line_error():
    with pytest.raises(sim.ScenarioError, match="nested too deeply|must be a mapping|unknown key"):
        sim.parse_scenario_text("a: " + "[" * 5000 + "]" * 5000)


@pytest.mark.parametrize("rate", [1.5, -0.01, "ten percent"])
def test_discount_rate_outside_its_range_is_one_line_naming_the_field(rate):
    with pytest.raises(sim.ScenarioError, match=r"finance\.discount_rate = ") as err:
        sim.load_scenario("content_led").with_overrides({"finance.discount_rate": rate})
    assert "\n" not in str(err.value)
    if not isinstance(rate, str):
        assert "allowed 0 to 1 share per year" in str(err.value)


def test_discount_rate_file_out_of_range_is_one_line():
    with pytest.raises(sim.ScenarioError, match=r"finance\.discount_rate = 1\.5.*allowed 0 to 1") as err:
        sim.load_scenario(DATA / "wrong_discount_rate.yaml")
    assert "\n" not in str(err.value)
    assert sim.load_scenario("content_led").finance.discount_rate == 0.10  # the documented default
