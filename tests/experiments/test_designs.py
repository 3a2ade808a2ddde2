"""Designs: grid sizes and order, Latin hypercubes inside the schema's bounds, CSV lists, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import ScenarioError
from sim.experiments import explicit, from_csv, grid, latin_hypercube, parameter
from sim.experiments.design import parse_vary


def test_grid_is_the_full_product_last_path_fastest():
    d = grid({"strategy.ad_posts_per_day": [0, 1, 2], "product.order_value": [100, 200],
              "mechanisms.referral": [True, False]})
    assert len(d) == 3 * 2 * 2 and d.kind == "grid"
    assert d.paths == ("strategy.ad_posts_per_day", "product.order_value", "mechanisms.referral")
    assert d.points[0] == {"strategy.ad_posts_per_day": 0.0, "product.order_value": 100.0, "mechanisms.referral": True}
    assert d.points[1]["mechanisms.referral"] is False and d.points[2]["product.order_value"] == 200.0
    assert len({tuple(p.values()) for p in d.points}) == len(d)
    # values are stored in the field's type (a float field given "1" is the float 1.0)
    assert all(isinstance(p["strategy.ad_posts_per_day"], float) for p in d.points)


def test_grid_sizes_multiply():
    assert len(grid({"touchpoints.group_size": [50, 100, 200, 500]})) == 4
    assert len(grid({"touchpoints.group_size": [50, 100], "horizon_days": [30, 60, 90]})) == 6


def test_parameter_reads_bounds_and_type_from_the_schema():
    p = parameter("strategy.ad_posts_per_day")
    assert (p.kind, p.lo, p.hi) == ("float", 0, 50) and "posts" in p.unit
    assert parameter("touchpoints.group_size").kind == "int"
    assert parameter("network.kind").kind == "choice" and "scale_free" in parameter("network.kind").choices
    assert parameter("shocks.0.start_day").kind == "int"


NUMERIC = ["strategy.ad_posts_per_day", "touchpoints.group_size", "product.order_value",
           "trust.initial_content", "referral.join_prob", "population.n_users"]


@settings(max_examples=25, derandomize=True, deadline=None)
@given(path=st.sampled_from(NUMERIC), a=st.floats(0, 1), b=st.floats(0, 1),
       samples=st.integers(1, 40), seed=st.integers(0, 10))
def test_latin_hypercube_stays_inside_the_range_and_the_schema(path, a, b, samples, seed):
    par = parameter(path)
    lo_b, hi_b = par.lo, min(par.hi, 10_000)
    lo, hi = sorted((lo_b + a * (hi_b - lo_b), lo_b + b * (hi_b - lo_b)))
    if par.kind == "int":
        lo, hi = math.ceil(lo), math.floor(hi)
    if not lo < hi:
        return
    d = latin_hypercube({path: (lo, hi), "referral.share_rate": (0.0, 0.5)}, samples, seed=seed)
    assert len(d) == samples
    xs = np.array([p[path] for p in d.points], dtype=float)
    assert (xs >= lo).all() and (xs <= hi).all()
    assert (xs >= par.lo).all() and (xs <= par.hi).all()
    if par.kind == "int":
        assert all(isinstance(p[path], int) for p in d.points)
    else:  # one sample in each of the `samples` equal strata
        strata = np.minimum(((xs - lo) / (hi - lo) * samples).astype(int), samples - 1)
        assert sorted(strata) == list(range(samples))
    assert latin_hypercube({path: (lo, hi), "referral.share_rate": (0.0, 0.5)}, samples, seed=seed) == d


@pytest.mark.parametrize(("ranges", "samples", "needles"), [
    ({"strategy.ad_posts_per_day": (0, 500)}, 3, ["strategy.ad_posts_per_day", "allowed 0 to 50"]),
    ({"strategy.ad_posts_per_day": (5, 1)}, 3, ["reversed", "LO < HI"]),
    ({"strategy.ad_posts_per_day": (2, 2)}, 3, ["empty"]),
    ({"strategy.ad_posts_per_day": (0, 1)}, 0, ["--samples", "at least 1"]),
    ({"network.kind": (0, 1)}, 3, ["network.kind", "choice"]),
    ({"strategy.ad_post_per_day": (0, 1)}, 3, ["unknown parameter", "did you mean 'strategy.ad_posts_per_day'"]),
    ({"strategy": (0, 1)}, 3, ["section, not a parameter"]),
    ({"touchpoints.group_size": (10.5, 100)}, 3, ["whole number"]),
])
def test_bad_ranges_are_one_line_errors(ranges, samples, needles):
    with pytest.raises(ScenarioError) as err:
        latin_hypercube(ranges, samples)
    text = str(err.value)
    assert "\n" not in text
    for needle in needles:
        assert needle in text, (needle, text)


def test_grid_values_are_checked_against_bounds():
    with pytest.raises(ScenarioError, match=r"allowed 0 to 50"):
        grid({"strategy.ad_posts_per_day": [1, 60]})
    with pytest.raises(ScenarioError, match="must be one of"):
        grid({"network.kind": ["scale_free", "lattice"]})
    with pytest.raises(ScenarioError, match="no values"):
        grid({"strategy.ad_posts_per_day": []})


def test_parse_vary_lists_and_ranges():
    assert parse_vary("strategy.ad_posts_per_day=1,2.5") == ("strategy.ad_posts_per_day", [1.0, 2.5])
    assert parse_vary("strategy.ad_posts_per_day=0:5") == ("strategy.ad_posts_per_day", (0, 5))
    assert parse_vary("mechanisms.referral=true,false") == ("mechanisms.referral", [True, False])
    for bad in ["strategy.ad_posts_per_day", "strategy.ad_posts_per_day=", "strategy.ad_posts_per_day=a:b",
                "strategy.ad_posts_per_day=1,,2"]:
        with pytest.raises(ScenarioError):
            parse_vary(bad)


def test_csv_design_reads_one_point_per_row(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("strategy.ad_posts_per_day,touchpoints.group_size,network.kind\n1,100,random\n2.5,500,scale_free\n")
    d = from_csv(f)
    assert d.kind == "list" and len(d) == 2
    assert d.points[1] == {"strategy.ad_posts_per_day": 2.5, "touchpoints.group_size": 500, "network.kind": "scale_free"}
    assert explicit(list(d.points)).points == d.points


@pytest.mark.parametrize(("text", "needles"), [
    ("", ["empty"]),
    ("strategy.ad_posts_per_day\n", ["no points"]),
    ("strategy.ad_posts_per_day,touchpoints.group_size\n1\n", ["line 2", "1 cells", "has 2"]),
    ("strategy.ad_posts_per_dai\n1\n", ["unknown parameter", "did you mean"]),
    ("strategy.ad_posts_per_day\n1\n99\n", ["line 3", "allowed 0 to 50"]),
    ("strategy.ad_posts_per_day\nlots\n", ["line 2", "must be a number"]),
    ("strategy.ad_posts_per_day,\n1,2\n", ["empty column name"]),
    ("strategy.ad_posts_per_day,strategy.ad_posts_per_day\n1,2\n", ["twice"]),
])
def test_malformed_csv_designs_are_one_line_errors(tmp_path, text, needles):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(ScenarioError) as err:
        from_csv(f)
    msg = str(err.value)
    assert "\n" not in msg
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_missing_csv_is_one_line(tmp_path):
    with pytest.raises(ScenarioError, match="not found"):
        from_csv(tmp_path / "nope.csv")


@pytest.mark.parametrize(("path", "rng", "needle"), [
    ("strategy.ad_posts_per_day", (0, 99), "--opt strategy.ad_posts_per_day=0:99: 99 is outside the schema's bounds (allowed 0 to 50"),
    ("strategy.ad_posts_per_day", (-1, 3), "--opt strategy.ad_posts_per_day=-1:3: -1 is outside the schema's bounds"),
    ("strategy.ad_posts_per_day", (2, 2), "--opt strategy.ad_posts_per_day=2:2 is an empty range; give LO < HI (allowed"),
    ("strategy.ad_posts_per_day", (3, 1), "--opt strategy.ad_posts_per_day=3:1 is reversed; give LO < HI (strategy.ad_posts_per_day=1:3)"),
    ("strategy.ad_posts_per_day", (math.nan, 1), "the range must be finite"),
    ("strategy.group_buy_size", (2.5, 4), "strategy.group_buy_size is a whole-number field; give whole numbers"),
])
def test_checked_range_refuses_bad_ranges_in_one_line_naming_the_option(path, rng, needle):
    with pytest.raises(ScenarioError) as err:
        parameter(path).checked_range(rng, "--opt")
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_checked_range_keeps_a_good_range_and_falls_back_to_the_schemas():
    from sim.experiments.design import Parameter

    par = parameter("strategy.ad_posts_per_day")
    assert par.checked_range((0.5, 2), "--vary") == (0.5, 2.0)
    assert par.checked_range(None, "--vary") == (float(par.lo), float(par.hi))
    half = Parameter("x.open_ended", "float", 0.0, None, "", "")  # no field of the schema is, but a field may be
    with pytest.raises(ScenarioError, match=r"^--fit x.open_ended has no schema bounds on both sides; give a range"):
        half.checked_range(None, "--fit")
    assert half.checked_range((1, 1e9), "--fit") == (1.0, 1e9)
    flat = Parameter("x.flat", "float", 1.0, 1.0, "", "")
    with pytest.raises(ScenarioError, match=r"^--vary x.flat: the schema's range is empty"):
        flat.checked_range(None, "--vary")
