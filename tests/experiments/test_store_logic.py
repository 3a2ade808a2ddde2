"""The pure logic of the results store and the sweep runner, fast (no simulation, no cluster).

For the mutation runs (docs/MODEL.md §8.1): ids (valid, fresh), the hashes that identify an
experiment and a scenario, where the store is, the chunk files of a table and their rows, the
run timings of a manifest, the column types of a runs table, and the sweep's quantiles, point
labels and design defaults. The store's I/O and resume paths are tested through real sweeps in
tests/experiments/test_store.py.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.experiments import store
from sim.experiments.design import Design
from sim.experiments.store import StoreError, check_id

sweep = importlib.import_module("sim.experiments.sweep")   # the package exports the function of that name


# --- ids and hashes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("good", ["a", "Z", "7", "sweep-20261201-094500-3fa2", "a.b_c-d", "x" * 80, "0..9"])
def test_plain_names_are_ids(good):
    assert check_id(good) == good


@pytest.mark.parametrize("bad", ["", "x" * 81, "-a", ".a", "_a", "a/b", "a b", "../x", "a\n", "é", None, 7])
def test_other_ids_are_refused_in_one_line(bad):
    with pytest.raises(StoreError) as err:
        check_id(bad)
    assert str(err.value) == (f"--id {bad!r} is not a valid id: use 1 to 80 letters, digits, '.', '_' or '-', "
                              "starting with a letter or digit")


def test_a_new_id_is_kind_utc_time_and_four_hex_digits():
    a, b = store.new_id("sweep"), store.new_id("sweep")
    assert re.fullmatch(r"sweep-\d{8}-\d{6}-[0-9a-f]{4}", a) and check_id(a) == a
    assert store.new_id("compare").startswith("compare-20") and a != b or a[:-4] == b[:-4]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", store.utc_now())


def test_a_new_id_takes_the_utc_time_whatever_the_local_zone(monkeypatch):
    import datetime as dt
    import time

    monkeypatch.setenv("TZ", "Asia/Shanghai")   # UTC+8, no daylight saving
    time.tzset()
    try:
        before = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        got = dt.datetime.strptime(store.new_id("run")[4:19], "%Y%m%d-%H%M%S")
        after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        assert before <= got <= after
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_the_fingerprint_hashes_the_definition_in_key_order():
    d = {"b": 1, "a": [1.5, "私域"], "when": pd.Timestamp("2026-01-01")}
    text = json.dumps(d, sort_keys=True, ensure_ascii=False, default=str)
    assert store.fingerprint(d) == hashlib.sha256(text.encode()).hexdigest()[:20]
    assert store.fingerprint({"a": [1.5, "私域"], "b": 1, "when": pd.Timestamp("2026-01-01")}) == store.fingerprint(d)
    assert store.fingerprint({"a": 1}) != store.fingerprint({"a": 2}) and len(store.fingerprint({})) == 20


def test_the_scenario_sha_is_a_short_hash_of_its_key():
    assert store.scenario_sha("abc") == hashlib.sha256(b"abc").hexdigest()[:16]
    assert store.scenario_sha("abc") != store.scenario_sha("abd")


def test_the_store_is_the_option_else_the_environment_else_runs_here(monkeypatch, tmp_path):
    monkeypatch.setenv(store.STORE_ENV, str(tmp_path / "env"))
    assert store.resolve_store(tmp_path / "opt") == tmp_path / "opt"
    assert store.resolve_store(str(tmp_path / "opt")) == tmp_path / "opt"
    assert store.resolve_store("") == tmp_path / "env" and store.resolve_store() == tmp_path / "env"
    monkeypatch.delenv(store.STORE_ENV)
    monkeypatch.chdir(tmp_path)
    assert store.resolve_store() == tmp_path / "runs" and store.resolve_store("") == tmp_path / "runs"
    monkeypatch.setenv(store.STORE_ENV, "")
    assert store.resolve_store() == tmp_path / "runs"


def test_git_commit_is_a_full_hash_or_none():
    got = store.git_commit()
    assert got is None or re.fullmatch(r"[0-9a-f]{40}", got)


# --- the chunk files of a table ------------------------------------------------------------------------
def test_parts_are_the_numbered_chunk_files_in_order(tmp_path):
    assert store._parts(tmp_path / "missing") == []
    for name in ("part-00010.parquet", "part-00002.parquet", "part-123456.parquet", "part-0001.parquet",
                 "part-00003.parquet.tmp", "other.parquet", "xpart-00004.parquet"):
        (tmp_path / name).write_text("")
    (tmp_path / "part-00005.parquet").mkdir()   # a name that matches is listed whatever it is
    got = store._parts(tmp_path)
    assert [n for n, _ in got] == [2, 5, 10, 123456]
    assert [p.name for _, p in got] == ["part-00002.parquet", "part-00005.parquet", "part-00010.parquet",
                                        "part-123456.parquet"]


def test_rows_in_counts_the_rows_of_every_chunk(tmp_path):
    assert store._rows_in(tmp_path) == 0
    pd.DataFrame({"a": [1, 2, 3]}).to_parquet(tmp_path / "part-00000.parquet")
    pd.DataFrame({"a": [4, 5]}).to_parquet(tmp_path / "part-00001.parquet")
    pd.DataFrame({"a": [6]}).to_parquet(tmp_path / "ignored.parquet")
    assert store._rows_in(tmp_path) == 5


# --- manifests and tables ------------------------------------------------------------------------------
def test_timings_summarise_the_run_seconds():
    t = store._timings([1.0, 2.0, 3.0, 10.0], 8.0)
    assert t == {"wall_seconds": 8.0, "runs_timed": 4, "runs_per_second": 0.5, "run_seconds_total": 16.0,
                 "run_seconds_mean": 4.0, "run_seconds_p50": 2.5, "run_seconds_p90": 7.9, "run_seconds_max": 10.0}
    assert store._timings([], 1.23456) == {"wall_seconds": 1.235, "runs_timed": 0}
    assert store._timings([0.5], 0.0)["runs_per_second"] is None
    r = store._timings([1 / 3, 2 / 3], 3.0)
    assert r["run_seconds_mean"] == 0.5 and r["runs_per_second"] == 0.6667 and r["run_seconds_total"] == 1.0
    assert store._timings([0.123456], 1.0)["run_seconds_max"] == 0.1235
    # rounded to the millisecond (wall, total) and to 0.1 ms (rates and per-run figures)
    t = store._timings([1.1111111, 2.2222222, 3.3333333, 4.4444444], 8.12346)
    assert t == {"wall_seconds": 8.123, "runs_timed": 4, "runs_per_second": 0.4924, "run_seconds_total": 11.111,
                 "run_seconds_mean": 2.7778, "run_seconds_p50": 2.7778, "run_seconds_p90": 4.1111,
                 "run_seconds_max": 4.4444}
    assert store._timings([0.1], 0.5)["runs_per_second"] == 2.0   # a wall time under a second still gives a rate


def test_a_typed_frame_gives_each_column_its_type_and_the_rest_float():
    rows = [{"point": 0, "replicate": 1, "seed": 7, "strategy.mini_program": True, "label": "a", "roi": 1},
            {"point": 1, "replicate": 0, "seed": 8, "strategy.mini_program": False, "label": "b", "roi": 2}]
    dtypes = {"point": "int64", "replicate": "int64", "seed": "int64", "strategy.mini_program": "bool",
              "label": "object", "absent": "int64"}
    df = store._typed_frame(rows, dtypes)
    assert list(df.columns) == ["point", "replicate", "seed", "strategy.mini_program", "label", "roi"]
    assert [str(t) for t in df.dtypes] == ["int64", "int64", "int64", "bool", "object", "float64"]
    assert df["roi"].tolist() == [1.0, 2.0] and "absent" not in df


def test_column_types_follow_each_parameter_s_kind():
    params = [SimpleNamespace(path="a.n", kind="int"), SimpleNamespace(path="a.x", kind="float"),
              SimpleNamespace(path="a.on", kind="bool"), SimpleNamespace(path="a.kind", kind="choice")]
    assert store.column_dtypes(params) == {"point": "int64", "replicate": "int64", "seed": "int64", "a.n": "int64",
                                           "a.x": "float64", "a.on": "bool", "a.kind": "object"}
    assert store.column_dtypes([]) == {"point": "int64", "replicate": "int64", "seed": "int64"}


# --- the sweep's helpers ----------------------------------------------------------------------------------
def test_sweep_quantiles_treat_inf_as_the_largest_and_leave_nan_out():
    assert sweep.quantiles([1, 2, 3, 4, 5]) == [1.4, 3.0, 4.6]
    assert sweep.quantiles([1.0, math.inf, math.inf], (0.0, 0.5, 1.0)) == [1.0, math.inf, math.inf]
    assert sweep.quantiles(np.array([2.0, np.nan, 4.0]), (0.5,)) == [3.0]


def test_a_point_label_lists_its_values_in_order():
    assert sweep._point_label({"strategy.ad_posts_per_day": 2.0, "network.kind": "random"}) == \
        "strategy.ad_posts_per_day=2.0, network.kind=random"
    assert sweep._point_label({}) == ""


def test_no_design_is_the_base_scenario_once_and_a_list_is_explicit_points():
    base = sweep._as_design(None)
    assert isinstance(base, Design) and base.kind == "list" and base.points == ({},) and base.paths == ()
    assert base.spec == {"source": "base scenario only"}
    d = Design("grid", (), ({"a": 1},), {})
    assert sweep._as_design(d) is d
    listed = sweep._as_design([{"strategy.ad_posts_per_day": 1.0}, {"strategy.ad_posts_per_day": 3.0}])
    assert listed.kind == "list" and [p["strategy.ad_posts_per_day"] for p in listed.points] == [1.0, 3.0]


def test_a_bad_design_point_is_named_with_its_values():
    from sim import Scenario, ScenarioError

    pts = Design("list", (), ({}, {"strategy.ad_posts_per_day": 1.0}, {"strategy.ad_posts_per_day": 99.0}), {})
    base = Scenario()
    got = sweep._scenarios(base, pts)
    assert next(got) is base and next(got).strategy.ad_posts_per_day == 1.0   # the base point is the base itself
    with pytest.raises(ScenarioError, match=r"^design point 2 \(strategy\.ad_posts_per_day=99\.0\): override: "
                                            r"strategy\.ad_posts_per_day = 99"):
        next(got)
