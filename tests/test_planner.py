"""Planning tools of issue 14: incremental KPIs, budgets, scenario diffs and leave causes.

Runs are small (≤ 3,000 users, ≤ 120 days). Each test asserts behaviour that breaks if the rule
breaks: incremental KPIs vanish against oneself and flip sign when swapped; a binding budget is
never exceeded in any month or year and an unreachable one changes nothing; leaves by cause add
up to leaves; a diff lists exactly the differing fields.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from typer.testing import CliRunner

import sim
from sim import jit
from sim.cli import app
from sim.diff import scenario_diff
from sim.incremental import (
    INCREMENTAL_INFO,
    incremental_summary,
    incremental_table,
    payback_probability,
)
from sim.mechanisms import budget, fatigue
from sim.model import SiyuModel
from sim.population import Cause

SMALL = {"population.n_users": 2000, "horizon_days": 120}


def small(name: str, **extra) -> sim.Scenario:
    return sim.load_scenario(name).with_overrides({**SMALL, **extra})


@pytest.fixture(scope="module")
def pair() -> dict[str, sim.Ensemble]:
    return {n: sim.simulate_many(small(n), seeds=3, workers=1) for n in ("public_only", "content_led")}


# --- incremental KPIs -------------------------------------------------------------------------
def test_incremental_against_itself_is_zero_with_payback_day_0(pair):
    table = incremental_table(pair["content_led"], pair["content_led"])
    assert (table["inc_profit"] == 0).all() and (table["inc_cost"] == 0).all()
    assert (table["inc_roi"] == 0).all() and (table["inc_payback_day"] == 0).all()
    assert (table["inc_paid_back"] == 1).all()


def test_swapping_the_baseline_flips_the_signs(pair):
    ab = incremental_table(pair["content_led"], pair["public_only"])
    ba = incremental_table(pair["public_only"], pair["content_led"])
    for kpi in ("inc_profit", "inc_cost", "inc_roi"):
        np.testing.assert_allclose(ab[kpi], -ba[kpi])
    assert (ab["inc_cost"] > 0).all()  # the private pool costs more than staying platform-only


def test_incremental_payback_is_the_day_after_which_the_difference_stays_non_negative(pair):
    ens, base = pair["content_led"], pair["public_only"]
    table = incremental_table(ens, base)
    for r, b in zip(ens.runs, base.runs, strict=True):
        diff = r.daily["cum_profit"].to_numpy() - b.daily["cum_profit"].to_numpy()
        day = table.loc[r.seed, "inc_payback_day"]
        if math.isinf(day):
            assert diff[-1] < 0
        else:
            assert (diff[int(day):] >= 0).all() and (day == 0 or diff[int(day) - 1] < 0)
            assert table.loc[r.seed, "inc_profit"] == pytest.approx(diff[-1])


def test_payback_probability_counts_pairs_before_the_day():
    t = pd.DataFrame({"inc_payback_day": [0.0, 10.0, 50.0, math.inf]})
    assert payback_probability(t, 1) == 0.25
    assert payback_probability(t, 51) == 0.75
    assert payback_probability(t, 1e9) == 0.75  # never is never before any day


def test_unknown_baseline_and_unpaired_seeds_are_refused(pair):
    with pytest.raises(sim.ScenarioError, match="not one of the compared"):
        incremental_summary(pair, "nope", 90)
    other = sim.Ensemble(pair["content_led"].scenario, pair["content_led"].runs[:2])
    with pytest.raises(sim.ScenarioError, match="same seeds"):
        incremental_summary({"a": other, "b": pair["public_only"]}, "b", 90)
    assert incremental_summary({"a": other, "b": pair["public_only"]}, "b", 90, strict=False) == {}


def test_incremental_bands_count_never_as_largest(pair):
    out = incremental_summary(pair, "content_led", 60)["public_only"]
    assert set(out["bands"].index) == set(INCREMENTAL_INFO)
    b = out["bands"]
    assert (b["q10"] <= b["q50"]).all() and (b["q50"] <= b["q90"]).all()
    days = out["table"]["inc_payback_day"].to_numpy()
    if np.isinf(days).sum() * 2 > len(days):  # most pairs never pay back: the median is "never"
        assert math.isinf(b.loc["inc_payback_day", "q50"])


# --- budget -----------------------------------------------------------------------------------
def _periods(daily: pd.DataFrame, params, days: int) -> np.ndarray:
    spend = budget.covered_spending(daily, params)
    return np.bincount(np.arange(len(spend)) // days, weights=spend)


@pytest.mark.parametrize("name", ["hybrid_referral", "rebate_led"])
def test_a_binding_cap_is_never_exceeded_in_any_month_or_year(name):
    size = {"population.n_users": 5000, "horizon_days": 400}
    free = sim.simulate(small(name, **size), seed=1)
    monthly = max(float(_periods(free.daily, small(name).budget, 30).max()) * 0.5,
                  budget.fixed_daily_cost(free.scenario) * 30 * 1.1)
    yearly = max(monthly * 8, budget.fixed_daily_cost(free.scenario) * 365 * 1.1)
    sc = small(name, **size, **{"budget.monthly_cap": monthly, "budget.yearly_cap": yearly})
    run = sim.simulate(sc, seed=1)
    d = run.daily
    assert (_periods(d, sc.budget, 30) <= monthly + 1e-6).all()
    assert (_periods(d, sc.budget, 365) <= yearly + 1e-6).all()
    assert (budget.covered_spending(d, sc.budget) <= monthly + 1e-6).all()  # so every day too
    assert budget.max_overspend(d, sc.budget) <= 1e-6
    assert math.isfinite(run.summary["budget_bound_day"]) and run.summary["budget_binds"] == 1
    assert d["budget_bound"].sum() > 0 and (d["budget_left"] >= -1e-6).all()
    assert run.summary["cum_profit"] != free.summary["cum_profit"]


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(share=hs.floats(0.05, 0.9), include_ads=hs.booleans(), seed=hs.integers(0, 3))
def test_any_cap_holds_every_month(share, include_ads, seed):
    base = sim.load_scenario("hybrid_referral").with_overrides({"population.n_users": 1500, "horizon_days": 90})
    free = sim.simulate(base, seed=seed)
    params = base.budget.model_copy(update={"include_ads": include_ads})
    cap = max(float(_periods(free.daily, params, 30).max()) * share, budget.fixed_daily_cost(base) * 30)
    sc = base.with_overrides({"budget.monthly_cap": cap, "budget.include_ads": include_ads})
    assert (_periods(sim.simulate(sc, seed=seed).daily, sc.budget, 30) <= cap + 1e-6).all()


def test_an_unreachable_cap_is_bit_identical_to_no_cap():
    sc = small("hybrid_referral")
    capped = sc.with_overrides({"budget.monthly_cap": 1e9, "budget.yearly_cap": 1e10})
    a, b = sim.simulate(sc, seed=2), sim.simulate(capped, seed=2)
    cols = [c for c in a.daily.columns if c != "budget_left"]
    pd.testing.assert_frame_equal(a.daily[cols], b.daily[cols], check_exact=True)
    pd.testing.assert_frame_equal(a.users, b.users, check_exact=True)
    assert a.daily["budget_left"].isna().all() and (b.daily["budget_left"] > 0).all()
    assert math.isinf(b.summary["budget_bound_day"]) and b.summary["budget_binds"] == 0


def test_the_operator_stops_kinds_in_priority_order():
    sc = small("hybrid_referral", **{"population.n_users": 5000, "budget.monthly_cap": 1700.0,
                                     "strategy.red_packet_every_days": 3})
    model = SiyuModel(sc, seed=0)
    seen = []
    for _ in range(sc.horizon_days):
        model.step()
        cut = model.budget.cut
        if cut:
            seen.append(cut)
            ranks = [budget.CUT_ORDER.index(k) for k in cut]
            assert ranks == sorted(ranks)
            led = model.ledger
            if "rebates" in cut:  # join cash, cash back and red packets all stop
                assert led["cost_rebates"] == 0
            if "ads" in cut:
                assert led["cost_ads"] == 0 and "hooks" in cut
    assert seen, "the cap should have bound"


@pytest.mark.parametrize(("override", "needle"), [
    ({"budget.monthly_cap": -5}, "budget.monthly_cap"),
    ({"budget.yearly_cap": 1000.0}, "below the plan's fixed costs"),
    ({"budget.monthly_cap": 100.0}, "budget.monthly_cap = 100 RMB is below"),
])
def test_bad_budgets_are_one_line_errors(override, needle):
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario("content_led").with_overrides(override)
    assert needle in str(err.value) and "\n" not in str(err.value)


# --- leave causes -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["spam_blast", "rebate_led", "hybrid_referral"])
def test_leaves_by_cause_add_up_to_leaves_every_day(name):
    run = sim.simulate(small(name, **{"fulfilment.failure_rate": 0.3, "population.n_users": 5000}), seed=0)
    d = run.daily
    np.testing.assert_array_equal(d[sim.LEAVE_COLUMNS].sum(axis=1).to_numpy(), d["leaves"].to_numpy())
    assert d["leaves"].sum() > 0
    if d["failures"].sum() >= 20:
        assert d["leaves_failed_order"].sum() > 0
    counts = run.users["leave_cause"].astype(str).value_counts()
    assert counts.get("cleanup", 0) == d["leaves_cleanup"].sum()
    assert counts.drop("none", errors="ignore").sum() == (run.users["stage"].astype(str) == "churned").sum()


def test_the_journey_of_user_1664_says_why_they_left():
    run = sim.simulate(sim.load_scenario("spam_blast"), seed=0, trace_users=[1664])
    tr = run.trace.set_index("day")
    assert tr.loc[20, "cause"] == "fatigue" and "muted" in tr.loc[20, "events"]
    assert tr.loc[90, "cause"] == "cleanup" and "left" in tr.loc[90, "events"]
    assert set(tr["cause"].astype(str)) == {"none", "fatigue", "cleanup"}


def test_occurs_at_uses_the_same_draw_as_occurs():
    rng = np.random.default_rng(5)
    a, b = jit.stream(rng), None
    b = a.copy()
    for h in [0.0, 0.01, 0.5, 2.0, 5.0] * 40:
        at = jit.occurs_at(a, h)
        assert (at >= 0.0) == jit.occurs(b, h) and at < 1.0
    assert (a == b).all()


def test_leave_cause_splits_the_hazard_in_proportion():
    w = np.linspace(0, 1, 1000, endpoint=False)
    hb, ho, hi = 0.1, 0.3, 0.6
    codes = [fatigue.leave_cause(x * (hb + ho + hi), hb, ho, Cause.BACKGROUND, Cause.FATIGUE, Cause.INCENTIVE)
             for x in w]
    share = {c: codes.count(c) / len(codes) for c in (Cause.BACKGROUND, Cause.FATIGUE, Cause.INCENTIVE)}
    assert share == pytest.approx({Cause.BACKGROUND: 0.1, Cause.FATIGUE: 0.3, Cause.INCENTIVE: 0.6}, abs=0.002)


# --- diff -------------------------------------------------------------------------------------
def test_diff_lists_exactly_the_differing_fields():
    a, b = sim.load_scenario("content_led"), sim.load_scenario("hybrid_referral")
    assert scenario_diff(a, a) == []
    rows = {r["field"]: r for r in scenario_diff(a, b)}
    assert rows["strategy.referral_reward"] == {"field": "strategy.referral_reward", "unit": "RMB per referred joiner",
                                                "a": 0.0, "b": 10.0}
    assert "name" not in rows and all(r["a"] != r["b"] for r in rows.values())
    shocked = sim.load_scenario("black_swan")
    rows = {r["field"]: r for r in scenario_diff(a, shocked)}
    assert rows["shocks.0.days"]["a"] is None and rows["shocks.0.days"]["unit"] == "days"


def test_cli_diff_table_json_and_unknown_scenario():
    runner = CliRunner(env={"COLUMNS": "250"})
    res = runner.invoke(app, ["diff", "content_led", "hybrid_referral", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["n_differences"] == len(doc["differences"]) > 5
    res = runner.invoke(app, ["diff", "content_led", "hybrid_referral"])
    assert "strategy.referral_reward" in res.stdout and "RMB per referred joiner" in res.stdout
    res = runner.invoke(app, ["diff", "content_led", "nope"])
    assert res.exit_code == 2 and res.stderr.strip().count("\n") == 0 and "nope" in res.stderr


# --- compare CLI ------------------------------------------------------------------------------
def test_cli_compare_json_has_incremental_kpis_and_budget_warning():
    runner = CliRunner(env={"COLUMNS": "250"})
    res = runner.invoke(app, ["compare", "public_only", "hybrid_referral", "--users", "5000", "--days", "60",
                              "--seeds", "2", "--baseline", "public_only", "--json",
                              "--set", "budget.monthly_cap=1700"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)  # ONE document on stdout
    inc = doc["scenarios"]["hybrid_referral"]["incremental"]
    assert {row["seed"] for row in inc["per_seed"]} == {0, 1}
    assert set(inc["bands"]) == set(INCREMENTAL_INFO) and 0 <= inc["p_payback_before"] <= 1
    assert "incremental" not in doc["scenarios"]["public_only"]
    assert doc["scenarios"]["hybrid_referral"]["budget_warning"].startswith("hybrid_referral: planned spending")
    assert "warning: hybrid_referral: planned spending exceeds the budget" in res.stderr


def test_cli_compare_prints_the_incremental_table_and_refuses_a_foreign_baseline():
    runner = CliRunner(env={"COLUMNS": "250"})
    res = runner.invoke(app, ["compare", "public_only", "content_led", "--users", "1000", "--days", "60",
                              "--seeds", "2", "--payback-before", "30"])
    assert res.exit_code == 0, res.output
    assert "Incremental vs public_only" in res.stdout and "P(incremental payback before day 30)" in res.stdout
    res = runner.invoke(app, ["compare", "public_only", "content_led", "--baseline", "rebate_led", *
                              ["--users", "1000", "--days", "60"]])
    assert res.exit_code == 2 and "not one of the compared scenarios" in res.stderr
    res = runner.invoke(app, ["compare", "public_only", "content_led", "--payback-before", "0"])
    assert res.exit_code == 2 and "--payback-before" in res.stderr


def test_report_has_the_incremental_section_and_the_leave_causes(pair):
    from sim.report import compare_report_html

    page = compare_report_html(pair, baseline="public_only", payback_before=60)
    assert "Incremental KPIs against public_only" in page and "P(incremental payback before day 60)" in page
    assert "Why users left" in page


def test_figures_for_leave_causes_and_incremental_profit(pair):
    from sim import figures

    fig = figures.leaves_by_cause_figure(pair)
    assert [t.name for t in fig.data] == list(figures.churn.CAUSE_TEXT.values())
    fig = figures.leaves_over_time_figure(pair["content_led"], names={"leaves_cleanup": "清理"})
    assert "清理" in [t.name for t in fig.data] and all(t.stackgroup == "causes" for t in fig.data)
    fig = figures.incremental_profit_figure(pair, "public_only")
    assert [t.name for t in fig.data if t.showlegend is not False] == ["content_led"]
    band = figures.incremental_band(pair["content_led"], pair["public_only"])
    assert (band["q10"] <= band["q50"]).all() and (band["q50"] <= band["q90"]).all()
