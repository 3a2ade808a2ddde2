"""The scenario schema's own code (``sim.scenario``), fast, for the first stage of its mutation run.

The field helpers ``P``/``S`` (bounds, unit and source in each field), the overrides models
derived from a section (``overrides_of``: every field optional, bounds kept, only the given
fields dumped), the phases (cumulative strategies, the switch day of each day, every rule of
their validation with its exact message), the cross-field rules, and the scenario's YAML and
cache key. Complements tests/test_schema_bounds.py (every documented range) and
tests/test_loader.py (files and overrides); docs/MODEL.md §8.1.
"""

from __future__ import annotations

import pickle

import pytest
import yaml
from annotated_types import Ge, Le
from pydantic import BaseModel, ValidationError

import sim
import sim.scenario as schema
from sim.scenario import P, Phase, S, Scenario, Section, Strategy, StrategyOverrides, overrides_of


# --- the field helpers ------------------------------------------------------------------------------
def test_p_is_a_bounded_field_with_its_unit_and_source():
    f = P(3, 1, 5, "days", "How long.", "DOMAIN §2")
    assert f.default == 3 and f.description == "How long. Unit: days. Source: DOMAIN §2."
    assert f.json_schema_extra == {"unit": "days", "source": "DOMAIN §2"}
    assert [type(m) for m in f.metadata] == [Ge, Le] and (f.metadata[0].ge, f.metadata[1].le) == (1, 5)
    open_ = P(0.5, None, None, "share", "Open.", "assumption")
    assert open_.metadata == [] and open_.default == 0.5


def test_s_is_a_documented_field_without_bounds():
    f = S(True, "switch", "On or off.", "assumption")
    assert f.default is True and f.description == "On or off. Unit: switch. Source: assumption."
    assert f.json_schema_extra == {"unit": "switch", "source": "assumption"} and f.metadata == []


def test_a_schema_field_rejects_values_outside_its_p_bounds():
    class Toy(Section):
        x: float = P(1.0, 0.5, 2.0, "u", "t", "s")

    assert Toy(x=0.5).x == 0.5 and Toy(x=2.0).x == 2.0
    for bad in (0.49, 2.01):
        with pytest.raises(ValidationError):
            Toy(x=bad)
    with pytest.raises(ValidationError):
        Toy(y=1)   # a section forbids unknown keys


# --- overrides derived from a section ---------------------------------------------------------------
class Inner(Section):
    """An inner toy section."""

    k: int = P(2, 0, 9, "items", "Count.", "assumption")


class Outer(Section):
    """A toy section with a nested one."""

    a: float = P(1.0, 0.0, 2.0, "share", "A share.", "assumption")
    on: bool = S(False, "switch", "A switch.", "assumption")
    inner: Inner = S(Inner(), "inner", "Nested.", "assumption")


@pytest.fixture
def fresh(monkeypatch):
    """``overrides_of`` with an empty cache of its own (the module's is restored afterwards)."""
    monkeypatch.setattr(schema, "_OVERRIDES", {})
    for name in ("OuterOverrides", "InnerOverrides"):
        monkeypatch.setattr(schema, name, None, raising=False)
    return overrides_of


def test_overrides_of_makes_every_field_optional_and_keeps_its_bounds(fresh):
    over = fresh(Outer)
    assert over.__name__ == "OuterOverrides" and over.mirrors is Outer and issubclass(over, schema.Overrides)
    assert over.__doc__ == "Overrides of Outer: A toy section with a nested one."
    assert over.__module__ == "sim.scenario" and schema.OuterOverrides is over   # importable: scenarios pickle
    assert list(over.model_fields) == ["a", "on", "inner"]
    assert all(f.default is None and f.default_factory is None for f in over.model_fields.values())
    assert over.model_fields["a"].description == Outer.model_fields["a"].description
    inner = over.model_fields["inner"].annotation
    assert inner is fresh(Inner) and inner.__name__ == "InnerOverrides" and inner.mirrors is Inner
    assert over().a is None and over().inner is None
    assert over(a=2.0).a == 2.0 and over(inner={"k": 9}).inner.k == 9
    for bad in ({"a": 2.5}, {"a": -0.1}, {"inner": {"k": 10}}, {"b": 1}, {"inner": {"j": 1}}):
        with pytest.raises(ValidationError):
            over(**bad)
    assert Outer.model_fields["a"].default == 1.0   # the section itself is untouched


