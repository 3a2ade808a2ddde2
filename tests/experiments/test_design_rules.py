"""Designs (sim.experiments.design) at their edges: schema look-ups, value checks, size limits.

Each error is one line naming the path, the value and what is allowed; values are stored in
their field's type; limits are exact (the largest allowed design is accepted, one more is
refused). Pure and fast: the mutation runs (benchmarks/mutation.sh) use these tests.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import ScenarioError
from sim.experiments import design
from sim.experiments.design import (
    Design,
    explicit,
    from_csv,
    grid,
    latin_hypercube,
    parameter,
    parse_vary,
    sweepable,
)

ADS = "strategy.ad_posts_per_day"


def _error(fn, *args, **kw) -> str:
    with pytest.raises(ScenarioError) as err:
        fn(*args, **kw)
    text = str(err.value)
    assert "\n" not in text
    return text


# --- the schema look-up --------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "want"), [
    ("", "parameter path '' must look like section.field"),
    ("strategy..x", "parameter path 'strategy..x' must look like section.field"),
    (f"{ADS}.0", f"parameter '{ADS}.0': {ADS} is not a list"),
    (f"{ADS}.x", f"parameter '{ADS}.x': '{ADS}' is a value, not a section"),
    ("shocks.0", "'shocks.0' is a section, not a parameter; its fields: start_day, days, public_closed"),
    ("strategy", "'strategy' is a section, not a parameter; its fields: content_posts_per_day, ad_posts_per_day"),
    ("horizon_day", "unknown parameter 'horizon_day'; did you mean 'horizon_days'?"),
    ("zzzz", "unknown parameter 'zzzz'; the scenario has: name, description, horizon_days"),
    ("strategy.zzzzzz", "unknown parameter 'strategy.zzzzzz'; strategy has: content_posts_per_day, ad_posts_per_day"),
])
def test_bad_parameter_paths_are_one_line_errors(path, want):
    assert _error(parameter, path).startswith(want)


def test_parameter_kinds_bounds_units_and_descriptions():
    p = parameter(f"  {ADS} ")   # surrounding blanks are ignored
    assert p.path == ADS and p.kind == "float" and (p.lo, p.hi) == (0, 50) and p.numeric
    assert p.unit == "posts per day" and p.description.startswith("Product ads / hard-sell posts")
    assert p.range_text() == " (allowed 0 to 50 posts per day)"
    assert parameter("shocks.0.start_day").kind == "int" and parameter("shocks.0.start_day").lo == 0
    b = parameter("strategy.ads_targeted")
    assert (b.kind, b.lo, b.hi, b.numeric) == ("bool", None, None, False)
    c = parameter("network.kind")
    assert c.kind == "choice" and c.choices == ("scale_free", "small_world", "random", "well_mixed") and not c.numeric
    t = parameter("name")
    assert (t.kind, t.unit, t.description) == ("text", "", "Short name of the scenario.")


def test_sweepable_lists_every_leaf_of_the_kinds_asked_in_schema_order():
    every = sweepable()
    paths = [p.path for p in every]
    assert paths[0] == "horizon_days" and len(paths) == len(set(paths)) > 100
    assert {p.kind for p in every} == {"int", "float", "bool", "choice"}
    assert "strategy.hooks.gift.enabled" in paths and "network.kind" in paths
    assert not any(p.startswith("shocks") for p in paths) and "name" not in paths
    assert paths.index("population.n_users") < paths.index("strategy.ad_posts_per_day")
    bools = sweepable(("bool",))
    assert bools and all(p.kind == "bool" for p in bools) and [p.path for p in bools] == [
        p.path for p in every if p.kind == "bool"]
    assert [p.path for p in sweepable(("text",))] == ["name", "description"]


@pytest.mark.parametrize(("kind", "value", "want"), [
    ("int", 3.0, 3), ("int", np.int64(4), 4), ("int", np.float64(5.0), 5), ("int", 2.5, 2.5), ("int", True, True),
    ("float", 2, 2.0), ("float", np.float32(0.5), 0.5), ("float", np.int64(7), 7.0), ("float", False, False),
    ("choice", 5, "5"), ("text", 1.5, "1.5"), ("choice", "random", "random"), ("bool", 1, 1),
])
def test_values_are_stored_in_their_field_s_type(kind, value, want):
    par = design.Parameter("x", kind, None, None, "", "")
    got = par.coerce(value)
    assert got == want and type(got) is type(want)


# --- value checks ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("values", "want"), [
    ({ADS: [True]}, f"{ADS} = True: must be a number (allowed 0 to 50 posts per day)"),
    ({ADS: ["lots"]}, f"{ADS} = 'lots': must be a number (allowed"),
    ({ADS: [math.inf]}, f"{ADS} = inf: must be finite (allowed"),
    ({ADS: [-0.5]}, f"{ADS} = -0.5: outside the schema's bounds (allowed 0 to 50"),
    ({ADS: [50.5]}, f"{ADS} = 50.5: outside the schema's bounds"),
    ({"touchpoints.group_size": [10.5]}, "touchpoints.group_size = 10.5: must be a whole number"),
    ({"strategy.ads_targeted": ["yes"]}, "strategy.ads_targeted = 'yes': must be true or false"),
    ({"network.kind": ["scale_fre"]}, "network.kind = 'scale_fre': must be one of scale_free, small_world, "
                                      "random, well_mixed; did you mean 'scale_free'?"),
])
def test_grid_values_outside_their_field_are_one_line_errors(values, want):
    assert _error(grid, values).startswith(want)


def test_an_unlike_choice_gets_no_hint_and_the_bounds_themselves_are_allowed():
    assert _error(grid, {"network.kind": ["zzz"]}).endswith("must be one of scale_free, small_world, random, well_mixed")
    d = grid({ADS: [0, 50], "touchpoints.group_size": [20.0], "network.kind": ["random"],
              "strategy.ads_targeted": [False]})
    assert [p[ADS] for p in d.points] == [0.0, 50.0]
    assert d.points[0]["touchpoints.group_size"] == 20 and type(d.points[0]["touchpoints.group_size"]) is int


# --- designs -------------------------------------------------------------------------------------
def test_a_design_round_trips_through_its_dict_and_names_its_parameters():
    d = grid({ADS: [1, 2], "network.kind": ["random", "scale_free"]})
    assert d.spec == {"values": {ADS: [1.0, 2.0], "network.kind": ["random", "scale_free"]}}
    data = d.to_dict()
    assert data == {"kind": "grid", "paths": [ADS, "network.kind"], "spec": d.spec,
                    "points": [dict(p) for p in d.points]}
    assert Design.from_dict(data) == d and Design.from_dict({k: v for k, v in data.items() if k != "spec"}).spec == {}
    assert [p.path for p in d.parameters()] == [ADS, "network.kind"] and d.parameters()[1].kind == "choice"


def test_grid_size_limit_is_exact(monkeypatch):
    monkeypatch.setattr(design, "MAX_POINTS", 6)
    assert len(grid({ADS: [1, 2, 3], "strategy.ads_targeted": [True, False]})) == 6
    assert _error(grid, {ADS: [1, 2, 3, 4, 5, 6, 7]}) == "grid: 7 points is more than the 6 a design may have"
    assert _error(grid, {}) == "grid: give at least one parameter and its values"
    assert _error(grid, {ADS: [1], f" {ADS}": [2]}) == f"grid: parameter '{ADS}' is given twice"


def test_latin_hypercube_integers_take_each_value_equally_often_and_floats_fill_the_range():
    d = latin_hypercube({"touchpoints.group_size": (10, 12), ADS: (1.0, 3.0)}, 300, seed=7)
    sizes = [p["touchpoints.group_size"] for p in d.points]
    assert all(type(s) is int for s in sizes) and np.bincount(sizes).tolist()[10:] == [100, 100, 100]
    ads = np.array([p[ADS] for p in d.points])
    assert all(type(p[ADS]) is float for p in d.points) and ads.min() >= 1.0 and ads.max() <= 3.0
    assert ads.min() < 1.01 and ads.max() > 2.99
    assert d.kind == "lhs" and d.paths == ("touchpoints.group_size", ADS)
    assert d.spec == {"ranges": {"touchpoints.group_size": [10.0, 12.0], ADS: [1.0, 3.0]}, "samples": 300, "seed": 7}
    assert latin_hypercube({ADS: (1.0, 3.0)}, 5, seed=8) != latin_hypercube({ADS: (1.0, 3.0)}, 5, seed=7)
    assert len(latin_hypercube({ADS: (0, 50)}, np.int64(3))) == 3   # the schema's own bounds are allowed


def test_latin_hypercube_sample_counts_and_kinds_are_checked(monkeypatch):
    monkeypatch.setattr(design, "MAX_POINTS", 4)
    assert len(latin_hypercube({ADS: (1.0, 3.0)}, 4)) == 4
    assert _error(latin_hypercube, {ADS: (1.0, 3.0)}, 5) == "--samples 5 is more than the 4 a design may have"
    assert _error(latin_hypercube, {ADS: (1.0, 3.0)}, True) == "--samples must be at least 1 (got True)"
    assert _error(latin_hypercube, {ADS: (1.0, 3.0)}, 2.0) == "--samples must be at least 1 (got 2.0)"
    assert _error(latin_hypercube, {}, 3) == "latin hypercube: give at least one parameter range"
    assert _error(latin_hypercube, {"strategy.ads_targeted": (0, 1)}, 3).startswith(
        "strategy.ads_targeted is a bool field; a range LO:HI needs a number field")
    assert _error(latin_hypercube, {ADS: (-1, 3)}, 3).startswith(f"range {ADS} = -1: outside the schema's bounds")
    assert _error(latin_hypercube, {ADS: (3, 1)}, 3) == (
        f"range {ADS} = 3:1 is reversed; give LO < HI (allowed 0 to 50 posts per day)")


def test_explicit_designs_need_points_with_the_same_paths():
    d = explicit([{ADS: 1, "network.kind": "random"}, {"network.kind": "scale_free", ADS: 2.5}], name="mine")
    assert d.kind == "list" and d.paths == (ADS, "network.kind") and d.spec == {"source": "mine"}
    assert d.points == ({ADS: 1.0, "network.kind": "random"}, {ADS: 2.5, "network.kind": "scale_free"})
    assert _error(explicit, [], name="mine") == "mine: the design has no points"
    assert _error(explicit, [{ADS: 1}, {ADS: 2, "network.kind": "random"}]) == (
        f"list: point 1 sets ['network.kind', '{ADS}'], not the same paths as point 0 ['{ADS}']")
    assert _error(explicit, [{ADS: 1}, {ADS: 99}]).startswith(f"list: point 1: {ADS} = 99: outside")


# --- CSV designs ---------------------------------------------------------------------------------
def test_csv_cells_are_yaml_scalars_and_blank_rows_are_skipped(tmp_path):
    f = tmp_path / "d.csv"
    f.write_bytes(f"\ufeff{ADS}, network.kind ,strategy.ads_targeted\n1, random ,true\n\n ,,\n2.5,'scale_free',false\n"
                  .encode())
    d = from_csv(f)
    assert d.paths == (ADS, "network.kind", "strategy.ads_targeted") and d.spec == {"source": "d.csv"}
    assert d.points == ({ADS: 1.0, "network.kind": "random", "strategy.ads_targeted": True},
                        {ADS: 2.5, "network.kind": "scale_free", "strategy.ads_targeted": False})
    g = tmp_path / "g.csv"
    g.write_text(f"{ADS},network.kind\n,random\n")
    assert _error(from_csv, g) == f"g.csv line 2: {ADS} = '': must be a number (allowed 0 to 50 posts per day)"
    g.write_text("network.kind\n[random\n")   # not YAML: read as the text itself
    assert _error(from_csv, g).startswith("g.csv line 2: network.kind = '[random': must be one of")


def test_csv_files_too_large_unreadable_or_too_long_are_one_line_errors(tmp_path, monkeypatch):
    f = tmp_path / "d.csv"
    f.write_text(f"{ADS}\n1\n2\n3\n")
    monkeypatch.setattr(design, "MAX_POINTS", 3)
    monkeypatch.setattr(design, "MAX_CSV_BYTES", f.stat().st_size)
    assert len(from_csv(f)) == 3   # exactly at both limits
    f.write_text(f"{ADS}\n1\n2\n3\n4\n")
    monkeypatch.setattr(design, "MAX_CSV_BYTES", 2_000_000)
    assert _error(from_csv, f) == "d.csv: 4 points is more than the 3 a design may have"
    monkeypatch.setattr(design, "MAX_CSV_BYTES", f.stat().st_size - 1)
    assert _error(from_csv, f) == "d.csv: design file is larger than 0 MB"
    monkeypatch.setattr(design, "MAX_CSV_BYTES", 2_000_000)
    f.write_text(f"{ADS}\n" + "1\n" * 1_000_000)
    assert _error(from_csv, f) == "d.csv: design file is larger than 2 MB"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00strategy\n")
    assert _error(from_csv, bad) == f"design file {bad}: cannot read it (UnicodeDecodeError)"
    assert _error(from_csv, tmp_path) == f"design file {tmp_path}: cannot read it (IsADirectoryError)"


# --- --vary ----------------------------------------------------------------------------------------
def test_parse_vary_strips_blanks_and_checks_ranges_and_lists():
    assert parse_vary(f"  {ADS} = 1 , 2 ") == (ADS, [1.0, 2.0])
    assert parse_vary(f"{ADS}= 0 : 5 ") == (ADS, (0, 5))
    assert parse_vary("network.kind=random,scale_free") == ("network.kind", ["random", "scale_free"])
    assert _error(parse_vary, ADS) == f"--vary '{ADS}' must look like PATH=V1,V2,... or PATH=LO:HI"
    assert _error(parse_vary, f"{ADS}= ") == f"--vary {ADS}: no values given; use {ADS}=V1,V2,... or {ADS}=LO:HI"
    assert _error(parse_vary, f"{ADS}=true:5") == f"--vary {ADS}=true:5: 'true' is not a number (a range is LO:HI)"
    assert _error(parse_vary, f"{ADS}=1: x") == f"--vary {ADS}=1: x: 'x' is not a number (a range is LO:HI)"
    assert _error(parse_vary, f"{ADS}=0:60").startswith(f"--vary {ADS} = 60: outside the schema's bounds")
    assert _error(parse_vary, f"{ADS}=-1:6").startswith(f"--vary {ADS} = -1: outside the schema's bounds")
    assert _error(parse_vary, f"{ADS}=1,,2") == f"--vary {ADS}=1,,2: an empty value in the list"
    assert _error(parse_vary, f"{ADS}=1,70").startswith(f"--vary {ADS} = 70: outside")


# --- messages that name where the problem is -------------------------------------------------------
def test_look_up_errors_name_the_part_that_is_wrong():
    assert _error(parameter, "0.x").startswith("parameter '0.x':")   # a list index with no list before it
    assert _error(parameter, "strategy.hooks.gft") == "unknown parameter 'strategy.hooks.gft'; did you mean 'strategy.hooks.gift'?"
    assert parameter(ADS).choices == () and parameter("strategy.ads_targeted").choices == ()
    assert "mechanisms.referral" in [p.path for p in sweepable()]   # the fields after the list section too


def test_duplicate_paths_and_bad_ranges_name_their_design():
    assert _error(latin_hypercube, {ADS: (1, 3), f" {ADS}": (1, 2)}, 3) == (
        f"latin hypercube: parameter '{ADS}' is given twice")
    assert _error(explicit, [{ADS: 1, f" {ADS}": 2}], name="mine") == f"mine: parameter '{ADS}' is given twice"
    assert _error(latin_hypercube, {"strategy.ads_targeted": (0, 1)}, 3) == (
        "strategy.ads_targeted is a bool field; a range LO:HI needs a number field (list its values instead)")
    assert _error(latin_hypercube, {ADS: (1, 60)}, 3) == (
        f"range {ADS} = 60: outside the schema's bounds (allowed 0 to 50 posts per day)")
    assert _error(latin_hypercube, {ADS: (2, 2)}, 3) == (
        f"range {ADS} = 2:2 is empty; give LO < HI (allowed 0 to 50 posts per day)")
    assert latin_hypercube({ADS: (1.0, 3.0)}, 5) == latin_hypercube({ADS: (1.0, 3.0)}, 5, seed=0)  # default seed 0


def test_csv_header_cells_and_fields_too_long_name_the_file(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text(f"{ADS},{ADS}\n1,2\n")
    assert _error(from_csv, f) == f"d.csv: parameter '{ADS}' is given twice"
    f.write_text(f"{ADS}\n&a 1\n")   # YAML anchors are refused by the safe reader, which names the cell
    assert _error(from_csv, f) == "design cell: YAML anchors and aliases (&name, *name) are not allowed (line 1)"
    f.write_text(f"{ADS}\n" + "1" * 200_000 + "\n")
    assert _error(from_csv, f) == "d.csv: not a valid CSV file (field larger than field limit (131072))"


@pytest.mark.parametrize(("text", "want"), [
    (f"{ADS}=3", (ADS, [3.0])),
    # the first "=" splits path from values; the first ":" splits LO from HI. YAML 1.1's base 60
    # ("1:2" = 62) is not read: such a cell is text, so it is refused as not a number
    (f"{ADS}=1=2", f"--vary {ADS} = '1=2': must be a number (allowed 0 to 50 posts per day)"),
    (f"{ADS}=1:2:3", f"--vary {ADS}=1:2:3: '2:3' is not a number (a range is LO:HI)"),
    (f"{ADS}=1:2,3", f"--vary {ADS} = '1:2': must be a number (allowed 0 to 50 posts per day)"),
])
def test_parse_vary_splits_at_the_first_separator(text, want):
    if isinstance(want, tuple):
        assert parse_vary(text) == want
    else:
        assert _error(parse_vary, text) == want
