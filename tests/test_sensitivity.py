"""Sensitivity analysis: the SALib core on known functions, the factors and limits, the simulator path, figures.

The core (:func:`run_analysis`) is the same code the simulator goes through; here it runs on the
Ishigami function (known Sobol' indices) and on linear functions with seed noise (known
elementary effects and seed shares). Model runs are tiny (300 users × 30 days, 1 worker).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import sim
from sim import ScenarioError
from sim.experiments import LocalBackend, Store
from sim.figures.sensitivity import indices_figure, tornado_figure
from sim.planning import sensitivity as sa

PI = math.pi
ISHIGAMI = sa.Problem(("x1", "x2", "x3"), ((-PI, PI),) * 3)
TINY = {"population.n_users": 300, "horizon_days": 30}


def ishigami(x: np.ndarray, seeds: int = 4, noise: float = 1.0) -> np.ndarray:
    """Ishigami (a=7, b=0.1) plus independent noise per run: samples × seeds."""
    f = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    return f[:, None] + np.random.default_rng(1).normal(0.0, noise, (len(x), seeds))


# --- the core on known functions ----------------------------------------------------------------
def test_sobol_recovers_the_ishigami_indices_and_the_seed_share():
    res = sa.run_analysis(ISHIGAMI, ishigami, "sobol", 1024, seed=3, seed_resamples=20)
    t = res.table.set_index("parameter")
    for name, s1, st in (("x1", 0.314, 0.558), ("x2", 0.442, 0.442), ("x3", 0.0, 0.244)):
        assert t.loc[name, "S1"] == pytest.approx(s1, abs=0.05), name
        assert t.loc[name, "ST"] == pytest.approx(st, abs=0.05), name
        assert t.loc[name, "S1_lo"] <= t.loc[name, "S1"] <= t.loc[name, "S1_hi"]
        assert t.loc[name, "ST_seed_q10"] <= t.loc[name, "ST_seed_q90"]
    assert list(t.index) == ["x1", "x2", "x3"] and list(t["rank"]) == [1, 2, 3]  # ranked by ST
    # Var(Ishigami) = a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2 ≈ 13.84; noise variance 1
    var_f = 49 / 8 + 0.1 * PI ** 4 / 5 + 0.01 * PI ** 8 / 18 + 0.5
    assert res.seed_share == pytest.approx(1 / (1 + var_f), abs=0.01)
    assert res.residual_noise_share == pytest.approx((1 / 4) / (var_f + 1 / 4), abs=0.01)
    assert res.y.shape == (1024 * 5, 4)


def test_morris_ranks_the_ishigami_factors_that_matter_above_x3():
    res = sa.run_analysis(ISHIGAMI, ishigami, "morris", 40, seed=0, seed_resamples=10)
    ranks = dict(zip(res.table["parameter"], res.table["rank"], strict=True))
    assert ranks["x3"] == 3
    assert (res.table["mu_star_lo"] <= res.table["mu_star"]).all()
    assert (res.table["mu_star"] <= res.table["mu_star_hi"]).all()


def test_common_seed_noise_cancels_and_the_elementary_effect_is_per_full_range():
    problem = sa.Problem(("a", "b"), ((0.0, 2.0), (0.0, 1.0)))
    shift = np.array([5.0, -3.0, 1.0])  # the same luck of replicate r at every point (common random numbers)

    def f(x):
        return (10 * x[:, 0] / 2)[:, None] + shift[None, :]

    res = sa.run_analysis(problem, f, "morris", 6, seed=1, seed_resamples=10)
    t = res.table.set_index("parameter")
    assert t.loc["a", "mu_star"] == pytest.approx(10.0)  # +10 over the whole range of a
    assert t.loc["b", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert t.loc["a", "mu_star_seed_q10"] == pytest.approx(10.0)  # resampled seeds move nothing
    assert res.seed_share > 0.1 and res.residual_noise_share > 0


def test_the_core_refuses_non_finite_values_a_flat_kpi_and_one_seed():
    problem = sa.Problem(("a",), ((0.0, 1.0),))
    with pytest.raises(ScenarioError, match="not finite"):
        sa.run_analysis(problem, lambda x: np.where(x[:, :1] > 0.5, np.inf, 1.0).repeat(2, 1), "morris", 4)
    with pytest.raises(ScenarioError, match="does not change"):
        sa.run_analysis(problem, lambda x: np.ones((len(x), 2)), "morris", 4)
    with pytest.raises(ScenarioError, match="at least 2"):
        sa.run_analysis(problem, lambda x: x[:, :1], "morris", 4)


def test_whole_number_factors_take_each_value_of_their_range():
    problem = sa.Problem(("n", "x"), ((0.0, 3.0), (0.0, 1.0)), (True, False))
    values = sa.cast(problem, sa.draw(problem, "sobol", 256, seed=0))
    counts = pd.Series(values[:, 0]).value_counts()
    assert sorted(counts.index) == [0.0, 1.0, 2.0, 3.0] and counts.min() > 0.2 * len(values)
    assert ((values[:, 1] >= 0) & (values[:, 1] <= 1)).all() and not np.all(values[:, 1] == np.round(values[:, 1]))


@settings(max_examples=40, deadline=None, database=None, derandomize=True)
@given(lo=hs.integers(-50, 50), width=hs.integers(1, 40), flo=hs.floats(-5, 5), fwidth=hs.floats(0.01, 10),
       method=hs.sampled_from(sa.METHODS))
def test_cast_values_stay_in_their_ranges_and_whole_fields_stay_whole(lo, width, flo, fwidth, method):
    problem = sa.Problem(("n", "x"), ((float(lo), float(lo + width)), (flo, flo + fwidth)), (True, False))
    values = sa.cast(problem, sa.draw(problem, method, 8, seed=0))
    assert ((values[:, 0] >= lo) & (values[:, 0] <= lo + width)).all()
    assert (values[:, 0] == np.round(values[:, 0])).all()
    assert ((values[:, 1] >= flo) & (values[:, 1] <= flo + fwidth)).all()


# --- factors and limits -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny() -> sim.Scenario:
    return sim.load_scenario("content_led").with_overrides(TINY)


def test_factors_take_schema_or_user_ranges_and_whole_sections(tiny):
    facs = sa.factors(tiny, ["strategy.ad_posts_per_day", "trust.initial=0.2:0.6"])
    assert [(f.path, f.lo, f.hi) for f in facs] == [("strategy.ad_posts_per_day", 0.0, 50.0), ("trust.initial", 0.2, 0.6)]
    assert facs[0].base == tiny.strategy.ad_posts_per_day
    sec = sa.factors(tiny, {"trust.initial": (0.1, 0.3)}, ["trust", "population"])
    paths = [f.path for f in sec]
    assert "trust.failure_loss" in paths and "population.need_mean" in paths
    assert "population.n_users" not in paths  # a scale field, not an assumption
    assert next(f for f in sec if f.path == "trust.initial").hi == 0.3  # the user's range wins


@pytest.mark.parametrize(("vary", "sections", "needle"), [
    (["nope.field"], [], "unknown parameter 'nope.field'"),
    (["strategy.ad_posts_per_day=0:99"], [], "outside the schema's bounds (allowed 0 to 50"),
    (["strategy.ad_posts_per_day=3:1"], [], "is reversed; give LO < HI (strategy.ad_posts_per_day=1:3)"),
    (["strategy.ad_posts_per_day=2:2"], [], "--vary strategy.ad_posts_per_day=2:2 is an empty range; give LO < HI"),
    (["network.kind"], [], "choice field"),
    (["strategy.ads_targeted"], [], "sensitivity varies number fields only"),
    (["trust.initial=a:1"], [], "'a' is not a number"),
    (["trust.initial=0.1,0.2"], [], "must look like PATH or PATH=LO:HI"),
    (["strategy.group_buy_size=0.5:3"], [], "whole-number field"),
    (["trust.initial", "trust.initial=0:1"], [], "given twice"),
    ([], ["bogus"], "unknown section 'bogus'"),
    ([], [], "give what to vary"),
])
def test_bad_factors_are_one_line(tiny, vary, sections, needle):
    with pytest.raises(ScenarioError) as err:
        sa.factors(tiny, vary, sections)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_limits_on_samples_seeds_budget_and_sobol_size(tiny):
    one = sa.factors(tiny, ["trust.initial"])
    assert sa.plan_runs(tiny, one, "morris", 4, 2) == (4 * 2 + 3, 22, 22 * 300 * 30)
    assert sa.plan_runs(tiny, one, "sobol", 8, 2, tornado=False)[0] == 8 * 3
    for args, needle in (((one, "morris", 0, 2), "--samples must be 2 to"),
                         ((one, "morris", 4, 1), "--seeds must be 2 to 50"),
                         ((one, "morris", 4, 0), "--seeds must be 2 to 50"),
                         ((one, "sobol", 100, 2), "power of 2 (e.g. 64 or 128)"),
                         ((one, "morris", 1000, 50), "above the limit of 10,000 runs"),
                         ((sa.factors(tiny, [], ["strategy"]), "sobol", 8, 2), "too many (at most 12)"),
                         ((one, "fast", 4, 2), "must be one of morris, sobol")):
        with pytest.raises(ScenarioError) as err:
            sa.plan_runs(tiny, *args)
        assert needle in str(err.value), (needle, str(err.value))
    with pytest.raises(ScenarioError, match="known KPIs: cum_profit, roi"):
        sa.check_kpi("profitt")


# --- the simulator through the experiment layer ---------------------------------------------------
def test_sensitivity_runs_through_the_store_and_reopens(tiny, tmp_path):
    store = Store(tmp_path / "st")
    with LocalBackend(workers=1) as backend:
        res = sa.sensitivity(tiny, "morris", vary=["strategy.ad_posts_per_day=0:6", "product.margin_rate=0.2:0.6"],
                             kpi="cum_profit", samples=2, seeds=2, backend=backend, store=store)
        # the same id again with another KPI: every run is already stored, nothing is simulated
        calls: list[tuple[int, int]] = []
        again = sa.sensitivity(tiny, "morris", vary=["strategy.ad_posts_per_day=0:6", "product.margin_rate=0.2:0.6"],
                               kpi="gmv_total", samples=2, seeds=2, backend=backend, store=store, id=res.id,
                               progress=lambda d, t: calls.append((d, t)))
    assert res.id.startswith("sens-") and res.runs == (2 * 3 + 5) * 2 and res.complete
    entry = next(e for e in store.list() if e["id"] == res.id)
    assert entry["status"] == "complete" and entry["runs_done"] == res.runs
    runs = store.table(res.id)
    assert set(runs["replicate"]) == {0, 1} and len(set(runs["seed"])) == 2  # common random numbers
    assert set(res.table["parameter"]) == {"strategy.ad_posts_per_day", "product.margin_rate"}
    assert sorted(res.table["rank"]) == [1, 2] and 0 <= res.seed_share <= 1
    top = res.tornado.iloc[0]
    assert top["swing"] >= res.tornado.iloc[1]["swing"]
    assert top["low_q10"] <= top["low_q50"] <= top["low_q90"]
    margin = res.tornado.set_index("parameter").loc["product.margin_rate"]
    assert margin["high_q50"] > margin["low_q50"]  # more margin, more profit
    assert calls[0] == (res.runs, res.runs) and again.kpi == "gmv_total"
    assert sorted(store.attachments(res.id)) == ["sensitivity-cum_profit", "sensitivity-gmv_total"]
    back = sa.load(res.id, "cum_profit", store)
    pd.testing.assert_frame_equal(back.table, res.table, check_dtype=False)
    assert back.seed_share == res.seed_share and back.factors == res.factors
    doc = res.to_dict()
    assert doc["kind"] == "sensitivity" and doc["method"] == "morris" and len(doc["indices"]) == 2
    with pytest.raises(ScenarioError, match="no sensitivity analysis of roi"):
        sa.load(res.id, "roi", store)


def test_a_kpi_that_is_never_or_undefined_is_refused_and_the_runs_stay_stored(tiny, tmp_path):
    store = Store(tmp_path)
    with LocalBackend(workers=1) as backend, pytest.raises(ScenarioError) as err:
        sa.sensitivity(tiny, "morris", vary={"strategy.ad_posts_per_day": (0.0, 1.0)}, kpi="payback_day",
                       samples=2, seeds=2, backend=backend, store=store, id="pb", tornado=False)
    text = str(err.value)
    assert "KPI payback_day is never (inf) in" in text and "no index is computed" in text
    assert "paid_back" in text and "stored as pb" in text
    assert store.status("pb") == "complete" and store.attachments("pb") == []


def test_points_that_break_a_scenario_rule_are_refused_before_any_run(tiny, tmp_path):
    with pytest.raises(ScenarioError, match="points break a rule of the scenario.*conversion_floor"):
        sa.sensitivity(tiny, "morris", sections=["purchase"], samples=2, seeds=2, store=tmp_path, id="r")
    assert Store(tmp_path).ids() == []


# --- figures --------------------------------------------------------------------------------------
TORNADO = pd.DataFrame({
    "parameter": ["a", "b"], "lo": [0.0, 1.0], "hi": [1.0, 2.0], "base": [0.5, 1.5],
    "low_q10": [-12.0, 8.0], "low_q50": [-10.0, 9.0], "low_q90": [-8.0, 9.5],
    "high_q10": [25.0, 10.0], "high_q50": [30.0, 11.0], "high_q90": [33.0, 12.0], "swing": [40.0, 2.0]})


def test_tornado_draws_each_end_from_the_base_median_with_its_band_biggest_swing_on_top():
    fig = tornado_figure(TORNADO, {"q10": 9.0, "q50": 10.0, "q90": 11.0}, "T", labels={"a": "A!"})
    low, high, line = fig.data
    assert (low.type, high.type, line.type) == ("bar", "bar", "scatter")
    assert list(low.y) == ["b", "A!"]  # plotly's first row is at the bottom: the biggest swing on top
    assert low.base == 10.0 and list(low.x) == [-1.0, -20.0] and list(high.x) == [1.0, 20.0]
    assert list(high.error_x.array) == [1.0, 3.0] and list(high.error_x.arrayminus) == [1.0, 5.0]
    assert list(line.x) == [10.0, 10.0]
    assert "A! = 1: 30" in high.hovertext[1]


def test_index_bars_show_both_indices_with_their_intervals():
    table = pd.DataFrame({"parameter": ["x2", "x1"], "rank": [2, 1], "S1": [0.4, 0.3], "S1_lo": [0.35, 0.2],
                          "S1_hi": [0.5, 0.4], "ST": [0.45, 0.6], "ST_lo": [0.4, 0.5], "ST_hi": [0.5, 0.7],
                          "S1_seed_q10": [0.39, 0.29], "S1_seed_q90": [0.41, 0.31],
                          "ST_seed_q10": [0.44, 0.59], "ST_seed_q90": [0.46, 0.61]})
    s1, st = indices_figure(table, "sobol").data
    assert s1.name.startswith("S1") and st.name.startswith("ST") and list(s1.x) == ["x1", "x2"]
    assert list(s1.y) == [0.3, 0.4] and s1.error_y.array[0] == pytest.approx(0.1)
    assert st.error_y.arrayminus[1] == pytest.approx(0.05)
    morris = table.rename(columns={"S1": "mu_star", "S1_lo": "mu_star_lo", "S1_hi": "mu_star_hi", "ST": "sigma",
                                   "S1_seed_q10": "mu_star_seed_q10", "S1_seed_q90": "mu_star_seed_q90",
                                   "ST_seed_q10": "sigma_seed_q10", "ST_seed_q90": "sigma_seed_q90"})
    mu, sigma = indices_figure(morris.drop(columns=["ST_lo", "ST_hi"]), "morris").data
    assert mu.name.startswith("μ*") and sigma.name.startswith("σ")
    assert sigma.error_y.array[0] == pytest.approx(0.01)  # sigma's interval is its seed range
