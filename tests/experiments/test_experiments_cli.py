"""`siyu sweep`, `siyu runs` and the recording of `siyu run`/`compare`: outputs, JSON, one-line errors."""

from __future__ import annotations

import json

import pytest
from test_cli import one_line_error

from sim.cli import app
from sim.experiments import Store

TINY = ["--users", "1000", "--days", "30"]


def test_sweep_prints_a_band_per_point_and_stores_it(runner, tmp_path):
    store = tmp_path / "st"
    res = runner.invoke(app, ["sweep", "content_led", "--vary", "strategy.ad_posts_per_day=0.5,3", "--seeds", "2",
                              *TINY, "--store", str(store), "--id", "g"])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "g — 2 points × 2 seeds, 30 days × 1,000 users; median [p10–p90]" in out
    assert "Cumulative profit (RMB)" in out and "strategy.ad_posts_per_day" in out
    assert "stored as g in" in out and "(complete, 4 of 4 runs" in out
    table = Store(store).table("g")
    assert len(table) == 4 and sorted(set(table["strategy.ad_posts_per_day"])) == [0.5, 3.0]
    # the same command again resumes: nothing to run, same result, nothing overwritten
    again = runner.invoke(app, ["sweep", "content_led", "--vary", "strategy.ad_posts_per_day=0.5,3", "--seeds", "2",
                                *TINY, "--store", str(store), "--id", "g"])
    assert again.exit_code == 0 and "resuming g: 4 of 4 runs already stored" in again.stderr
    assert again.stdout.split("stored as")[0] == out.split("stored as")[0]  # the same table, KPIs and all
    assert Store(store).table("g").equals(table)