def test_overrides_of_is_built_once_per_section(fresh):
    first = fresh(Outer)
    assert fresh(Outer) is first and schema._OVERRIDES[Outer] is first and schema._OVERRIDES[Inner] is fresh(Inner)


def test_the_strategy_overrides_mirror_the_strategy():
    assert overrides_of(Strategy) is StrategyOverrides and StrategyOverrides.mirrors is Strategy
    assert list(StrategyOverrides.model_fields) == list(Strategy.model_fields)


def test_overrides_dump_only_the_fields_given():
    assert StrategyOverrides().model_dump() == {}
    assert StrategyOverrides(join_cash=5).model_dump() == {"join_cash": 5.0}
    o = StrategyOverrides(hooks={"gift": {"enabled": False}}, ad_posts_per_day=0)
    assert o.model_dump() == {"hooks": {"gift": {"enabled": False}}, "ad_posts_per_day": 0.0}
    assert o.model_dump(mode="json") == {"hooks": {"gift": {"enabled": False}}, "ad_posts_per_day": 0.0}
    assert pickle.loads(pickle.dumps(o)) == o


# --- phases -------------------------------------------------------------------------------------------
def phased(*phases: dict, **top) -> Scenario:
    return Scenario.model_validate({"horizon_days": 100, **top, "phases": list(phases)})


def test_a_phase_applies_its_overrides_on_top_of_a_strategy():
    base = Strategy.model_validate({"ad_posts_per_day": 3, "hooks": {"gift": {"enabled": True, "take_up": 0.3}}})
    ph = Phase.model_validate({"from_day": 5, "strategy": {"join_cash": 2, "hooks": {"gift": {"enabled": False}}}})
    got = ph.apply(base)
    assert isinstance(got, Strategy) and got.join_cash == 2.0 and got.ad_posts_per_day == 3.0
    assert got.hooks.gift.enabled is False and got.hooks.gift.take_up == 0.3   # merged field by field
    assert base.join_cash == 0.0 and base.hooks.gift.enabled is True            # the base is untouched
    assert Phase(from_day=5).apply(base) == base


def test_phase_scenarios_are_the_base_then_each_cumulative_strategy():
    sc = phased({"from_day": 10, "strategy": {"ad_posts_per_day": 2}},
                {"from_day": 20, "strategy": {"content_posts_per_day": 1, "ad_posts_per_day": 4}},
                name="plan", population={"n_users": 300})
    out = sc.phase_scenarios()
    assert len(out) == 3 and out[0] is sc
    assert [s.strategy.ad_posts_per_day for s in out] == [0.0, 2.0, 4.0]
    assert [s.strategy.content_posts_per_day for s in out] == [0.0, 0.0, 1.0]
    assert all(s.phases == [] for s in out[1:]) and all(s.name == "plan" and s.population.n_users == 300 for s in out)
    assert Scenario().phase_scenarios() == [Scenario()]


def test_phase_at_counts_the_phases_switched_on_by_that_day():
    sc = phased({"from_day": 10}, {"from_day": 20})
    assert [sc.phase_at(d) for d in (0, 9, 10, 11, 19, 20, 99)] == [0, 0, 1, 1, 1, 2, 2]
    assert Scenario().phase_at(0) == 0 and Scenario().phase_at(364) == 0
    assert phased({"from_day": 1}).phase_at(1) == 1


def _phase_error(*phases: dict, horizon: int = 100, **top) -> str:
    with pytest.raises(ValidationError) as err:
        phased(*phases, horizon_days=horizon, **top)
    (e,) = err.value.errors()
    return e["msg"].removeprefix("Value error, ")


def test_phases_must_come_in_increasing_order_of_their_day():
    assert _phase_error({"from_day": 60}, {"from_day": 30}) == \
        "phases.1.from_day = 30 must be after phases.0.from_day = 60 (phases in increasing order of from_day)"
    assert _phase_error({"from_day": 60}, {"from_day": 60}).startswith("phases.1.from_day = 60 must be after phases.0")
    assert _phase_error({"from_day": 10}, {"from_day": 20}, {"from_day": 15}) == \
        "phases.2.from_day = 15 must be after phases.1.from_day = 20 (phases in increasing order of from_day)"
    assert phased({"from_day": 10}, {"from_day": 11}).phase_at(11) == 2


def test_a_first_phase_on_day_0_is_refused_even_without_its_field_bound():
    for day in (0, -3):
        bad = Phase.model_construct(from_day=day, label="", strategy=StrategyOverrides())
        with pytest.raises(ValidationError) as err:
            Scenario(phases=[bad])
        assert err.value.errors()[0]["msg"] == (f"Value error, phases.0.from_day = {day} must be after day 0 (the base plan) "
                                                "(phases in increasing order of from_day)")


