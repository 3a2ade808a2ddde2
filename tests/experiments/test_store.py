"""The results store: resume equals an uninterrupted run, a crash mid-write leaves the previous
result intact and the interrupted one partial, ids are never overwritten, run/compare recordings."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import sim
from sim import ScenarioError
from sim.experiments import LocalBackend, Store, StoreError, grid, open, sweep
from sim.experiments import store as store_mod


class Stop(Exception):
    pass


def _stop_after(n: int):
    def progress(done: int, total: int) -> None:
        if done >= n:
            raise Stop(f"stopped after {done} runs")
    return progress


def test_resume_gives_the_same_result_as_an_uninterrupted_run(tiny, small_grid, tmp_path):
    whole = sweep(tiny, small_grid, seeds=3, backend=LocalBackend(workers=1), store=tmp_path / "a", id="x",
                  daily=True, chunk_runs=2)
    assert whole.complete and whole.manifest["runs_done"] == 9
    part = tmp_path / "b"
    with pytest.raises(Stop):
        sweep(tiny, small_grid, seeds=3, backend=LocalBackend(workers=1), store=part, id="x", daily=True,
              chunk_runs=2, progress=_stop_after(5))
    m = Store(part).manifest("x")
    assert m["status"] == "partial" and 0 < m["runs_done"] < 9 and "Stop" in m["error"]
    seen = []
    resumed = sweep(tiny, small_grid, seeds=3, backend=LocalBackend(workers=1), store=part, id="x", daily=True,
                    chunk_runs=2, progress=lambda d, t: seen.append(d))
    assert seen[0] == m["runs_done"]  # the stored runs were skipped
    assert resumed.complete and len(resumed.manifest["sessions"]) == 2
    pd.testing.assert_frame_equal(resumed.table, whole.table, check_exact=True)
    pd.testing.assert_frame_equal(resumed.daily(), whole.daily(), check_exact=True)
    assert not resumed.table.duplicated(["point", "replicate"]).any()


def test_a_crash_mid_write_keeps_the_previous_result_and_marks_the_new_one_partial(tiny, small_grid, tmp_path,
                                                                                   monkeypatch):
    done = sweep(tiny, small_grid, seeds=2, backend=LocalBackend(workers=1), store=tmp_path, id="old")
    before = {p.name: p.read_bytes() for p in (tmp_path / "old").rglob("*") if p.is_file()}

    real = store_mod._write_parquet
    calls = []

    def crashing(df, path):
        calls.append(path)
        if len(calls) >= 2:  # from the second chunk on: half a temporary file, then the disk "dies"
            with store_mod.atomic_path(path) as tmp:
                tmp.write_bytes(b"PAR1 half a file")
                raise OSError(28, "No space left on device")
        real(df, path)

    monkeypatch.setattr(store_mod, "_write_parquet", crashing)
    with pytest.raises(OSError):
        sweep(tiny, small_grid, seeds=2, backend=LocalBackend(workers=1), store=tmp_path, id="new", chunk_runs=2)
    monkeypatch.setattr(store_mod, "_write_parquet", real)

    st = Store(tmp_path)
    assert st.status("old") == "complete"
    assert {p.name: p.read_bytes() for p in (tmp_path / "old").rglob("*") if p.is_file()} == before
    pd.testing.assert_frame_equal(open("old", tmp_path).table, done.table)
    new = st.manifest("new")
    assert new["status"] == "partial" and new["runs_done"] == 2 and new["runs_total"] == 6
    assert not list((tmp_path / "new").rglob("*.tmp"))  # no half file left behind
    assert len(open("new", tmp_path).table) == 2
    listed = {e["id"]: e["status"] for e in st.list()}
    assert listed == {"old": "complete", "new": "partial"}


def test_a_manifest_claiming_complete_is_not_trusted_without_the_rows(tiny, small_grid, tmp_path):
    sweep(tiny, small_grid, seeds=2, backend=LocalBackend(workers=1), store=tmp_path, id="x", chunk_runs=2)
    parts = sorted((tmp_path / "x" / "table").glob("part-*.parquet"))
    parts[-1].unlink()
    assert json.loads((tmp_path / "x" / "manifest.json").read_text())["status"] == "complete"
    assert Store(tmp_path).status("x") == "partial"
    # resuming reruns exactly the missing runs
    again = sweep(tiny, small_grid, seeds=2, backend=LocalBackend(workers=1), store=tmp_path, id="x", chunk_runs=2)
    assert again.complete and len(again.table) == 6


def test_an_existing_id_with_another_experiment_is_refused(tiny, small_grid, tmp_path):
    sweep(tiny, small_grid, seeds=2, backend=LocalBackend(workers=1), store=tmp_path, id="x")
    manifest = (tmp_path / "x" / "manifest.json").read_bytes()
    for kwargs in ({"seeds": 3}, {"seeds": 2, "experiment_seed": 1}, {"seeds": 2, "daily": True}):
        with pytest.raises(StoreError, match="holds a different sweep"):
            sweep(tiny, small_grid, backend=LocalBackend(workers=1), store=tmp_path, id="x", **kwargs)
    with pytest.raises(StoreError, match="different"):
        sweep(tiny, grid({"strategy.ad_posts_per_day": [1.0]}), 2, backend=LocalBackend(workers=1),
              store=tmp_path, id="x")
    assert (tmp_path / "x" / "manifest.json").read_bytes() == manifest
    with pytest.raises(StoreError, match="not a valid id"):
        sweep(tiny, small_grid, 2, store=tmp_path, id="../evil")


def test_manifest_records_what_was_run(tiny, small_grid, tmp_path):
    r = sweep(tiny, small_grid, seeds=2, backend=LocalBackend(workers=1), store=tmp_path, id="m", experiment_seed=4)
    m = r.manifest
    assert m["kind"] == "sweep" and m["status"] == "complete" and m["runs_total"] == m["runs_done"] == 6
    assert sim.parse_scenario_text(m["base_scenario"], "m").population.n_users == 1000
    assert m["design"]["kind"] == "grid" and len(m["design"]["points"]) == 3
    assert m["seeds"]["experiment_seed"] == 4 and len(m["seeds"]["replicate_seeds"]) == 2
    assert m["siyu_version"] and m["backend"] == {"backend": "local", "workers": 1, "scheduler": None}
    assert m["started"] <= m["finished"] and m["timings"]["runs_timed"] == 6
    assert set(sim.KPI_INFO) <= set(m["kpis"])
    assert list(r.table.columns[:4]) == ["point", "replicate", "seed", "strategy.ad_posts_per_day"]
    band = r.band("cum_profit", by="strategy.ad_posts_per_day")
    assert list(band.columns) == ["strategy.ad_posts_per_day", "q10", "q50", "q90", "n"]
    assert (band["n"] == 2).all() and (band["q10"] <= band["q50"]).all() and (band["q50"] <= band["q90"]).all()
    with pytest.raises(ScenarioError, match="unknown KPI"):
        r.band("profit")


def test_daily_tables_are_a_dataset_partitioned_by_point(tiny, small_grid, tmp_path):
    r = sweep(tiny, small_grid, seeds=2, backend=LocalBackend(workers=1), store=tmp_path, id="d", daily=True)
    dirs = sorted(p.name for p in (tmp_path / "d" / "daily").iterdir())
    assert dirs == ["point=0", "point=1", "point=2"]
    ds = pd.read_parquet(tmp_path / "d" / "daily")
    assert len(ds) == 3 * 2 * 30
    one = r.daily(1)
    assert set(one["point"]) == {1} and len(one) == 60
    ens = r.ensemble(1)
    last = one[one["day"] == 29].set_index("replicate")["cum_profit"]
    assert ens.summaries["cum_profit"].tolist() == pytest.approx(last.tolist())


def test_quantiles_treat_inf_as_the_largest_value():
    from sim.experiments import quantiles

    inf = float("inf")
    assert quantiles([1.0, inf, inf]) == [inf, inf, inf]  # numpy/pandas give NaN for the last two
    assert quantiles([1.0, 2.0, inf], (0.0, 0.25, 0.5, 1.0)) == [1.0, 1.5, 2.0, inf]
    assert quantiles([1.0, 2.0, 3.0]) == pytest.approx([1.2, 2.0, 2.8])
    assert quantiles([inf, inf]) == [inf, inf, inf]
    assert quantiles([float("nan"), 2.0]) == [2.0, 2.0, 2.0]


def test_record_and_remove(tiny, tmp_path):
    ens = {"a": sim.simulate_many(tiny, 2, workers=1),
           "b": sim.simulate_many(tiny.with_overrides({"strategy.ad_posts_per_day": 5}), 2, workers=1)}
    st = Store(tmp_path)
    eid = st.record("compare", ens)
    r = open(eid, tmp_path)
    assert r.kind == "compare" and r.complete and eid.startswith("compare-")
    assert r.table["scenario"].tolist() == ["a", "a", "b", "b"]
    assert r.table["seed"].tolist() == [0, 1, 0, 1]
    assert r.table.loc[2, "cum_profit"] == ens["b"].runs[0].summary["cum_profit"]
    back = r.ensemble(1)
    pd.testing.assert_frame_equal(back.band("cum_profit"), ens["b"].band("cum_profit"))
    assert r.scenario(1).strategy.ad_posts_per_day == 5
    assert not list(tmp_path.glob(".*"))  # the hidden build directory was renamed into place
    st.remove(eid)
    assert st.ids() == []
    with pytest.raises(StoreError, match="no experiment"):
        open(eid, tmp_path)


def test_find_returns_the_newest_complete_comparison_of_the_same_scenarios(tiny, tmp_path):
    other = tiny.with_overrides({"strategy.ad_posts_per_day": 5})
    st = Store(tmp_path)
    first = st.record("compare", {"a": sim.simulate_many(tiny, 2, workers=1), "b": sim.simulate_many(other, 2, workers=1)})
    assert st.find("compare", [tiny, other], seeds=[0, 1]) == first
    assert st.find("compare", [other, tiny]) is None  # order matters
    assert st.find("compare", [tiny, other], seeds=[0, 1, 2]) is None
    assert st.find("run", [tiny]) is None


def test_sweepable_lists_schema_leaves_with_bounds():
    from sim.experiments import sweepable

    pars = {p.path: p for p in sweepable()}
    assert pars["strategy.ad_posts_per_day"].hi == 50 and "network.kind" in pars
    assert not any(p.startswith("shocks") for p in pars) and "name" not in pars
    assert all(p.lo is not None and p.hi is not None for p in pars.values() if p.numeric)


def test_a_second_writer_of_the_same_id_is_refused_while_the_first_lives(tiny, small_grid, tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "busy").mkdir()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        import socket

        (tmp_path / "busy" / ".lock").write_text(f"{child.pid} {socket.gethostname()}")
        with pytest.raises(StoreError, match=f"being written by process {child.pid}"):
            Store(tmp_path).writer("busy", {"runs_total": 1}, {"point": "int64"})
    finally:
        child.kill()
        child.wait()
    # its writer is gone: the stale lock is taken over
    w = Store(tmp_path).writer("busy", {"runs_total": 0}, {"point": "int64"})
    assert (tmp_path / "busy" / ".lock").read_text().split()[0] == str(os.getpid())
    w.close()
    assert not (tmp_path / "busy" / ".lock").exists()
