"""The compiled rules' parameters (``pool.Rules``) are derived from the scenario schema."""

from __future__ import annotations

import pytest

import sim
from sim.mechanisms import fatigue, pool
from sim.scenario import Mechanisms


def _scenario() -> sim.Scenario:
    return sim.load_scenario("hybrid_referral").with_overrides({
        "fatigue.mute_rate": 0.7, "purchase.trust_exponent": 2.5, "referral.member_min_purchases": 4,
        "strategy.ads_targeted": True, "fatigue.targeted_weight": 0.3, "touchpoints.mini_program": True,
        "touchpoints.mini_program_lift": 0.4, "strategy.content_posts_per_day": 1.0,
        "mechanisms.incentive_churn": False, "fatigue.base_churn_per_year": 0.2})


def test_every_number_of_the_rule_sections_reaches_the_rules_with_its_value_and_type():
    sc = _scenario()
    r = pool.rules_for(sc)
    n = 0
    for sec in pool.RULE_SECTIONS:
        part = getattr(sc, sec)
        for name, f in type(part).model_fields.items():
            if f.annotation in (bool, int, float):
                got = getattr(r, name)
                assert got == getattr(part, name) and type(got) is f.annotation, (sec, name)
                n += 1
    assert n >= 60
    for name in Mechanisms.model_fields:
        assert getattr(r, f"{name}_on") is getattr(sc.mechanisms, name)
    assert r.incentive_churn_on is False and r.member_min_purchases == 4 and r.mute_rate == 0.7


def test_derived_rule_quantities():
    sc = _scenario()
    r = pool.rules_for(sc)
    assert r.retention == fatigue.retention(sc.fatigue.half_life_days)
    assert r.background_hazard == fatigue.background_hazard(0.2)
    assert r.ad_weight == 0.3 and r.consistent is True and r.mini_program_factor == 1.4
    plain = pool.rules_for(sc.with_overrides({"strategy.ads_targeted": False, "touchpoints.mini_program": False,
                                              "strategy.content_posts_per_day": 0.5}))
    assert plain.ad_weight == 1.0 and plain.consistent is False and plain.mini_program_factor == 1.0
    assert set(pool.DERIVED) <= set(pool.Rules._fields)


def test_rule_fields_are_built_from_the_schema_and_names_must_be_unique(monkeypatch):
    fields = pool._rule_fields()
    assert [n for n, _ in fields] == list(pool.Rules._fields)
    assert dict(fields) == pool._RULE_TYPES
    assert fields[: len(Mechanisms.model_fields)] == [(f"{n}_on", bool) for n in Mechanisms.model_fields]
    assert fields[-len(pool.DERIVED):] == list(pool.DERIVED.items())
    monkeypatch.setattr(pool, "DERIVED", {**pool.DERIVED, "mute_rate": float})
    with pytest.raises(TypeError, match=r"unique across .*\['mute_rate'\]"):
        pool._rule_fields()
    monkeypatch.setattr(pool, "DERIVED", {})
    monkeypatch.setattr(pool, "RULE_SECTIONS", ("trust",))
    only = pool._rule_fields()
    assert len(only) == len(Mechanisms.model_fields) + 11
