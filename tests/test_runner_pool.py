"""``sim.runner``'s process pool (``pool_map``, ``process_pool``, ``shared_pool``) and the KPIs of
the budget, on stand-in executors: how many items are in flight, which results arrive first,
who shuts a pool down and how. No worker process is started."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import numpy as np
import pandas as pd
import pytest
from siyu_harness import tiny

from sim import runner
from sim.results import RunResult


class Executor:
    """Runs each item at once (or leaves it for the test to finish) and records what it was asked."""

    def __init__(self, hold=()):
        self.hold = set(hold)     # submissions (by order) whose futures the test completes itself
        self.submitted, self.in_flight, self.shutdowns, self.futures = [], [], [], {}
        self.consumed = 0

    def submit(self, fn, item):
        fut = Future()
        self.submitted.append(item)
        self.futures[len(self.submitted) - 1] = fut   # by submission order
        self.in_flight.append(len(self.submitted) - self.consumed)
        if len(self.submitted) - 1 not in self.hold:
            fut.set_result(fn(item))
        return fut

    def shutdown(self, wait=True, cancel_futures=False):
        self.shutdowns.append({"wait": wait, "cancel_futures": cancel_futures})


def square(x):
    return x * x


def _drain(gen, ex):
    out = []
    for i, r in gen:
        out.append((i, r))
        ex.consumed += 1
    return out


@pytest.mark.parametrize(("workers", "window", "most"), [(2, None, 4), (3, None, 6), (2, 3, 3), (2, 1, 1), (4, 0, 1)])
def test_pool_map_keeps_at_most_the_window_in_flight_and_yields_every_index(workers, window, most):
    ex = Executor()
    out = _drain(runner.pool_map(square, iter(range(10)), workers, window=window, pool=ex), ex)
    assert sorted(out) == [(i, i * i) for i in range(10)]
    assert ex.submitted == list(range(10)) and max(ex.in_flight) == most
    assert ex.shutdowns == []   # a pool the caller passed stays up


def test_pool_map_runs_in_this_process_with_one_worker_and_in_the_pool_with_two():
    ex = Executor()
    assert list(runner.pool_map(square, [3, 4], 1, pool=ex)) == [(0, 9), (1, 16)] and ex.submitted == []
    assert sorted(runner.pool_map(square, [3, 4], 2, pool=ex)) == [(0, 9), (1, 16)] and ex.submitted == [3, 4]


def test_pool_map_makes_its_own_pool_of_the_workers_and_shuts_it_down_cancelling(monkeypatch):
    made = []

    def process_pool(workers):
        made.append(workers)
        made.append(Executor())
        return made[-1]

    monkeypatch.setattr(runner, "process_pool", process_pool)
    assert sorted(runner.pool_map(square, range(5), 3)) == [(i, i * i) for i in range(5)]
    assert made[0] == 3 and made[1].shutdowns == [{"wait": True, "cancel_futures": True}]


def test_pool_map_yields_each_result_as_it_finishes_not_after_the_slowest():
    ex = Executor(hold={0})
    late = threading.Timer(2.0, lambda: ex.futures[0].done() or ex.futures[0].set_result(0))
    late.start()
    try:
        gen = runner.pool_map(square, [0, 1, 2], 2, window=2, pool=ex)
        first = next(gen)
        slow_done_then = ex.futures[0].done()
        ex.futures[0].set_result(0)   # the slow item finishes only now
        rest = list(gen)
    finally:
        late.cancel()
    assert first == (1, 1) and not slow_done_then
    assert sorted([first, *rest]) == [(0, 0), (1, 1), (2, 4)]


def test_simulate_many_puts_every_seed_in_flight_at_once(monkeypatch):
    ex = Executor()
    monkeypatch.setattr(runner, "shared_pool", lambda workers: ex)
    monkeypatch.setattr(runner, "_run", lambda task: [RunResult(scenario=sc, seed=s, daily=pd.DataFrame(),
                                                                  users=pd.DataFrame(), summary={}) for sc, s in task])
    seen = []
    ens = runner.simulate_many(tiny(), [5, 6, 7, 8, 9, 10], workers=2,
                               progress=lambda i, n: seen.append(len(ex.submitted)))
    assert ens.seeds == [5, 6, 7, 8, 9, 10] and seen[0] == 6


def test_simulate_many_without_seeds_is_one_exact_error():
    with pytest.raises(ValueError) as err:
        runner.simulate_many(tiny(), [])
    assert str(err.value) == "simulate_many needs at least one seed"


def test_process_pool_forks_on_linux_spawns_elsewhere_with_the_workers_asked(monkeypatch):
    monkeypatch.setattr(runner, "warm_up", lambda: None)
    pool = runner.process_pool(3)
    assert pool._mp_context.get_start_method() == "fork" and pool._max_workers == 3
    pool.shutdown()
    monkeypatch.setattr(runner.sys, "platform", "darwin")
    pool = runner.process_pool(2)
    assert pool._mp_context.get_start_method() == "spawn" and pool._max_workers == 2
    pool.shutdown()


def test_a_broken_shared_pool_is_replaced_without_waiting_for_it(monkeypatch):
    made = []

    def process_pool(workers):
        made.append(Executor())
        return made[-1]

    monkeypatch.setattr(runner, "process_pool", process_pool)
    monkeypatch.setattr(runner, "_SHARED", {})
    first = runner.shared_pool(2)
    assert runner.shared_pool(2) is first and len(made) == 1
    first._broken = True
    second = runner.shared_pool(2)
    assert second is not first and len(made) == 2
    assert first.shutdowns == [{"wait": False, "cancel_futures": False}]
    assert runner.shared_pool(2) is second


# --- the budget's KPIs ---------------------------------------------------------------------------
def _daily(bound):
    n = len(bound)
    zeros = np.zeros(n)
    return pd.DataFrame({"day": np.arange(n), "profit": zeros, "cum_profit": zeros, "cost_total": zeros,
                         "first_purchases": zeros, "acq_cost": zeros, "margin": zeros, "gmv": zeros,
                         "mutes": zeros, "referral_joins": zeros, "budget_bound": np.asarray(bound, dtype=float)})


def test_budget_kpis_first_bound_day_and_whether_it_bound():
    users = pd.DataFrame({"stage": pd.Categorical(["public"]), "purchases": [0], "private_purchases": [0],
                          "join_day": [-2_000_000], "referrer": [-1], "spend": [0.0], "trust": [0.0]})
    k = runner.kpis(_daily([0, 0, 1, 0, 1]), users, 5)
    assert k["budget_bound_day"] == 2.0 and k["budget_binds"] == 1.0
    k = runner.kpis(_daily([0, 0, 0]), users, 3)
    assert k["budget_bound_day"] == float("inf") and k["budget_binds"] == 0.0


# --- simulate ------------------------------------------------------------------------------------
def test_the_default_seed_is_0_and_the_default_ensemble_five_seeds(monkeypatch):
    sc = tiny(horizon_days=2, population__n_users=100)
    assert runner.simulate(sc).seed == 0
    monkeypatch.setattr(runner, "_run", lambda task: [RunResult(scenario=sc, seed=s, daily=pd.DataFrame(),
                                                                  users=pd.DataFrame(), summary={}) for sc, s in task])
    assert runner.simulate_many(sc, workers=1).seeds == [0, 1, 2, 3, 4]


def test_progress_every_third_day_over_150_days():
    calls = []
    runner.simulate(tiny(horizon_days=150, population__n_users=100), 0, progress=lambda d, n: calls.append(d))
    assert calls == list(range(3, 151, 3))


def test_warm_up_releases_its_model(monkeypatch):
    from mesa import Agent

    monkeypatch.setattr(runner, "_WARM", False)
    before = len(Agent._ids)
    runner.warm_up()
    assert len(Agent._ids) == before


def test_kpis_are_undiscounted_unless_a_rate_is_given():
    users = pd.DataFrame({"stage": pd.Categorical(["public"]), "purchases": [0], "private_purchases": [0],
                          "join_day": [-2_000_000], "referrer": [-1], "spend": [0.0], "trust": [0.0]})
    d = _daily([0] * 400)
    d["profit"] = np.r_[-100.0, np.zeros(398), 100.0]
    d["cum_profit"] = d["profit"].cumsum()
    k = runner.kpis(d, users, 400)
    assert k["npv"] == 0.0 and k["discounted_payback_day"] == k["payback_day"] == 399.0
    assert runner.kpis(d, users, 400, discount_rate=0.1)["npv"] < 0


def test_ltv_with_referrals_without_order_counts_in_the_daily_table_counts_no_cost_of_goods():
    users = pd.DataFrame({"purchases": [2, 1, 0], "spend": [50.0, 30.0, 0.0], "referrer": [-1, 0, 0]})
    plain = pd.DataFrame({"gmv": [80.0], "margin": [20.0]})          # no "purchases" column
    assert runner.ltv_with_referrals(plain, users) == pytest.approx((50 + 30 + 30) / 2)
    none = plain.assign(purchases=[0.0])                               # zero orders booked
    assert runner.ltv_with_referrals(none, users) == pytest.approx((50 + 30 + 30) / 2)
    three = plain.assign(purchases=[3.0])                              # cost of goods 20 per order
    assert runner.ltv_with_referrals(three, users) == pytest.approx((10 + 10 + 10) / 2)


def test_simulate_runs_gives_each_run_back_its_callers_scenario():
    a, b = tiny(horizon_days=3, population__n_users=100), tiny(horizon_days=2, population__n_users=100)
    out = runner.simulate_runs([(a, 1), (b, 0)], workers=1)
    assert out[0].scenario is a and out[1].scenario is b and [r.seed for r in out] == [1, 0]
    assert [len(r.daily) for r in out] == [3, 2]


# --- set-ups shared within a batch (sim.shared_setup; the whole runs compared in tests/test_shared_setup.py) --
def _small_busy(**overrides):
    return tiny(**{"population__n_users": 300, "horizon_days": 12, "network__kind": "scale_free",
                   "public__ad_reach_per_day": 0.2, "referral__share_rate": 0.3, **overrides})


def test_a_shared_set_up_starts_the_same_run_and_its_traits_and_graph_are_shared(monkeypatch):
    from sim.model import SiyuModel
    from sim.shared_setup import SetUp

    a, b = _small_busy(), _small_busy(**{"strategy__ad_posts_per_day": 3})
    drawn = []
    real = SetUp.for_seed
    monkeypatch.setattr(SetUp, "for_seed", classmethod(lambda cls, sc, seed: drawn.append(seed) or real(sc, seed)))
    runs = list(runner.simulate_shared([(a, 2), (b, 2), (a, 3)]))
    assert drawn == [2]  # seed 2's set-up once for both strategies; seed 3's run draws its own
    for (sc, seed), run in zip([(a, 2), (b, 2), (a, 3)], runs, strict=True):
        alone = runner.simulate(sc, seed)
        assert run.seed == seed
        pd.testing.assert_frame_equal(run.daily, alone.daily, check_exact=True)
        pd.testing.assert_frame_equal(run.users, alone.users, check_exact=True)
    setup = real(b, 2)
    m, fresh = SiyuModel(a, seed=2, setup=setup), SiyuModel(a, seed=2)
    assert m.rng.bit_generator.state == fresh.rng.bit_generator.state and np.array_equal(m.draws, fresh.draws)
    assert m.pop.need is setup.traits.need and m.graph is setup.graph and m.pop.stage is not fresh.pop.stage
    assert np.array_equal(m._fresh, fresh._fresh) and not m.edge_used.any() and not m.pop.stage.any()
    with pytest.raises(ValueError, match="seed 2 cannot start a run of seed 3"):
        SiyuModel(a, seed=3, setup=setup)


def test_tasks_keep_each_set_ups_runs_together_unless_the_workers_would_idle():
    a, b = _small_busy(), _small_busy(**{"strategy__ad_posts_per_day": 3})
    c = _small_busy(**{"population__need_mean": 0.4})  # another population: another set-up
    items = [(sc, s) for sc in (a, b, a, b, a, b) for s in range(10)]
    tasks = runner._tasks(items, 2)  # 6 strategies × 10 seeds on 2 workers: one task per seed ...
    assert tasks[:8] == [[s + 10 * k for k in range(6)] for s in range(8)]
    assert tasks[8:] == [[s + 10 * k] for s in (8, 9) for k in range(6)]  # ... the last two split, run by run
    assert runner._tasks([(a, 0)] * 6, 2) == [[0], [1], [2], [3], [4], [5]]  # one set-up: 6 tasks of 1
    # 2 set-ups of 6 runs: each split in 3 tasks of 2 (6 tasks = 3 × workers), the last two run by run
    assert runner._tasks([(a, s) for _ in range(6) for s in (0, 1)], 2) == [[0, 2], [1, 3], [4, 6], [5, 7],
                                                                             [8], [10], [9], [11]]
    assert runner._tasks([(a, 0), (c, 0), (b, 1), (a, 1), (b, 0)], 1) == [[0, 4], [1], [2, 3]]  # here: one per set-up
    assert runner._tasks([(a, 0), (b, 0), (a, 1)], 4) == [[0], [1], [2]]  # 12 wanted: each run its own


# --- the set-ups a process keeps for later batches (runner.SetUpCache) ------------------------------
def _stub_setups(monkeypatch, n=10, nnz=7):
    """SetUp.for_seed drawing nothing: traits of ``n`` users and a graph of ``nnz`` edges; the seeds drawn."""
    import scipy.sparse as sp

    from sim.population import Traits
    from sim.shared_setup import SetUp

    drawn = []

    def make(cls, sc, seed):
        drawn.append(seed)
        graph = sp.csr_matrix((np.ones(nnz), (np.arange(nnz) % n, np.arange(nnz) // n)), shape=(n, n))
        return SetUp(int(seed), Traits(*(np.zeros(n, dtype=np.float32) for _ in range(6))), graph, {})

    monkeypatch.setattr(SetUp, "for_seed", classmethod(make))
    return drawn


def test_a_set_ups_size_is_its_traits_and_graph_arrays():
    import scipy.sparse as sp

    from sim.population import Traits
    from sim.shared_setup import SetUp

    g = sp.csr_matrix((np.ones(5), (np.arange(5), np.arange(5))), shape=(8, 8))
    traits = Traits(*(np.zeros(8, dtype=np.float32) for _ in range(6)))
    assert SetUp(0, traits, g, {}).nbytes == 6 * 8 * 4 + g.data.nbytes + g.indices.nbytes + g.indptr.nbytes
    assert g.data.nbytes != g.indices.nbytes != g.indptr.nbytes
    assert SetUp(0, traits, None, {}).nbytes == 6 * 8 * 4


def test_the_cache_keeps_recurring_set_ups_least_recently_used_out_within_its_bytes(monkeypatch):
    drawn = _stub_setups(monkeypatch)
    sc = tiny()
    size = runner.SetUp.for_seed(sc, 0).nbytes
    drawn.clear()
    cache = runner.SetUpCache(limit=2 * size, seen=10)
    assert cache.limit == 2 * size and cache._bytes == 0
    assert cache.get(sc, 1, ("k", 1), again=False) is None and drawn == []  # met once: the run draws its own
    assert cache.get(sc, 1, ("k", 1), again=False).seed == 1 and drawn == [1]  # met again: drawn and kept
    assert cache.get(sc, 1, ("k", 1), again=False).seed == 1 and drawn == [1]  # kept
    cache.get(sc, 2, ("k", 2), again=True)  # recurs in its batch: drawn and kept at once
    assert drawn == [1, 2] and list(cache._setups) == [("k", 1), ("k", 2)] and cache._bytes == 2 * size  # exactly full
    assert cache.get(sc, 1, ("k", 1), again=False).seed == 1  # the most recently used now
    assert list(cache._setups) == [("k", 2), ("k", 1)]
    cache.get(sc, 3, ("k", 3), again=True)  # past the limit: the least recently used (2) out
    assert list(cache._setups) == [("k", 1), ("k", 3)] and cache._bytes == 2 * size
    assert all(cache._setups[k][0].seed == k[1] for k in cache._setups)
    cache.clear()
    assert not cache._setups and not cache._seen and cache._bytes == 0
    small = runner.SetUpCache(limit=size - 1)
    assert small.get(sc, 4, ("k", 4), again=True).seed == 4 and not small._setups and small._bytes == 0  # too big
    exact = runner.SetUpCache(limit=size)
    exact.get(sc, 5, ("k", 5), again=True)
    assert list(exact._setups) == [("k", 5)]


def test_the_cache_remembers_the_latest_keys_met(monkeypatch):
    drawn = _stub_setups(monkeypatch)
    sc = tiny()
    cache = runner.SetUpCache(seen=2)
    for key in ("a", "b", "a"):  # a again: drawn and kept; a is the latest key met
        cache.get(sc, 0, (key,), again=False)
    assert drawn == [0] and list(cache._seen) == [("b",), ("a",)]
    cache.get(sc, 0, ("c",), again=False)  # three keys: the oldest, b, forgotten
    assert list(cache._seen) == [("a",), ("c",)]
    assert cache.get(sc, 0, ("b",), again=False) is None and drawn == [0]  # b is new again


def test_a_batch_gives_the_first_run_of_a_recurring_set_up_its_set_up(monkeypatch):
    _stub_setups(monkeypatch)
    given = []
    monkeypatch.setattr(runner, "simulate", lambda sc, seed, setup=None: given.append((seed, setup is not None)))
    a, b = tiny(), tiny(strategy__ad_posts_per_day=3)
    list(runner.simulate_shared([(a, 2), (b, 2), (a, 3)]))
    assert given == [(2, True), (2, True), (3, False)]
