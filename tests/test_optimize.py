"""Optimisation under constraints (sim.planning.optimize): a real Optuna search on a tiny model.

spam_blast posts ten ads a day; fewer ads mean less over-messaging churn and a larger pool, so
the search must find the low-ads region. Constraints hold on the recommended plan, an
impossible one is reported with the closest plan, the same seed gives the same search (on a
Dask LocalCluster too), the recommended YAML loads and extends the base, and every bad input is
one line.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import sim
from sim import ScenarioError
from sim.experiments import DaskBackend, LocalBackend, Store, run_seed
from sim.figures.optimize import history_figure, importances_figure, reeval_figure, slice_figure
from sim.planning import optimize as op

ADS = "strategy.ad_posts_per_day"
CONTENT = "strategy.content_posts_per_day"


@pytest.fixture(scope="module")
def tiny() -> sim.Scenario:
    return sim.load_scenario("spam_blast").with_overrides({"population.n_users": 1_500, "horizon_days": 60})


@pytest.fixture(scope="module")
def backend():
    with LocalBackend(workers=2) as b:
        yield b


@pytest.fixture(scope="module")
def churn_search(tiny, backend, tmp_path_factory):
    """Minimise churn over ads 0–15: 12 trials × 2 seeds, re-evaluated on 4 fresh seeds beside public_only."""
    store = Store(tmp_path_factory.mktemp("store"))
    res = op.optimize(tiny, [f"{ADS}=0:15"], "churn_rate", trials=12, seeds=2, fresh_seeds=4,
                      compare=["public_only"], backend=backend, store=store, id="o1")
    return res, store


@pytest.fixture(scope="module")
def budget_search(tiny, backend):
    """Maximise the pool over ads and content with total cost ≤ 2,000 RMB (content costs 30 RMB a post)."""
    return op.optimize(tiny, {ADS: (0, 15), CONTENT: (0, 5)}, "final_private_pool",
                       constraints=["cost_total<=2000"], trials=12, seeds=2, fresh_seeds=3, compare=[],
                       backend=backend, store=False)


def test_the_search_finds_the_low_ads_region_and_the_fresh_seeds_confirm_it(churn_search, tiny):
    res, _ = churn_search
    assert res.feasible and res.objective.direction == "minimize"
    assert len(res.trials) == 12 and (res.trials["state"] == "COMPLETE").all()
    best = res.plan()[ADS]
    assert best < 3, res.trials[[ADS, "objective"]]  # the base posts 10 ads a day
    # the best trial is the minimum of the objective (medians over the two search seeds)
    assert res.trials.loc[res.trials["trial"] == res.best, "objective"].item() == res.trials["objective"].min()
    # re-evaluated on fresh seeds, beside the base and public_only on the same seeds
    bands = res.reeval_bands().set_index(["scenario", "kpi"])
    assert list(dict.fromkeys(res.reevaluation["scenario"])) == ["recommended", "base", "public_only"]
    assert bands.loc[("recommended", "churn_rate"), "q50"] < bands.loc[("base", "churn_rate"), "q50"]
    assert bands.loc[("recommended", "final_private_pool"), "q50"] > bands.loc[("base", "final_private_pool"), "q50"]
    assert bands.loc[("recommended", "churn_rate"), "q10"] <= bands.loc[("recommended", "churn_rate"), "q90"]
    # the fresh seeds are seeds the search never used, the same for every re-evaluated scenario
    fresh = {run_seed(0, 0, r) for r in range(2, 6)}
    assert set(res.reevaluation["seed"]) == fresh
    assert not fresh & {run_seed(0, 0, r) for r in range(2)}
    assert res.info["runs"] == 12 * 2 + 3 * 4


def test_constraints_go_to_optuna_not_into_the_objective(budget_search):
    res = budget_search
    t = res.trials
    assert res.feasible
    # a binding constraint: some trials break it, and the best one meets it on its seed median
    assert (~t["feasible"]).any() and t["feasible"].any()
    assert (t.loc[t["feasible"], "cost_total_q50"] <= 2000).all()
    assert (t.loc[~t["feasible"], "cost_total_q50"] > 2000).all()
    best = t[t["trial"] == res.best].iloc[0]
    assert best["cost_total_q50"] <= 2000
    # the objective is the plain median (no penalty), and the best is the largest feasible one
    assert best["objective"] == best["final_private_pool_q50"]
    assert best["objective"] == t.loc[t["feasible"], "objective"].max()
    # Optuna holds the constraint values: feasible ⇔ every value ≤ 0
    study = res.study()
    for tr in study.trials:
        assert (max(tr.system_attrs["constraints"]) <= 0) == bool(t.loc[t["trial"] == tr.number, "feasible"].item())
    assert study.best_trial.number == res.best  # Optuna's own best feasible trial agrees
    assert res.fresh_check()[0]["constraint"] == "cost_total<=2000"


def test_the_recommended_plan_is_a_scenario_yaml_that_extends_the_base(budget_search, tmp_path):
    res = budget_search
    res.base_ref = "spam_blast"
    path = res.write_yaml(tmp_path / "plan.yaml")
    text = path.read_text()
    assert "extends: spam_blast" in text and "# objective: median of Final private pool (maximise)" in text
    loaded = sim.load_scenario(path)
    assert loaded.strategy.ad_posts_per_day == pytest.approx(res.plan()[ADS])
    assert loaded.model_dump(exclude={"name", "description"}) == \
        res.recommended_scenario().model_dump(exclude={"name", "description"})
    with pytest.raises(FileExistsError):  # never overwritten silently
        res.write_yaml(tmp_path / "plan.yaml")


def test_an_impossible_constraint_says_so_with_the_closest_plan(tiny, backend, tmp_path):
    store = Store(tmp_path)
    res = op.optimize(tiny, {CONTENT: (1, 5)}, "cum_profit", constraints=["cost_total<=10"], trials=5, seeds=1,
                      fresh_seeds=3, backend=backend, store=store, id="inf")
    assert not res.feasible and res.best is None
    t = res.trials
    assert res.closest == int(t.loc[t["violation"].idxmin(), "trial"])
    # least total violation = the cheapest plan = the fewest content posts
    assert res.plan()[CONTENT] == pytest.approx(t[CONTENT].min())
    line = res.infeasible_text()
    assert "no plan met the constraints (cost_total<=10) in 5 trials" in line and f"trial {res.closest}" in line
    assert "\n" not in line
    with pytest.raises(ScenarioError, match="none is recommended"):
        res.recommended_scenario()
    assert res.reevaluation.empty and res.info["runs"] == 5  # nothing re-evaluated
    assert store.status("inf") == "complete" and not (store.path("inf") / "recommended.yaml").exists()
    again = op.load_optimization("inf", store)
    assert not again.feasible and again.closest == res.closest


def test_the_same_seed_gives_the_same_search_and_another_seed_another(tiny, backend):
    kw = dict(trials=6, seeds=2, fresh_seeds=0, backend=backend, store=False)
    a = op.optimize(tiny, {ADS: (0, 15)}, "final_private_pool", seed=3, **kw)
    b = op.optimize(tiny, {ADS: (0, 15)}, "final_private_pool", seed=3, **kw)
    c = op.optimize(tiny, {ADS: (0, 15)}, "final_private_pool", seed=4, **kw)
    pd.testing.assert_frame_equal(a.trials, b.trials)
    assert not np.allclose(a.trials[ADS], c.trials[ADS])


def test_int_fields_are_sampled_as_whole_numbers_and_switches_as_categories(tiny, backend):
    res = op.optimize(tiny, ["strategy.campaign_every_days=0:30", "strategy.ads_targeted"], "final_private_pool",
                      trials=6, seeds=1, fresh_seeds=0, backend=backend, store=False)
    days = res.trials["strategy.campaign_every_days"]
    assert all(float(v).is_integer() and 0 <= v <= 30 for v in days)
    assert set(res.trials["strategy.ads_targeted"]) <= {True, False}
    assert isinstance(res.plan()["strategy.campaign_every_days"], int)
    assert isinstance(res.plan()["strategy.ads_targeted"], bool)


def test_risk_q10_is_the_bad_tail_for_either_direction():
    high = op.parse_objective("cum_profit", "q10")
    low = op.parse_objective("churn_rate", "q10")
    v = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0])
    assert high.quantile == 0.1 and high.value(v) == pytest.approx(2.0)
    assert low.quantile == pytest.approx(0.9) and low.value(v) == pytest.approx(10.0)
    assert op.parse_objective("cum_profit").value(v) == 6.0
    assert low.statistic == "q90" and high.statistic == "q10"
    assert op.parse_objective("payback_day", "q10").value(np.array([10, math.inf, math.inf])) == math.inf


def test_constraint_values_are_relative_and_undefined_or_never_is_a_violation():
    c = op.parse_constraint("cost_total<=2000")
    assert c.violation(1000) == pytest.approx(-0.5) and c.violation(3000) == pytest.approx(0.5)
    g = op.parse_constraint(" final_private_pool >= 100 ")
    assert g.violation(150) < 0 < g.violation(50)
    assert op.parse_constraint("churn_rate<=0.2").violation(math.nan) == 1.0
    assert op.parse_constraint("payback_day<=300").violation(math.inf) == op.NEVER_VIOLATION
    assert op.parse_constraint("cum_profit>=0").violation(-50) == pytest.approx(50.0)  # scale max(|0|, 1)


def test_the_store_keeps_trials_study_reevaluation_and_the_plan(churn_search):
    res, store = churn_search
    m = store.manifest("o1")
    assert m["kind"] == "optimization" and m["status"] == "complete" and m["runs_total"] == res.info["runs"]
    table = store.table("o1")
    assert len(table) == res.info["runs"] and set(table["stage"]) == {"search", "reeval"}
    assert sorted(store.attachments("o1")) == ["optimization", "optuna"]
    assert sim.load_scenario(store.path("o1") / "recommended.yaml").strategy.ad_posts_per_day == \
        pytest.approx(res.plan()[ADS])
    again = op.load_optimization("o1", store)
    assert again.best == res.best and again.plan() == pytest.approx(res.plan())
    pd.testing.assert_frame_equal(again.reeval_bands(), res.reeval_bands(), check_dtype=False)
    assert len(again.study().trials) == 12
    small = res.base.with_overrides({"horizon_days": 5, "population.n_users": 100})
    store.record("run", {"x": sim.simulate_many(small, seeds=[0], workers=1)}, experiment_id="r1")
    with pytest.raises(ScenarioError, match="not an optimisation"):
        op.load_optimization("r1", store)


def test_optunas_charts_and_the_reevaluation_chart_are_figures(churn_search):
    res, _ = churn_search
    hist = history_figure(res, "history", y_title="Churn")
    assert isinstance(hist, go.Figure) and hist.layout.title.text == "history"
    assert sum(len(tr.x) for tr in hist.data if tr.mode == "markers") == 12
    imp = importances_figure(res, "importances", labels={ADS: "Ads a day"})
    assert isinstance(imp, go.Figure) and list(imp.data[0].y) == ["Ads a day"]
    sl = slice_figure(res, "slice", labels={ADS: "Ads a day"})
    assert isinstance(sl, go.Figure) and sl.layout.xaxis.title.text == "Ads a day"
    fig = reeval_figure(res, "churn_rate", "fresh seeds", names={"recommended": "Recommended"})
    assert isinstance(fig, go.Figure) and list(fig.data[0].y) == ["Recommended", "base"]  # public_only: no churn
    bands = res.reeval_bands().set_index(["scenario", "kpi"])
    assert fig.data[0].x[0] == pytest.approx(bands.loc[("recommended", "churn_rate"), "q50"])


def test_a_dask_local_cluster_runs_the_same_search(tiny, backend):
    kw = dict(trials=4, seeds=2, fresh_seeds=0, store=False, seed=1, batch=2)
    local = op.optimize(tiny, {ADS: (0, 15)}, "final_private_pool", backend=backend, **kw)
    dask = DaskBackend(workers=2)
    try:
        assert dask.describe()["scheduler"].startswith("tcp://127.0.0.1:")
        remote = op.optimize(tiny, {ADS: (0, 15)}, "final_private_pool", backend=dask, **kw)
    finally:
        dask.close()
    assert remote.info["backend"]["backend"] == "dask"
    pd.testing.assert_frame_equal(local.trials, remote.trials)  # bit for bit


@pytest.mark.parametrize(("decide", "needle"), [
    ({"trust.initial": (0, 1)}, "only the plan can be decided"),
    ({"horizon_days": (30, 60)}, "only the plan can be decided"),
    ({"strategy.nope": (0, 1)}, "unknown parameter 'strategy.nope'"),
    ({ADS: (0, 90)}, "90 is outside the schema's bounds (allowed 0 to 50"),
    ({ADS: (5, 5)}, "empty range"),
    ({ADS: (5, 1)}, "reversed"),
    ({"strategy.campaign_every_days": (0.5, 10)}, "whole-number field; give whole numbers"),
    ({"strategy.ads_targeted": (0, 1)}, "is a switch"),
    ({}, "give at least one decision variable"),
])
def test_bad_decision_variables_are_one_line(tiny, decide, needle):
    with pytest.raises(ScenarioError) as err:
        op.decisions(tiny, decide)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_a_decision_variable_given_twice_is_refused(tiny):
    with pytest.raises(ScenarioError, match="given twice"):
        op.decisions(tiny, [f"{ADS}=0:5", f"{ADS}=1:2"])


@pytest.mark.parametrize(("text", "needle"), [
    ("churn_rate<=", "no bound after <="),
    ("churn<=0.1", "unknown KPI 'churn'; did you mean 'churn_rate'?"),
    ("churn_rate<0.1", "must look like KPI<=X or KPI>=X"),
    ("churn_rate<=abc", "'abc' is not a number"),
    ("churn_rate<=inf", "finite"),
])
def test_bad_constraints_are_one_line(text, needle):
    with pytest.raises(ScenarioError) as err:
        op.parse_constraint(text)
    assert needle in str(err.value)


def test_zero_trials_bad_counts_and_objectives_are_refused_before_any_run(tiny):
    with pytest.raises(ScenarioError, match="zero trials"):
        op.optimize(tiny, {ADS: (0, 5)}, trials=0, store=False)
    with pytest.raises(ScenarioError, match="--seeds must be 1"):
        op.optimize(tiny, {ADS: (0, 5)}, trials=2, seeds=0, store=False)
    with pytest.raises(ScenarioError, match="unknown KPI 'profit'"):
        op.parse_objective("profit")
    with pytest.raises(ScenarioError, match="--risk"):
        op.parse_objective("cum_profit", "q50")
    with pytest.raises(ScenarioError, match="given twice"):
        op.constraints_of(["cost_total<=5", "cost_total<=6"])


def test_shipped_plans_that_cannot_run_at_a_short_horizon_are_left_out_unless_named():
    short = sim.load_scenario("spam_blast").with_overrides({"population.n_users": 500, "horizon_days": 30})
    names = [s.name for s in op.shipped_for(short)]
    assert "gift_launch_content" not in names and "public_only" in names  # its phase starts on day 60
    assert "spam_blast" not in names  # the base itself is re-evaluated as "base"
    with pytest.raises(ScenarioError, match="--compare gift_launch_content: at 30 days"):
        op.shipped_for(short, ["gift_launch_content"])
