"""`siyu sensitivity`: the table and tornado, one JSON document with --json, one-line errors (exit 2)."""

from __future__ import annotations

import json

import pytest
from test_cli import one_line_error
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments import Store

TINY = ["--users", "300", "--days", "30"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "250"})


def test_json_is_one_document_with_indices_tornado_and_seed_share(runner, tmp_path):
    res = runner.invoke(app, ["sensitivity", "content_led", "--vary", "strategy.ad_posts_per_day=0:6",
                              "--vary", "product.margin_rate=0.2:0.6", "--samples", "2", "--seeds", "2", *TINY,
                              "--store", str(tmp_path), "--id", "s1", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["kind"] == "sensitivity" and doc["id"] == "s1" and doc["status"] == "complete"
    assert doc["method"] == "morris" and doc["kpi"] == "cum_profit" and doc["runs"] == (2 * 3 + 5) * 2
    assert [p["path"] for p in doc["parameters"]] == ["strategy.ad_posts_per_day", "product.margin_rate"]
    assert sorted(r["rank"] for r in doc["indices"]) == [1, 2]
    assert all(r["mu_star_lo"] <= r["mu_star"] <= r["mu_star_hi"] for r in doc["indices"])
    assert 0 <= doc["seed_share"] <= 1 and len(doc["tornado"]) == 2
    assert Store(tmp_path).attachments("s1") == ["sensitivity-cum_profit"]
    # the same id, another KPI: nothing new is run, the table is printed
    txt = runner.invoke(app, ["sensitivity", "content_led", "--vary", "strategy.ad_posts_per_day=0:6",
                              "--vary", "product.margin_rate=0.2:0.6", "--samples", "2", "--seeds", "2", *TINY,
                              "--store", str(tmp_path), "--id", "s1", "--kpi", "gmv_total"])
    assert txt.exit_code == 0, txt.output
    assert "s1 — morris of GMV on content_led" in txt.stdout and "tornado: GMV" in txt.stdout
    assert "seed noise:" in txt.stdout and "stored as s1" in txt.stdout and "μ* (RMB)" in txt.stdout


@pytest.mark.parametrize(("args", "needle"), [
    (["--vary", "nope.x"], "unknown parameter 'nope.x'"),
    (["--vary", "strategy.ad_posts_per_day=0:99"], "outside the schema's bounds"),
    (["--vary", "strategy.ad_posts_per_day=3:1"], "reversed"),
    (["--vary", "strategy.ad_posts_per_day=1:1"], "empty"),
    (["--vary", "network.kind"], "number fields only"),
    (["--section", "bogus"], "unknown section 'bogus'"),
    (["--vary", "trust.initial", "--kpi", "profitt"], "known KPIs:"),
    (["--vary", "trust.initial", "--samples", "0"], "--samples must be 2 to"),
    (["--vary", "trust.initial", "--seeds", "0"], "--seeds must be 2 to 50"),
    (["--vary", "trust.initial", "--samples", "1000", "--seeds", "50"], "above the limit"),
    (["--section", "strategy", "--method", "sobol"], "too many (at most 12)"),
    (["--vary", "trust.initial", "--method", "sobol", "--samples", "12"], "power of 2"),
    (["--vary", "trust.initial", "--method", "fast"], "--method 'fast' must be one of morris, sobol"),
    (["--vary", "trust.initial", "--workers", "0"], "--workers must be between 1"),
    (["--vary", "trust.initial", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
    ([], "give what to vary"),
])
def test_bad_input_is_one_line_and_exit_2(runner, tmp_path, args, needle):
    res = runner.invoke(app, ["sensitivity", "content_led", *TINY, "--store", str(tmp_path), *args])
    one_line_error(res, needle)
    assert Store(tmp_path).ids() == []  # nothing stored, nothing partial
