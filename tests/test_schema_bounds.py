"""Every documented bound of the scenario schema, just inside and just outside.

The cases are generated from the schema's own ``ge``/``le`` metadata (and ``max_length``), so a
new parameter is covered as soon as it is declared: the bound itself and the nearest float (or
integer) inside are accepted, the nearest one outside is rejected with one line naming the field
and its allowed range.
"""

from __future__ import annotations

import math
import typing

import pytest
from pydantic import BaseModel

from sim.errors import ScenarioError
from sim.loader import validate_dict
from sim.scenario import A, P, S, Scenario, Section


def _bounds(field) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in field.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    return lo, hi


def _walk(model: type[BaseModel], prefix: tuple[str, ...] = ()):
    for name, f in model.model_fields.items():
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, Section):
            yield from _walk(ann, (*prefix, name))
        elif typing.get_origin(ann) is list:
            (item,) = typing.get_args(ann)
            yield from _walk(item, (*prefix, name, "0"))
        else:
            lo, hi = _bounds(f)
            if lo is not None or hi is not None:
                yield (*prefix, name), ann, lo, hi


FIELDS = list(_walk(Scenario))
CASES = []
for path, ann, lo, hi in FIELDS:
    for bound, other in ((lo, hi), (hi, lo)):
        if bound is None or other is None:  # open ranges fail the coverage test below
            continue
        sign = 1 if other > bound else -1  # direction into the range
        if ann is int:
            inside, outside = bound + sign, bound - sign
        else:
            inside = math.nextafter(bound, other)
            outside = math.nextafter(bound, -math.inf if sign > 0 else math.inf)
        CASES.append(pytest.param(path, bound, inside, outside, id=".".join(path) + ("@lo" if bound == lo else "@hi")))


def _data(path: tuple[str, ...], value) -> dict:
    data: dict = {}
    node = data
    for i, key in enumerate(path[:-1]):
        if key == "0":
            continue
        nxt: dict = {}
        node[key] = [nxt] if i + 1 < len(path) and path[i + 1] == "0" else nxt
        node = nxt
    node[path[-1]] = value
    # keep the cross-field rule out of the way: floor ≤ ceiling
    if path == ("purchase", "conversion_floor"):
        node["conversion_ceiling"] = 1.0
    if path == ("purchase", "conversion_ceiling"):
        node["conversion_floor"] = 0.0
    if path[0] == "phases":  # a phase must start inside the horizon: make it the longest
        data["horizon_days"] = 3_650
    if path[0] == "budget":  # a cap must cover the plan's fixed costs: make them nil
        data["touchpoints"] = {"account_cost_per_day": 0.0}
        data["strategy"] = {"content_cost_per_post": 0.0}
    return data


def _get(sc: Scenario, path: tuple[str, ...]):
    obj = sc
    for key in path:
        obj = obj[int(key)] if key == "0" else getattr(obj, key)
    return obj


def test_every_section_field_with_a_range_is_covered():
    names = {".".join(p) for p, *_ in FIELDS}
    assert len(FIELDS) >= 110
    assert {"population.n_users", "strategy.hooks.cash.take_up", "shocks.0.start_day", "horizon_days",
            "purchase.trust_exponent", "fulfilment.capacity_per_day"} <= names
    assert all(lo is not None and hi is not None for _, _, lo, hi in FIELDS)  # every range is closed


@pytest.mark.parametrize("path, bound, inside, outside", CASES)
def test_bound_just_inside_and_just_outside(path, bound, inside, outside):
    for ok in (bound, inside):
        assert _get(validate_dict(_data(path, ok)), path) == ok
    dotted = ".".join(path)
    with pytest.raises(ScenarioError) as err:
        validate_dict(_data(path, outside))
    msg = str(err.value)
    assert "\n" not in msg and dotted in msg and "allowed" in msg


def test_text_and_list_lengths_are_bounded():
    validate_dict({"name": "n" * 80, "description": "d" * 2000, "shocks": [{}] * 20})
    for data, key in (({"name": "n" * 81}, "name"), ({"description": "d" * 2001}, "description"),
                      ({"shocks": [{}] * 21}, "shocks")):
        with pytest.raises(ScenarioError, match=key):
            validate_dict(data)


def test_conversion_floor_may_equal_but_not_exceed_the_ceiling():
    sc = validate_dict({"purchase": {"conversion_floor": 0.4, "conversion_ceiling": 0.4}})
    assert sc.purchase.conversion_floor == sc.purchase.conversion_ceiling == 0.4
    with pytest.raises(ScenarioError, match=r"conversion_floor must be ≤ purchase.conversion_ceiling \(got 0.5 > 0.4\)"):
        validate_dict({"purchase": {"conversion_floor": 0.5, "conversion_ceiling": 0.4}})


def test_unknown_keys_and_assignments_are_validated():
    with pytest.raises(ScenarioError, match="unknown key 'fatigue.mute_rat'.*mute_rate"):
        validate_dict({"fatigue": {"mute_rat": 1.0}})
    sc = Scenario()
    with pytest.raises(ValueError):
        sc.fatigue.mute_rate = -1.0


def test_parameter_helpers_record_unit_range_and_source():
    f = P(2.0, 0.5, 9.0, "days", "How long.", "EVIDENCE: x")
    assert f.default == 2.0 and _bounds(f) == (0.5, 9.0)
    assert f.description == "How long. Unit: days. Source: EVIDENCE: x."
    assert f.json_schema_extra == {"unit": "days", "source": "EVIDENCE: x"}
    s = S(True, "switch", "On.", A)
    assert s.default is True and _bounds(s) == (None, None)
    assert s.description == "On. Unit: switch. Source: assumption."
    assert s.json_schema_extra == {"unit": "switch", "source": "assumption"}


def test_scenario_overrides_yaml_and_key():
    sc = Scenario()
    other = sc.with_overrides({"fatigue.mute_rate": 0.9})
    assert other.fatigue.mute_rate == 0.9 and sc.fatigue.mute_rate == 0.3
    with pytest.raises(ScenarioError, match="fatigue.mute_rate"):
        sc.with_overrides({"fatigue.mute_rate": 9.0})
    import yaml

    text = sc.to_yaml()
    assert yaml.safe_load(text) == sc.model_dump(mode="json")
    assert list(yaml.safe_load(text))[:3] == ["name", "description", "horizon_days"]
    assert validate_dict(yaml.safe_load(other.to_yaml())) == other
    assert sc.key() == Scenario().key() and sc.key() != other.key()
    assert "中" in Scenario(name="中文").to_yaml()
