"""``simulate`` and ``simulate_many``: what a run returns, progress, seeds and the worker dispatch."""

from __future__ import annotations

from concurrent.futures import Future

import numpy as np
import pandas as pd
import pytest
from siyu_harness import tiny

import sim
from sim import runner
from sim.results import RunResult


def test_simulate_returns_the_run_its_kpis_and_its_trace():
    sc = tiny(horizon_days=7, public__ad_reach_per_day=0.1, strategy__hooks__gift__enabled=True,
              strategy__hooks__gift__take_up=0.5)
    calls = []
    r = runner.simulate(sc, seed=4, trace_users=iter([3, 1]), progress=lambda d, n: calls.append((d, n)))
    assert r.scenario is sc and r.seed == 4 and len(r.daily) == 7 and len(r.users) == 400
    pd.testing.assert_series_equal(pd.Series(r.summary), pd.Series(runner.kpis(
        r.daily, r.users, 7, discount_rate=sc.finance.discount_rate)))
    assert r.meta == {"stages": ["public", "follower", "customer", "repeat", "member", "partner", "dormant", "churned"]}
    assert sorted(set(r.trace["user"])) == [1, 3]
    assert calls == [(d, 7) for d in range(1, 8)]
    assert runner.simulate(sc, seed=4).trace is None
    pd.testing.assert_frame_equal(runner.simulate(sc, seed=4).daily, r.daily)


def test_progress_reports_about_fifty_times_and_the_end():
    sc = tiny(horizon_days=120, population__n_users=100)
    calls = []
    runner.simulate(sc, 0, progress=lambda d, n: calls.append(d))
    assert calls == [*range(2, 121, 2)] and len(calls) == 60
    calls.clear()
    odd = sc.with_overrides({"horizon_days": 101})
    reported = runner.simulate(odd, 0, progress=lambda d, n: calls.append(d))
    assert calls[:2] == [2, 4] and calls[-2:] == [100, 101]
    # the days run in pieces between the reports are the run's days, no more
    assert len(reported.daily) == 101
    pd.testing.assert_frame_equal(reported.daily, runner.simulate(odd, 0).daily)


class _Pool:
    """A stand-in process pool that runs the work in this process and records its size."""

    made: list = []

    def submit(self, fn, args):
        fut = Future()
        fut.set_result(fn(args))
        return fut

    def shutdown(self, wait=True, cancel_futures=False):
        pass


def _fake(monkeypatch, cpus=8):
    seen = []

    def simulate(scenario, seed=0, setup=None):
        seen.append(seed)
        return RunResult(scenario=scenario, seed=seed, daily=pd.DataFrame({"x": [seed]}), users=pd.DataFrame(),
                         summary={"cum_profit": float(seed)})

    def process_pool(workers):
        runner.warm_up()
        _Pool.made.append((workers, "fork"))
        return _Pool()

    _Pool.made = []
    monkeypatch.setattr(runner, "simulate", simulate)
    monkeypatch.setattr(runner, "process_pool", process_pool)
    monkeypatch.setattr(runner, "warm_up", lambda: seen.append("warm"))
    monkeypatch.setattr(runner.os, "cpu_count", lambda: cpus)
    return seen


def test_small_ensembles_run_in_this_process(monkeypatch):
    seen = _fake(monkeypatch)
    sc = tiny(population__n_users=1000, horizon_days=400)  # 1,000 × 400 × 4 = 1.6 M user-days
    calls = []
    ens = runner.simulate_many(sc, [7, 3, 5, 1], progress=lambda i, n: calls.append((i, n)))
    assert ens.seeds == [7, 3, 5, 1] and seen == [7, 3, 5, 1] and _Pool.made == []
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert ens.scenario is sc
    assert runner.simulate_many(sc, 3).seeds == [0, 1, 2]
    with pytest.raises(ValueError, match="at least one seed"):
        runner.simulate_many(sc, [])


def test_large_ensembles_fork_workers_after_warming_up(monkeypatch):
    seen = _fake(monkeypatch, cpus=3)
    sc = tiny(population__n_users=1000, horizon_days=500)  # 1,000 × 500 × 4 = 2 M user-days: the threshold
    calls = []
    ens = runner.simulate_many(sc, [9, 8, 7, 6], progress=lambda i, n: calls.append((i, n)))
    assert _Pool.made == [(3, "fork")] and seen[0] == "warm"
    assert ens.seeds == [9, 8, 7, 6] and [r.summary["cum_profit"] for r in ens.runs] == [9.0, 8.0, 7.0, 6.0]
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    _Pool.made = []
    runner.simulate_many(sc, [1, 2], workers=2)   # fewer seeds than cores; an explicit count
    assert _Pool.made == [(2, "fork")]
    _Pool.made = []
    runner.simulate_many(tiny(population__n_users=1000, horizon_days=500), 8)
    assert _Pool.made == [(3, "fork")]
    _Pool.made = []
    runner.simulate_many(sc, [1, 2, 3], workers=1)
    assert _Pool.made == []
    monkeypatch.setattr(runner.os, "cpu_count", lambda: None)
    runner.simulate_many(sc, [1, 2, 3, 4, 5])
    assert _Pool.made == []   # unknown core count: one process


@pytest.fixture
def no_pool_left():
    """Shut down the shared pool a test forked: its idle workers would outlive a process that
    ends with ``os._exit`` (as mutmut's children do) and keep its output pipes open."""
    yield
    pool = runner._SHARED.pop("pool", None)
    runner._SHARED.pop("key", None)
    if pool is not None:
        pool.shutdown(wait=True)


def test_ensemble_results_do_not_depend_on_the_workers(no_pool_left):
    sc = tiny(population__n_users=200, horizon_days=5, public__ad_reach_per_day=0.2,
              strategy__hooks__gift__enabled=True, strategy__hooks__gift__take_up=0.5)
    one = sim.simulate_many(sc, [2, 0], workers=1)
    two = sim.simulate_many(sc, [2, 0], workers=2)
    assert one.seeds == two.seeds == [2, 0]
    for a, b in zip(one.runs, two.runs, strict=True):
        pd.testing.assert_frame_equal(a.daily, b.daily)
    assert not np.array_equal(one.runs[0].daily["new_joins"], one.runs[1].daily["new_joins"])


def test_warm_up_runs_once(monkeypatch):
    monkeypatch.setattr(runner, "_WARM", False)
    runner.warm_up()
    assert runner._WARM is True
    monkeypatch.setattr(runner, "SiyuModel", None)  # a second call does not build a model
    runner.warm_up()


def test_a_finished_run_releases_its_model_from_mesa():
    from mesa import Agent

    before = len(Agent._ids)
    runner.simulate(tiny(horizon_days=2, population__n_users=100), 0)
    assert len(Agent._ids) == before


def test_ensembles_reuse_one_pool_until_the_worker_count_changes(monkeypatch):
    _fake(monkeypatch, cpus=2)
    sc = tiny(population__n_users=1000, horizon_days=500)
    for seeds in ([1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]):  # 2 M user-days each: workers
        assert runner.simulate_many(sc, seeds).seeds == seeds
    assert _Pool.made == [(2, "fork")]  # one pool for the three ensembles (forking costs as much as a run)
    runner.simulate_many(sc, [1, 2, 3], workers=3)
    runner.simulate_many(sc, [1, 2], workers=2)
    assert _Pool.made == [(2, "fork"), (3, "fork"), (2, "fork")]
