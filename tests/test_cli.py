"""The `siyu` command line (sim.cli): outputs, files, exit codes and one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import sim
from sim import cli
from sim.cli import app
from sim.cli import compare as cli_compare
from sim.cli import dashboard as cli_dashboard
from sim.report import format_kpi

TINY = ["--users", "1000", "--days", "60", "--seeds", "2"]


@pytest.fixture
def runner():
    return CliRunner(env={"COLUMNS": "250"})


def one_line_error(result, *needles: str) -> str:
    """Assert exit 2 with exactly one `error: ...` line on stderr, nothing on stdout."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# ------------------------------------------------------------------ list / validate


def test_list_shows_every_shipped_scenario_with_its_description(runner):
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    names = sim.list_scenarios()
    assert len(lines) == len(names) >= 8
    for name, line in zip(names, lines, strict=True):
        desc = sim.load_scenario(name).description.strip().splitlines()[0]
        assert line.split()[0] == name
        assert " ".join(desc.split()) in line


def test_validate_ok_for_name_and_file(runner, tmp_path):
    assert runner.invoke(app, ["validate", "content_led"]).stdout == "OK: content_led\n"
    f = tmp_path / "mine.yaml"
    f.write_text("name: my_shop\nextends: content_led\nstrategy:\n  ad_posts_per_day: 2\n")
    result = runner.invoke(app, ["validate", str(f)])
    assert result.exit_code == 0
    assert result.stdout == "OK: my_shop\n"


@pytest.mark.parametrize(("text", "needles"), [
    ("", ["file is empty"]),
    ("   \n# only a comment\n", ["file is empty"]),
    ("population: [1, 2\n", ["not valid YAML"]),
    ("population:\n  n_users: 5\n", ["population.n_users", "allowed 100 to 5,000,000"]),
    ("strategy:\n  ad_post_per_day: 3\n", ["unknown key 'strategy.ad_post_per_day'", "did you mean 'ad_posts_per_day'"]),
])
def test_validate_bad_files_give_one_line(runner, tmp_path, text, needles):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    one_line_error(runner.invoke(app, ["validate", str(f)]), "bad.yaml", *needles)


def test_validate_missing_file(runner, tmp_path):
    missing = tmp_path / "nope.yaml"
    one_line_error(runner.invoke(app, ["validate", str(missing)]), "not found", "nope.yaml")


# ------------------------------------------------------------------ bad input to run/compare


def test_unknown_scenario_suggests_the_closest_name(runner):
    one_line_error(runner.invoke(app, ["run", "content_lead", *TINY]), "'content_lead' not found",
                   "did you mean 'content_led'?")


def test_invalid_override_value_names_field_and_range(runner):
    line = one_line_error(runner.invoke(app, ["run", "content_led", *TINY,
                                              "--set", "strategy.ad_posts_per_day=999"]))
    assert "strategy.ad_posts_per_day" in line and "999" in line
    assert "allowed 0 to 50" in line


def test_users_option_out_of_range(runner):
    one_line_error(runner.invoke(app, ["run", "content_led", "--users", "5", "--days", "10"]),
                   "population.n_users", "allowed 100 to")


def test_unknown_override_key(runner):
    one_line_error(runner.invoke(app, ["run", "content_led", *TINY, "--set", "strategy.ad_post_per_day=1"]),
                   "unknown key 'strategy.ad_post_per_day'", "did you mean 'ad_posts_per_day'?")


def test_override_without_equals(runner):
    one_line_error(runner.invoke(app, ["run", "content_led", *TINY, "--set", "strategy.ad_posts_per_day"]),
                   "must look like section.field=value")


