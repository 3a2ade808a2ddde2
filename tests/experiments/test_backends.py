"""Backends: a real Dask LocalCluster on 127.0.0.1 gives the local backend's table bit for bit,
survives a worker that dies mid-sweep with every run stored once, and seeds do not depend on
the number of workers."""

from __future__ import annotations

import os
import threading
import time

import pandas as pd
import pytest

from sim import ScenarioError
from sim.experiments import DaskBackend, LocalBackend, run_seed, seed_table, sweep


@pytest.fixture(scope="module")
def dask2():
    backend = DaskBackend(workers=2)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def local_table(tiny, small_grid):
    return sweep(tiny, small_grid, seeds=2, backend=LocalBackend(workers=1), store=False).table


def test_dask_cluster_is_local_with_two_single_threaded_workers(dask2):
    info = dask2.client.scheduler_info(n_workers=-1)
    assert dask2.client.scheduler.address.startswith("tcp://127.0.0.1:")
    assert len(info["workers"]) == 2
    assert all(w["nthreads"] == 1 and w["host"] == "127.0.0.1" for w in info["workers"].values())
    # the compiled rules were loaded by the plugin as each worker started
    assert all(dask2.client.run(lambda: __import__("sim.runner").runner._WARM).values())


def test_dask_gives_the_local_table_bit_for_bit(dask2, tiny, small_grid, local_table, tmp_path):
    result = sweep(tiny, small_grid, seeds=2, backend=dask2, store=tmp_path, id="d")
    assert result.complete and result.manifest["backend"]["backend"] == "dask"
    pd.testing.assert_frame_equal(result.table, local_table, check_exact=True)
    assert len(local_table) == 6 and local_table["cum_profit"].nunique() == 6


def test_seeds_and_results_do_not_depend_on_the_worker_count(tiny, small_grid, local_table):
    two = sweep(tiny, small_grid, seeds=2, backend=LocalBackend(workers=2, batch=1), store=False).table
    pd.testing.assert_frame_equal(two, local_table, check_exact=True)
    assert (local_table["seed"].to_numpy().reshape(3, 2) == seed_table(0, 3, 2)).all()


def test_common_random_numbers_share_replicate_seeds_across_points():
    crn = seed_table(7, 4, 3, common=True)
    assert (crn == crn[0]).all() and len(set(crn[0])) == 3
    ind = seed_table(7, 4, 3, common=False)
    assert len(set(ind.ravel())) == 12
    assert run_seed(7, 2, 1, common=False) == ind[2, 1] and run_seed(7, 2, 1) == crn[0, 1]
    assert run_seed(8, 0, 0) != run_seed(7, 0, 0)


def test_backend_run_returns_kpis_in_input_order(dask2, tiny):
    runs = [(tiny, 3), (tiny.with_overrides({"strategy.ad_posts_per_day": 4}), 3), (tiny, 5)]
    rows = dask2.run(runs)
    local = LocalBackend(workers=1).run(runs)
    assert rows == local and len(rows) == 3
    assert rows[0] != rows[1] and rows[0] != rows[2]


def test_a_worker_that_dies_mid_sweep_loses_no_run(dask2, tiny, local_table, tmp_path):
    from sim.experiments import grid

    design = grid({"strategy.ad_posts_per_day": [0.5, 1.0, 2.0, 3.0, 4.0, 6.0]})
    before = set(dask2.client.scheduler_info(n_workers=-1)["workers"])
    victim = sorted(before)[0]
    killed = []

    def progress(done: int, total: int) -> None:
        if done == 4 and not killed:  # mid-sweep: that worker ends itself a moment later
            killed.append(done)
            try:
                dask2.client.run(lambda: threading.Timer(0.2, os._exit, (1,)).start(), workers=[victim])
            except OSError:  # on a loaded machine the worker may be gone before it answers
                pass

    dask2.batch = 1  # one run per task, so the victim holds several tasks when it dies
    try:
        result = sweep(tiny, design, seeds=4, backend=dask2, store=tmp_path, id="kill", progress=progress)
    finally:
        dask2.batch = None
    assert killed and result.complete
    table = result.table
    assert len(table) == 24 and not table.duplicated(["point", "replicate"]).any()
    # the victim really died (its address is gone) and the cluster carried on
    deadline = time.monotonic() + 20
    while victim in dask2.client.scheduler_info(n_workers=-1)["workers"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert victim not in dask2.client.scheduler_info(n_workers=-1)["workers"]
    # same numbers as the local backend at the points both designs share
    shared = table[table["strategy.ad_posts_per_day"].isin([0.5, 2.0, 6.0])]
    mine = shared[shared["replicate"] < 2].drop(columns=["point"]).reset_index(drop=True)
    ref = local_table.drop(columns=["point"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, ref, check_exact=True)


def test_unreachable_scheduler_is_one_line_within_seconds():
    import socket

    with socket.socket() as s:  # a port on 127.0.0.1 nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with pytest.raises(ScenarioError) as err:
        DaskBackend(scheduler=f"tcp://127.0.0.1:{port}", timeout=1)
    assert time.monotonic() - t0 < 5
    assert "cannot reach it" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ScenarioError, match="not a scheduler address"):
        DaskBackend(scheduler="localhost")