def test_sweep_json_is_one_document_with_bands(runner, tmp_path):
    res = runner.invoke(app, ["sweep", "content_led", "--vary", "strategy.ad_posts_per_day=0:4", "--samples", "3",
                              "--seeds", "2", *TINY, "--store", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["kind"] == "sweep" and doc["status"] == "complete" and doc["runs_total"] == 6
    assert doc["manifest"]["design"]["kind"] == "lhs" and len(doc["points"]) == 3
    p = doc["points"][0]
    assert 0 <= p["params"]["strategy.ad_posts_per_day"] <= 4 and p["runs"] == 2
    b = p["kpis"]["cum_profit"]
    assert b["q10"] <= b["q50"] <= b["q90"]


def test_sweep_from_a_csv_design(runner, tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("strategy.ad_posts_per_day,network.kind\n1,random\n2,well_mixed\n")
    res = runner.invoke(app, ["sweep", "content_led", "--design", str(f), "--seeds", "1", *TINY,
                              "--store", str(tmp_path / "s"), "--json"])
    assert res.exit_code == 0, res.output
    assert [p["params"]["network.kind"] for p in json.loads(res.stdout)["points"]] == ["random", "well_mixed"]


def test_runs_lists_shows_and_removes(runner, tmp_path):
    st = ["--store", str(tmp_path)]
    assert runner.invoke(app, ["run", "content_led", *TINY, "--seeds", "2", *st]).exit_code == 0
    res = runner.invoke(app, ["compare", "content_led", "spam_blast", *TINY, "--seeds", "2", *st])
    assert res.exit_code == 0 and "stored as compare-" in res.stdout
    assert runner.invoke(app, ["run", "content_led", *TINY, "--seeds", "1", *st, "--no-store"]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["runs", *st, "--json"]).stdout)["experiments"]
    assert sorted(e["kind"] for e in listed) == ["compare", "run"]
    assert all(e["status"] == "complete" for e in listed)
    comp = next(e for e in listed if e["kind"] == "compare")
    assert comp["runs_done"] == comp["runs_total"] == 4 and comp["scenario"] == "content_led, spam_blast"
    text = runner.invoke(app, ["runs", *st]).stdout
    assert comp["id"] in text and "compare" in text and "complete" in text
    shown = runner.invoke(app, ["runs", "show", comp["id"], *st])
    assert shown.exit_code == 0 and "spam_blast" in shown.stdout and "complete (4 of 4 runs)" in shown.stdout
    doc = json.loads(runner.invoke(app, ["runs", "show", comp["id"], *st, "--json"]).stdout)
    assert [p["label"] for p in doc["points"]] == ["content_led", "spam_blast"]
    rm = runner.invoke(app, ["runs", "rm", comp["id"], *st])
    assert rm.exit_code == 0 and f"removed {comp['id']}" in rm.stdout
    assert len(json.loads(runner.invoke(app, ["runs", *st, "--json"]).stdout)["experiments"]) == 1


def test_store_comes_from_the_environment(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("SIYU_STORE", str(tmp_path / "env"))
    assert runner.invoke(app, ["run", "content_led", *TINY, "--seeds", "1"]).exit_code == 0
    assert len(Store(tmp_path / "env").ids()) == 1


BASE = ["sweep", "content_led", *TINY]


@pytest.mark.parametrize(("args", "needles"), [
    (["--vary", "strategy.ad_posts_per_dai=1,2"], ["unknown parameter", "did you mean 'strategy.ad_posts_per_day'"]),
    (["--vary", "strategy.ad_posts_per_day=1,99"], ["99", "allowed 0 to 50"]),
    (["--vary", "strategy.ad_posts_per_day=0:99", "--samples", "3"], ["99", "allowed 0 to 50"]),
    (["--vary", "strategy.ad_posts_per_day=4:1", "--samples", "3"], ["reversed"]),
    (["--vary", "strategy.ad_posts_per_day=2:2", "--samples", "3"], ["empty"]),
    (["--vary", "strategy.ad_posts_per_day=1:3", "--samples", "0"], ["--samples", "at least 1"]),
    (["--vary", "strategy.ad_posts_per_day=1:3"], ["--samples N"]),
    (["--vary", "strategy.ad_posts_per_day=1,2", "--samples", "3"], ["--samples", "ranges"]),
    (["--vary", "strategy.ad_posts_per_day=1:3", "--vary", "product.order_value=100,200", "--samples", "3"], ["not both"]),
    ([], ["--vary"]),
    (["--vary", "strategy.ad_posts_per_day=1:3", "--samples", "100000"], ["100,000 points", "--yes"]),
    (["--vary", "strategy.ad_posts_per_day=1", "--seeds", "0"], ["--seeds", "at least 1"]),
    (["--vary", "strategy.ad_posts_per_day=1", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], ["not both"]),
    (["--vary", "strategy.ad_posts_per_day=1", "--scheduler", "nonsense"], ["not a scheduler address"]),
    (["--vary", "strategy.ad_posts_per_day=1", "--id", "a/b"], ["--id", "not a valid id"]),
])
def test_bad_sweep_input_is_one_line_exit_2(runner, tmp_path, args, needles):
    one_line_error(runner.invoke(app, [*BASE, *args, "--store", str(tmp_path)]), *needles)
    assert not (tmp_path / "sweep").exists() and Store(tmp_path).ids() == []


def test_malformed_design_csv_is_one_line(runner, tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("strategy.ad_posts_per_day,touchpoints.group_size\n1,100\n2\n")
    one_line_error(runner.invoke(app, [*BASE, "--design", str(f), "--store", str(tmp_path)]), "line 3")


def test_unreachable_scheduler_is_one_line(runner, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    one_line_error(runner.invoke(app, [*BASE, "--vary", "strategy.ad_posts_per_day=1", "--scheduler",
                                       f"tcp://127.0.0.1:{port}", "--store", str(tmp_path)]), "cannot reach it")


def test_an_existing_id_with_another_design_is_refused(runner, tmp_path):
    st = ["--store", str(tmp_path), "--id", "x", "--seeds", "1"]
    assert runner.invoke(app, [*BASE, "--vary", "strategy.ad_posts_per_day=1", *st]).exit_code == 0
    one_line_error(runner.invoke(app, [*BASE, "--vary", "strategy.ad_posts_per_day=2", *st]),
                   "'x' holds a different sweep", "siyu runs rm x")


def test_runs_errors_are_one_line(runner, tmp_path):
    one_line_error(runner.invoke(app, ["runs", "show", "nope", "--store", str(tmp_path)]), "no experiment 'nope'")
    one_line_error(runner.invoke(app, ["runs", "rm", "nope", "--store", str(tmp_path)]), "no experiment 'nope'")
    one_line_error(runner.invoke(app, ["runs", "--kind", "thing", "--store", str(tmp_path)]), "--kind")
