"""`siyu calibrate`: the table, one JSON document with --json, a calibrated YAML every other command
accepts, the store entry listed by `siyu runs`, one-line errors (exit 2) for bad pilots, fit
parameters, budgets and outputs; and the four calibration figures."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest
from test_cli import one_line_error, runner  # noqa: F401 - the fixture

import sim
from sim.cli import app
from sim.figures import calibration as figs
from sim.planning.calibration import load_calibration
from sim.planning.pilot import pilot_table

TINY = ["--users", "1000", "--days", "30"]
FIT = ["--fit", "public.platform_conversion=0:0.6", "--fit", "public.organic_reach_per_day=0:0.1"]


@pytest.fixture(scope="module")
def pilot_file(tmp_path_factory):
    base = sim.load_scenario("content_led").with_overrides(
        {"population.n_users": 1000, "horizon_days": 14, "public.platform_conversion": 0.3})
    table = pilot_table(sim.simulate(base, 3).daily, ["purchases", "new_joins"], 14)
    path = tmp_path_factory.mktemp("pilot") / "pilot.csv"
    table.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def calibrated(pilot_file, tmp_path_factory):
    """One small calibration through the CLI, with --json (shared by the tests below)."""
    from typer.testing import CliRunner

    d = tmp_path_factory.mktemp("cli")
    res = CliRunner(env={"COLUMNS": "250"}).invoke(app, [
        "calibrate", "content_led", "--data", str(pilot_file), *FIT, *TINY, "--budget", "80", "--seeds", "3",
        "--store", str(d / "st"), "--id", "calib-cli", "--out", str(d / "calibrated.yaml"), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), d


def test_json_is_one_document(calibrated):
    doc, d = calibrated
    assert doc["kind"] == "calibration" and doc["id"] == "calib-cli" and doc["status"] == "complete"
    assert [p["path"] for p in doc["parameters"]] == ["public.platform_conversion", "public.organic_reach_per_day"]
    for p in doc["parameters"]:
        assert p["lo"] <= p["q05"] <= p["median"] <= p["q95"] <= p["hi"] and 0 < p["shrinkage"] <= 1
    assert doc["abc"]["runs"] >= 80 and doc["abc"]["sampler"] == "single-core" and doc["abc"]["particles"] == 20
    assert doc["pilot"]["source"].endswith("pilot.csv")
    assert {k: v for k, v in doc["pilot"].items() if k != "source"} == {
        "unit": "day", "rows": 14, "span_days": 14, "first": 1, "series": ["purchases", "new_joins"]}
    h = doc["forecast"]["horizon"]["purchases"]
    assert h["measure"] == "total" and h["q10"] <= h["q50"] <= h["q90"] and "pilot" in h
    assert doc["forecast"]["draws"] == 3 and doc["out"].endswith("calibrated.yaml")
    assert set(doc["calibrated"]) == {"public.platform_conversion", "public.organic_reach_per_day"}


def test_the_calibrated_yaml_is_accepted_by_run_and_validate(calibrated, runner):  # noqa: F811
    doc, d = calibrated
    out = d / "calibrated.yaml"
    scenario = sim.load_scenario(out)
    assert scenario.public.platform_conversion == doc["calibrated"]["public.platform_conversion"]
    assert scenario.population.n_users == 1000 and scenario.horizon_days == 30  # --users/--days written out
    res = runner.invoke(app, ["validate", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["run", str(out), "--seeds", "1", "--no-store"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["compare", "content_led", str(out), *TINY, "--seeds", "1", "--no-store"])
    assert res.exit_code == 0, res.output


def test_siyu_runs_lists_and_shows_it(calibrated, runner):  # noqa: F811
    _, d = calibrated
    res = runner.invoke(app, ["runs", "--store", str(d / "st"), "--json"])
    assert res.exit_code == 0, res.output
    [entry] = json.loads(res.stdout)["experiments"]
    assert entry["id"] == "calib-cli" and entry["kind"] == "calibration" and entry["status"] == "complete"
    res = runner.invoke(app, ["runs", "show", "calib-cli", "--store", str(d / "st")])
    assert res.exit_code == 0 and "calibration" in res.stdout, res.output


def test_the_table_output(pilot_file, runner, tmp_path):  # noqa: F811
    res = runner.invoke(app, ["calibrate", "content_led", "--data", str(pilot_file), "--fit",
                              "public.platform_conversion=0:0.6", *TINY, "--budget", "80", "--seeds", "2",
                              "--no-store"])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "content_led calibrated to pilot.csv (14 days, purchases, new_joins)" in out
    assert "public.platform_conversion" in out and "90% interval" in out
    assert "ABC-SMC:" in out and "simulations (budget 80)" in out and "sampler single-core" in out
    assert "posterior-predictive forecast to day 30 (2 draws)" in out and "stored as" not in out


@pytest.mark.parametrize(("csv", "args", "needles"), [
    ("new_joins\n" + "1\n" * 10, [], ["no 'day' or 'week' column"]),
    ("day,foo\n" + "".join(f"{d},1\n" for d in range(1, 11)), [], ["unknown column 'foo'"]),
    ("day,new_joins\n" + "".join(f"{d},-1\n" for d in range(1, 11)), [], ["is negative"]),
    ("day,new_joins\n" + "".join(f"{d},x\n" for d in range(1, 11)), [], ["'x' is not a number"]),
    ("day,new_joins\n" + "".join(f"{d},1\n" for d in (1, 3, 2, 4, 5, 6, 7, 8)), [], ["sort the rows"]),
    ("day,new_joins\n" + "".join(f"{d},1\n" for d in (1, 2, 2, 4, 5, 6, 7, 8)), [], ["appears twice"]),
    ("day,new_joins\n1,1\n2,1\n", [], ["at least 7 days"]),
    ("day,new_joins\n" + "".join(f"{d},1\n" for d in range(1, 41)), [], ["spans 40 days", "horizon of 30 days"]),
    (None, ["--fit", "public.nope"], ["unknown parameter 'public.nope'"]),
    (None, ["--fit", "strategy.ad_posts_per_day"], ["what the merchant did"]),
    (None, ["--fit", "public.platform_conversion=0:3"], ["--fit public.platform_conversion=0:3: 3 is outside the schema's bounds"]),
    (None, ["--fit", "public.platform_conversion=0.4:0.1"], ["is reversed"]),
    (None, ["--fit", "public.platform_conversion=0.4:0.4"], ["empty range"]),
    (None, ["--fit", "public.platform_conversion", "--budget", "0"], ["--budget must be at least 1 run (got 0)"]),
    (None, ["--fit", "public.platform_conversion", "--budget", "30"], ["too small"]),
    (None, ["--fit", "public.platform_conversion", "--workers", "0"], ["--workers must be between 1 and 256"]),
    (None, ["--fit", "public.platform_conversion", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
     ["either --workers"]),
    (None, ["--fit", "public.platform_conversion", "--scheduler", "nonsense"], ["is not a scheduler address"]),
    (None, ["--fit", "public.platform_conversion", "--out", "x.txt"], ["must be a .yaml file"]),
    (None, ["--fit", "public.platform_conversion", "--id", "bad id"], ["is not a valid id"]),
])
def test_bad_input_is_one_line(csv, args, needles, pilot_file, runner, tmp_path):  # noqa: F811
    data = pilot_file
    if csv is not None:
        data = tmp_path / "bad.csv"
        data.write_text(csv, encoding="utf-8")
        args = ["--fit", "public.platform_conversion", *args]
    budget = [] if "--budget" in args else ["--budget", "80"]
    res = runner.invoke(app, ["calibrate", "content_led", "--data", str(data), *args, *budget, *TINY,
                              "--store", str(tmp_path / "st")])
    one_line_error(res, *needles)
    assert not (tmp_path / "st").exists() or not any((tmp_path / "st").iterdir())  # nothing stored


def test_missing_data_and_an_existing_out_are_refused(pilot_file, runner, tmp_path):  # noqa: F811
    res = runner.invoke(app, ["calibrate", "content_led", "--data", str(tmp_path / "none.csv"), *FIT, *TINY])
    one_line_error(res, "no such file")
    out = tmp_path / "c.yaml"
    out.write_text("keep me", encoding="utf-8")
    res = runner.invoke(app, ["calibrate", "content_led", "--data", str(pilot_file), *FIT, *TINY, "--out", str(out)])
    one_line_error(res, "already exists; pass --force")
    assert out.read_text(encoding="utf-8") == "keep me"


def test_the_figures(calibrated):
    _, d = calibrated
    cal = load_calibration("calib-cli", d / "st")
    pair = figs.pair_figure(cal, "public.platform_conversion", "public.organic_reach_per_day",
                            truth={"public.platform_conversion": 0.3, "public.organic_reach_per_day": 0.002})
    assert isinstance(pair, go.Figure)
    scatter = pair.data[0]
    assert len(scatter.x) == 20 and max(scatter.marker.size) == pytest.approx(30)  # sized by weight
    assert pair.layout.shapes[0].x0 == 0 and pair.layout.shapes[0].x1 == 0.6  # the prior's box
    assert [t.name for t in pair.data][1:] == ["median and 90 % intervals", "true value"]
    with pytest.raises(ValueError, match="not a fitted parameter"):
        figs.pair_figure(cal, "public.platform_conversion", "trust.initial")
    fit = figs.fit_figure(cal)
    observed = [t for t in fit.data if t.name == "pilot data"]
    assert len(observed) == 2 and list(observed[0].y) == list(cal.pilot.series["purchases"])
    fc = figs.forecast_figure(cal, "purchases")
    med = next(t for t in fc.data if t.name == "posterior-predictive median")
    assert len(med.x) == 30 and med.x[0] == 1  # the horizon, days numbered as in the pilot
    assert len(next(t for t in fc.data if t.name == "pilot data").x) == 14
    marg = figs.marginals_figure(cal)
    bars = [t for t in marg.data if isinstance(t, go.Bar)]
    assert len(bars) == 2
    for bar in bars:  # weighted densities integrate to one
        assert sum(y * w for y, w in zip(bar.y, bar.width, strict=True)) == pytest.approx(1.0)
    prior = next(t for t in marg.data if t.name == "prior (uniform)")
    assert max(prior.y) == pytest.approx(1 / 0.6)