def test_empty_and_missing_scenario_files_in_run(runner, tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    one_line_error(runner.invoke(app, ["run", str(empty), *TINY]), "empty.yaml", "file is empty")
    one_line_error(runner.invoke(app, ["run", str(tmp_path / "gone.yaml"), *TINY]), "gone.yaml", "not found")


def test_malformed_yaml_in_compare(runner, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("strategy:\n  ad_posts_per_day: [1\n")
    one_line_error(runner.invoke(app, ["compare", "content_led", str(bad), *TINY]),
                   "broken.yaml", "not valid YAML")


@pytest.mark.parametrize(("args", "needles"), [
    (["run", "content_led", "--seeds", "0"], ["--seeds must be between 1 and 1,000", "got 0"]),
    (["run", "content_led", "--seeds", "many"], ["--seeds", "valid integer"]),
    (["run", "content_led", "--format", "xlsx"], ["--format", "xlsx"]),
    (["run", "content_led", "--frobnicate"], ["--frobnicate"]),
    (["run"], ["SCENARIO"]),
    (["compare", "content_led"], ["at least two scenarios"]),
    (["dashboard", "--port", "70000"], ["--port must be between 1 and 65535"]),
    (["nosuchcommand"], ["nosuchcommand"]),
])
def test_bad_option_values_give_one_line(runner, args, needles):
    one_line_error(runner.invoke(app, args), *needles)


# ------------------------------------------------------------------ run


def test_run_prints_kpi_table_and_writes_results(runner, tmp_path):
    out = tmp_path / "res"
    result = runner.invoke(app, ["run", "content_led", *TINY, "--set", "strategy.ad_posts_per_day=2",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # progress bars are transient, no errors
    text = result.stdout
    assert "content_led — 2 seeds, 60 days × 1,000 users" in text
    for label, *_ in sim.KPI_INFO.values():
        assert label in text
    assert "p10–p90" in text and "median" in text

    assert sorted(p.name for p in out.iterdir()) == ["cashflow.csv", "daily.csv", "manifest.json", "scenario.yaml", "summary.json"]
    daily = pd.read_csv(out / "daily.csv")
    assert daily.columns[0] == "seed"
    assert set(sim.DAILY_COLUMNS) <= set(daily.columns)
    assert daily.groupby("seed")["day"].apply(list).to_dict() == {0: list(range(60)), 1: list(range(60))}

    summary = json.loads((out / "summary.json").read_text())
    assert summary["seeds"] == [0, 1]
    assert summary["siyu_version"] not in ("", None)
    assert summary["scenario"]["population"]["n_users"] == 1000
    assert summary["scenario"]["strategy"]["ad_posts_per_day"] == 2
    assert len(summary["kpis"]) == 2 and set(summary["bands"]) == set(sim.KPI_INFO)
    # the printed table shows exactly these numbers
    band = summary["bands"]["cum_profit"]
    row = next(line for line in text.splitlines() if "Cumulative profit" in line)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert cells == ["Cumulative profit", format_kpi(band["q50"], "RMB"),
                     f"{format_kpi(band['q10'], 'RMB')} – {format_kpi(band['q90'], 'RMB')}", "RMB"]
    # the daily table agrees with the KPIs
    last = daily[daily["day"] == 59].set_index("seed")["cum_profit"]
    assert last[1] == pytest.approx(summary["kpis"][1]["cum_profit"])

    written = sim.parse_scenario_text((out / "scenario.yaml").read_text(), "scenario.yaml")
    assert written.horizon_days == 60 and written.strategy.ad_posts_per_day == 2
    assert written.name == "content_led"


def test_existing_results_are_not_overwritten_without_force(runner, tmp_path):
    out = tmp_path / "res"
    assert runner.invoke(app, ["run", "spam_blast", *TINY, "--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    result = runner.invoke(app, ["run", "spam_blast", *TINY, "--days", "30", "--out", str(out)])
    one_line_error(result, str(out), "already contains results", "--force")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    result = runner.invoke(app, ["run", "spam_blast", *TINY, "--days", "30", "--out", str(out),
                                 "--force", "--format", "parquet"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["cashflow.parquet", "daily.parquet", "manifest.json", "scenario.yaml", "summary.json"]
    daily = pd.read_parquet(out / "daily.parquet")
    assert daily["day"].max() == 29 and sorted(daily["seed"].unique()) == [0, 1]
    assert json.loads((out / "summary.json").read_text())["scenario"]["horizon_days"] == 30
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_out_that_is_a_file_is_refused(runner, tmp_path):
    f = tmp_path / "file"
    f.write_text("keep")
    one_line_error(runner.invoke(app, ["run", "content_led", *TINY, "--out", str(f)]), "not a directory")
    assert f.read_text() == "keep"


# ------------------------------------------------------------------ compare


def test_compare_table_and_html_report(runner, tmp_path):
    report = tmp_path / "report.html"
    result = runner.invoke(app, ["compare", "content_led", "spam_blast", *TINY,
                                 "--baseline", "spam_blast", "--html", str(report)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "spam_blast (baseline)" in text and "content_led" in text
    for label, *_ in sim.KPI_INFO.values():
        assert label in text
    beats = next(line for line in text.splitlines() if "P(beats baseline)" in line)
    cells = [c.strip() for c in beats.strip("│ ").split("│")]
    assert cells[-1] == "—"  # the baseline itself
    # same seeds, same numbers: recompute the ensembles and check the printed values
    small = {"population.n_users": 1000, "horizon_days": 60}
    ens = {n: sim.simulate_many(sim.load_scenario(n, small), seeds=2, workers=1)
           for n in ("content_led", "spam_blast")}
    assert cells[-2] == f"{sim.prob_beats(ens['content_led'], ens['spam_blast']):.0%}"
    row = next(line for line in text.splitlines() if "Cumulative profit" in line)
    b = ens["content_led"].summary_bands().loc["cum_profit"]
    expected = f"{format_kpi(b['q50'], 'RMB')} [{format_kpi(b['q10'], 'RMB')} – {format_kpi(b['q90'], 'RMB')}]"
    assert [c.strip() for c in row.strip("│ ").split("│")][2] == expected

    page = report.read_text(encoding="utf-8")
    assert "content_led" in page and "spam_blast" in page
    assert page.count("* plotly.js v") == 1
    assert "<script src=" not in page
    assert "baseline <b>spam_blast</b>" in page

    # the report is never silently overwritten
    again = runner.invoke(app, ["compare", "content_led", "spam_blast", *TINY, "--html", str(report)])
    one_line_error(again, str(report), "already exists", "--force")
    assert report.read_text(encoding="utf-8") == page


def test_compare_unknown_baseline_suggests(runner):
    one_line_error(runner.invoke(app, ["compare", "content_led", "spam_blast", *TINY, "--baseline", "spam_blas"]),
                   "--baseline 'spam_blas'", "did you mean 'spam_blast'?")


def test_compare_same_name_twice_gets_distinct_labels(tmp_path):
    a, b = sim.load_scenario("content_led"), sim.load_scenario("content_led")
    assert cli_compare._labels(["content_led", "x/content_led.yaml"], [a, b]) == [
        "content_led", "content_led [x/content_led.yaml]"]
    assert cli_compare._labels(["content_led", "content_led"], [a, b]) == ["content_led", "content_led [content_led]"]


# ------------------------------------------------------------------ dashboard


def test_dashboard_launches_streamlit(runner, monkeypatch, tmp_path):
    app_py = tmp_path / "app.py"
    app_py.write_text("")
    calls = []
    monkeypatch.setattr(cli_dashboard, "dashboard_app_path", lambda: app_py)
    monkeypatch.setattr(cli_dashboard, "run_child", lambda cmd: calls.append(cmd) or 3)
    result = runner.invoke(app, ["dashboard", "--port", "8765", "--headless"])
    assert result.exit_code == 3  # streamlit's exit code is passed through
    assert calls == [[sys.executable, "-m", "streamlit", "run", str(app_py), "--server.port", "8765",
                      "--server.address", "127.0.0.1", *cli_dashboard.STREAMLIT_FLAGS, "--server.headless", "true"]]
    calls.clear()
    assert runner.invoke(app, ["dashboard"]).exit_code == 3
    assert "--server.headless" not in calls[0] and calls[0][calls[0].index("--server.port") + 1] == "8501"


def test_dashboard_path_and_missing_app(runner, monkeypatch, tmp_path):
    assert cli.dashboard_app_path() == Path(sim.__file__).resolve().parent.parent / "dashboard" / "app.py"
    monkeypatch.setattr(cli_dashboard, "dashboard_app_path", lambda: tmp_path / "missing.py")
    one_line_error(runner.invoke(app, ["dashboard"]), "dashboard not found")


def test_compare_refuses_the_same_scenario_twice(runner):
    result = runner.invoke(app, ["compare", "content_led", "content_led", *TINY])
    one_line_error(result, "'content_led' is given twice")


def test_compare_report_language_option(runner, tmp_path):
    report = tmp_path / "zh.html"
    result = runner.invoke(app, ["compare", "content_led", "spam_blast", *TINY, "--html", str(report),
                                 "--lang", "zh"])
    assert result.exit_code == 0, result.output
    page = report.read_text(encoding="utf-8")
    assert '<html lang="zh">' in page and "关键指标" in page
    one_line_error(runner.invoke(app, ["compare", "content_led", "spam_blast", *TINY, "--lang", "fr"]),
                   "--lang must be en or zh")


def test_print_listing_prints_json_a_table_or_the_empty_line(capsys, monkeypatch):
    from sim.cli.common import print_listing

    monkeypatch.setenv("COLUMNS", "120")
    rows = [{"name": "[bold]a[/bold]", "n": 1_234}, {"name": "b", "n": 5}]
    kw = {"title": "2 things [x]", "empty": "nothing [here]", "columns": ("name", "n"), "right": ("n",),
          "cells": lambda r: (r["name"], f"{r['n']:,}")}
    print_listing({"things": rows}, rows, json_out=True, **kw)
    assert json.loads(capsys.readouterr().out) == {"things": rows}  # one document, nothing else
    print_listing({"things": rows}, rows, json_out=False, **kw)
    out = capsys.readouterr().out
    assert "2 things [x]" in out and "[bold]a[/bold]" in out and "1,234" in out  # markup shown literally
    line = next(x for x in out.splitlines() if "1,234" in x)
    assert line.index("1,234") > line.index("[bold]a[/bold]")
    print_listing({"things": []}, [], json_out=False, **kw)
    assert capsys.readouterr().out.strip() == "nothing [here]"
