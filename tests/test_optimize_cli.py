"""`siyu optimize`: tables and the recommended YAML, one JSON document with --json, an infeasible search
said in one line after it (exit 2), and every bad input one `error:` line (exit 2) before any run."""

from __future__ import annotations

import json

import pytest
from test_cli import one_line_error
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.experiments import Store

TINY = ["--users", "600", "--days", "30"]
ADS = "strategy.ad_posts_per_day"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "250"})


def test_json_is_one_document_and_the_plan_is_written(runner, tmp_path):
    out = tmp_path / "plan.yaml"
    res = runner.invoke(app, ["optimize", "spam_blast", "--decide", f"{ADS}=0:15", "--objective", "final_private_pool",
                              "--constraint", "cost_total<=100000", "--trials", "4", "--seeds", "2",
                              "--fresh-seeds", "2", "--compare", "public_only", *TINY, "--store", str(tmp_path / "s"),
                              "--id", "o1", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["kind"] == "optimization" and doc["id"] == "o1" and doc["feasible"] is True
    assert len(doc["trials"]) == 4 and doc["info"]["runs"] == 4 * 2 + 2 * 3
    assert set(doc["reevaluation"]["bands"]) == {"recommended", "base", "public_only"}
    assert doc["reevaluation"]["constraints"][0]["met"] is True
    assert doc["out"] == str(out) and "extends: spam_blast" in out.read_text()
    loaded = sim.load_scenario(out)
    assert loaded.strategy.ad_posts_per_day == pytest.approx(doc["best"]["plan"][ADS])
    assert loaded.population.n_users == 600 and loaded.horizon_days == 30  # --users/--days are written out
    assert Store(tmp_path / "s").manifest("o1")["kind"] == "optimization"
    # never overwritten silently
    again = runner.invoke(app, ["optimize", "spam_blast", "--decide", f"{ADS}=0:15", "--trials", "1", "--seeds", "1",
                                *TINY, "--out", str(out)])
    one_line_error(again, "already exists; pass --force")


def test_the_tables_name_the_plan_the_fresh_seeds_and_the_store(runner, tmp_path):
    res = runner.invoke(app, ["optimize", "spam_blast", "--decide", f"{ADS}=0:15", "--decide", "strategy.ads_targeted",
                              "--objective", "churn_rate", "--risk", "q10", "--trials", "4", "--seeds", "2",
                              "--fresh-seeds", "2", "--compare", "content_led", *TINY, "--store", str(tmp_path)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.stdout.split())  # titles wrap
    assert "q90 (risk-aware" in text and "of Churn (minimise) on spam_blast (30 days × 600 users)" in text
    assert "recommended (trial" in text and "re-evaluated on 2 fresh seeds the search never used" in text
    assert "content_led" in text and "stored as opt-" in text


def test_an_infeasible_search_says_so_after_it_in_one_line(runner, tmp_path):
    res = runner.invoke(app, ["optimize", "spam_blast", "--decide", "strategy.content_posts_per_day=1:5",
                              "--constraint", "cost_total<=1", "--trials", "3", "--seeds", "1", *TINY,
                              "--store", str(tmp_path), "--out", str(tmp_path / "plan.yaml")])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no plan met the constraints (cost_total<=1) in 3 trials")
    assert "the closest is trial" in lines[0] and "Traceback" not in res.output
    assert not (tmp_path / "plan.yaml").exists()


@pytest.mark.parametrize(("args", "needle"), [
    (["--decide", "trust.initial=0:1"], "only the plan can be decided"),
    (["--decide", f"{ADS}=0:90"], "90 is outside the schema's bounds (allowed 0 to 50 posts per day)"),
    (["--decide", "strategy.nope=0:1"], "unknown parameter 'strategy.nope'"),
    (["--decide", f"{ADS}=0:5", "--decide", f"{ADS}=1:2"], "given twice"),
    (["--decide", f"{ADS}=0:"], "not a number"),
    ([], "give at least one decision variable"),
    (["--decide", f"{ADS}=0:5", "--constraint", "churn_rate<="], "no bound after <="),
    (["--decide", f"{ADS}=0:5", "--constraint", "churn<=0.1"], "unknown KPI 'churn'; did you mean 'churn_rate'?"),
    (["--decide", f"{ADS}=0:5", "--constraint", "churn_rate=0.1"], "must look like KPI<=X or KPI>=X"),
    (["--decide", f"{ADS}=0:5", "--objective", "profit"], "did you mean 'cum_profit'?"),
    (["--decide", f"{ADS}=0:5", "--risk", "q90"], "--risk 'q90' must look like q10"),
    (["--decide", f"{ADS}=0:5", "--trials", "0"], "zero trials"),
    (["--decide", f"{ADS}=0:5", "--seeds", "0"], "--seeds must be 1"),
    (["--decide", f"{ADS}=0:5", "--compare", "nope"], "--compare 'nope' is not a shipped scenario"),
    (["--decide", f"{ADS}=0:5", "--out", "plan.txt"], "must be a .yaml file"),
    (["--decide", f"{ADS}=0:5", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
    (["--decide", f"{ADS}=0:5", "--id", "bad id"], "is not a valid id"),
])
def test_bad_input_is_one_line_before_any_run(runner, tmp_path, args, needle):
    res = runner.invoke(app, ["optimize", "spam_blast", *args, *TINY, "--store", str(tmp_path)])
    one_line_error(res, needle)
    assert Store(tmp_path).ids() == []