def test_a_phase_must_start_inside_the_horizon():
    assert _phase_error({"from_day": 100}) == \
        "phases.0.from_day = 100 is outside the horizon (allowed 1 to 99, horizon_days = 100)"
    assert _phase_error({"from_day": 5}, {"from_day": 30}, horizon=30) == \
        "phases.1.from_day = 30 is outside the horizon (allowed 1 to 29, horizon_days = 30)"
    assert phased({"from_day": 99}).phases[0].from_day == 99


def test_every_phase_s_scenario_must_fit_the_budget_caps():
    fixed = {"budget": {"monthly_cap": 1000}, "strategy": {"content_cost_per_post": 0}}
    msg = _phase_error({"from_day": 9}, {"from_day": 20, "strategy": {"content_cost_per_post": 30, "content_posts_per_day": 5}},
                       **fixed)
    assert msg.startswith("phases.1: budget.monthly_cap = 1,000 RMB is below the plan's fixed costs of 4,590 RMB per 30 days")
    msg = _phase_error({"from_day": 9, "strategy": {"content_cost_per_post": 30, "content_posts_per_day": 5}}, **fixed)
    assert msg.startswith("phases.0: budget.monthly_cap = 1,000 RMB")
    ok = phased({"from_day": 9, "strategy": {"content_cost_per_post": 30, "content_posts_per_day": 1}}, **fixed)
    assert len(ok.phase_scenarios()) == 2   # 30 + 3 a day: 990 a month fits


def test_the_base_plan_must_fit_the_caps_and_its_conversion_range():
    with pytest.raises(ValidationError, match="budget.yearly_cap = 1,000 RMB is below"):
        Scenario.model_validate({"budget": {"yearly_cap": 1000}})
    with pytest.raises(ValidationError) as err:
        Scenario.model_validate({"purchase": {"conversion_floor": 0.6, "conversion_ceiling": 0.5}})
    assert err.value.errors()[0]["msg"] == ("Value error, purchase.conversion_floor must be ≤ purchase.conversion_ceiling "
                                            "(got 0.6 > 0.5)")
    same = Scenario.model_validate({"purchase": {"conversion_floor": 0.5, "conversion_ceiling": 0.5}})
    assert same.purchase.conversion_floor == same.purchase.conversion_ceiling == 0.5


def test_phase_errors_reach_the_user_as_one_line():
    with pytest.raises(sim.ScenarioError, match=r"^override: phases\.0\.from_day = 400 is outside the horizon"):
        Scenario().with_overrides({"phases": [{"from_day": 400}]})


# --- overrides, YAML, key -----------------------------------------------------------------------------
def test_with_overrides_returns_a_validated_copy():
    sc = Scenario(name="a")
    got = sc.with_overrides({"strategy.ad_posts_per_day": 5, "name": "b"})
    assert got.strategy.ad_posts_per_day == 5.0 and got.name == "b" and sc.name == "a"
    assert sc.strategy.ad_posts_per_day == 0.0 and isinstance(got, Scenario)
    with pytest.raises(sim.ScenarioError, match=r"strategy\.ad_posts_per_day = 99"):
        sc.with_overrides({"strategy.ad_posts_per_day": 99})


def test_to_yaml_holds_every_field_in_schema_order_and_keeps_chinese_text():
    sc = phased({"from_day": 9, "label": "启动", "strategy": {"join_cash": 2}}, name="私域 plan")
    text = sc.to_yaml()
    data = yaml.safe_load(text)
    assert "私域 plan" in text and "启动" in text                 # not escaped
    assert list(data) == list(Scenario.model_fields)             # not sorted
    assert data["phases"] == [{"from_day": 9, "label": "启动", "strategy": {"join_cash": 2.0}}]
    assert Scenario.model_validate(data) == sc


def test_the_key_is_the_scenario_s_json_and_tells_scenarios_apart():
    sc = Scenario()
    assert sc.key() == sc.model_dump_json() and sc.key() == Scenario().key()
    assert sc.key() != sc.with_overrides({"strategy.join_cash": 1}).key()
    assert isinstance(sc.key(), str) and sc.key().startswith('{"name":"unnamed"')


def test_sections_validate_assignments():
    s = Strategy()
    with pytest.raises(ValidationError):
        s.ad_posts_per_day = 99
    assert isinstance(s, BaseModel)
