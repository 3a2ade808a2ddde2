"""Atomic, no-clobber writers of sim.io."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim import io as sio
from sim.io import (
    OutputExistsError,
    atomic_path,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
)
from sim.money import monthly_cashflow


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_text_writes_complete_file_and_no_temp(tmp_path):
    target = tmp_path / "sub" / "out.txt"  # parent is created
    assert atomic_write_text(target, "私域\nline 2\n") == target
    assert target.read_text(encoding="utf-8") == "私域\nline 2\n"
    assert _leftovers(target.parent) == []


def test_refuses_to_overwrite_and_keeps_old_content(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(OutputExistsError) as info:
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert str(target) in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, FileExistsError)
    assert _leftovers(tmp_path) == []


def test_overwrite_true_replaces(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    atomic_write_bytes(target, b"new", overwrite=True)
    assert target.read_bytes() == b"new"
    assert _leftovers(tmp_path) == []


def test_failed_fsync_leaves_neither_partial_nor_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"

    def broken_fsync(fd):
        raise OSError(5, "simulated I/O error")

    monkeypatch.setattr(sio.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="simulated"):
        atomic_write_text(target, "x" * 100_000)
    assert not target.exists()
    assert _leftovers(tmp_path) == []


def test_crash_while_writing_keeps_the_old_file_intact(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("a,b\n1,2\n")
    with pytest.raises(RuntimeError), atomic_path(target, overwrite=True) as tmp:
        tmp.write_text("a,b\n9,")  # half written...
        raise RuntimeError("writer crashed")
    assert target.read_text() == "a,b\n1,2\n"
    assert _leftovers(tmp_path) == []


def test_file_appearing_during_the_write_is_not_clobbered(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(OutputExistsError), atomic_path(target) as tmp:
        tmp.write_text("mine")
        target.write_text("someone else's")  # created after the up-front check
    assert target.read_text() == "someone else's"
    assert _leftovers(tmp_path) == []


def test_written_files_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "perm.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_directory_target_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError):
        atomic_write_text(tmp_path, "x", overwrite=True)


def test_atomic_write_json_is_strict_json(tmp_path):
    obj = {"a": np.float64(1.5), "b": float("nan"), "c": [np.int64(3), float("inf")], "d": "私域"}
    path = atomic_write_json(tmp_path / "x.json", obj)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == {"a": 1.5, "b": None, "c": [3, None], "d": "私域"}
    assert "NaN" not in text and "Infinity" not in text


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_table_round_trip_and_no_clobber(tmp_path, fmt):
    df = pd.DataFrame({"seed": [0, 0, 1], "day": [0, 1, 0], "gmv": [1.5, 2.0, 3.25]})
    path = sio.write_table(df, tmp_path / f"daily.{fmt}", fmt)
    back = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    with pytest.raises(OutputExistsError):
        sio.write_table(df.iloc[:1], path, fmt)
    back = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    assert len(back) == 3


def test_write_table_infers_format_and_rejects_unknown(tmp_path):
    df = pd.DataFrame({"x": [1, 2]})
    path = sio.write_table(df, tmp_path / "t.parquet")
    assert pd.read_parquet(path)["x"].tolist() == [1, 2]
    with pytest.raises(ValueError, match="csv, parquet"):
        sio.write_table(df, tmp_path / "t.xlsx")
    assert not (tmp_path / "t.xlsx").exists()


def test_failed_table_write_leaves_nothing(tmp_path, monkeypatch):
    def explode(self, path, **kwargs):
        with open(path, "w") as fh:
            fh.write("partial")
        raise RuntimeError("serializer failed")

    monkeypatch.setattr(pd.DataFrame, "to_csv", explode)
    with pytest.raises(RuntimeError):
        sio.write_table(pd.DataFrame({"x": [1]}), tmp_path / "d.csv", "csv")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def small_ensemble():
    scn = sim.load_scenario("content_led").with_overrides({"population.n_users": 1000, "horizon_days": 30})
    return sim.simulate_many(scn, seeds=2, workers=1)


def test_write_results_files_and_refusal(tmp_path, small_ensemble):
    out = tmp_path / "res"
    paths = sio.write_results(small_ensemble, out, "csv")
    assert sorted(p.name for p in paths) == ["cashflow.csv", "daily.csv", "manifest.json", "scenario.yaml", "summary.json"]
    flows = pd.read_csv(out / "cashflow.csv")
    assert flows.columns[0] == "seed" and sorted(flows["seed"].unique()) == [0, 1]
    for run in small_ensemble.runs:  # each seed's months, as sim.money computes them
        mine = flows[flows["seed"] == run.seed].drop(columns="seed").reset_index(drop=True)
        want = monthly_cashflow(run.daily, small_ensemble.scenario.finance.discount_rate)
        pd.testing.assert_frame_equal(mine, want, check_dtype=False)
        assert mine["net"].sum() == pytest.approx(run.daily["profit"].sum())
    daily = pd.read_csv(out / "daily.csv")
    assert daily.columns[0] == "seed"
    assert sorted(daily["seed"].unique()) == [0, 1]
    assert len(daily) == 2 * 30
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seeds"] == [0, 1]
    assert [row["seed"] for row in summary["kpis"]] == [0, 1]
    assert summary["kpis"][1]["cum_profit"] == pytest.approx(small_ensemble.runs[1].summary["cum_profit"])
    assert set(summary["bands"]) == set(sim.KPI_INFO)
    assert summary["bands"]["gmv_total"]["q50"] == pytest.approx(
        float(np.median([r.summary["gmv_total"] for r in small_ensemble.runs])))
    assert yaml.safe_load((out / "scenario.yaml").read_text())["horizon_days"] == 30
    assert sio.existing_results(out) == ["daily.csv", "cashflow.csv", "scenario.yaml", "summary.json", "manifest.json"]
    assert sio.results_status(out).complete

    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(OutputExistsError):
        sio.write_results(small_ensemble, out, "parquet")  # a summary.json is already there
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing written

    sio.write_results(small_ensemble, out, "parquet", overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["cashflow.parquet", "daily.parquet", "manifest.json", "scenario.yaml", "summary.json"]
