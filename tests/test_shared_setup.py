"""Set-ups shared across runs (``sim.shared_setup``, ``sim.runner.simulate_shared``, ``simulate_runs``'s
tasks): a run started from a set-up drawn before is the run that draws its own, field by field."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from test_runner_pool import Executor

import sim
from sim import runner
from sim.model import SiyuModel
from sim.results import RunResult
from sim.shared_setup import SetUp, setup_key

#: every per-user column of the population (traits and state)
_COLUMNS = ("need", "deal", "price_sens", "tolerance", "cycle", "sociability", "stage", "rung", "trust", "fatigue",
            "source", "join_day", "leave_day", "leave_cause", "mute_cause", "last_purchase", "last_reward",
            "purchases", "private_purchases", "spend", "referrer", "referrals", "group_buys", "group", "messages",
            "events")


def _small(name, **overrides):
    return sim.load_scenario(name).with_overrides({"population.n_users": 1500, "horizon_days": 60, **overrides})


def _stepped(scenario, seed, setup=None):
    model = SiyuModel(scenario, seed=seed, setup=setup)
    for _ in range(scenario.horizon_days):
        model.step()
    return model


def _assert_same_run(a: SiyuModel, b: SiyuModel) -> None:
    """Two finished models agree on every state a run has: users, network use, groups, generator, results."""
    for name in _COLUMNS:
        x, y = getattr(a.pop, name), getattr(b.pop, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert list(a.pop.joined) == list(b.pop.joined) and a.pop.n_joined == b.pop.n_joined
    if a.graph is None:
        assert b.graph is None and a.edge_used is None and b.edge_used is None and b._fresh is None
    else:
        assert np.array_equal(a.graph.indptr, b.graph.indptr) and np.array_equal(a.graph.indices, b.graph.indices)
        assert np.array_equal(a.edge_used, b.edge_used) and np.array_equal(a._fresh, b._fresh)
    assert np.array_equal(a.groups.activity, b.groups.activity) and np.array_equal(a.draws, b.draws)
    assert a.rng.bit_generator.state == b.rng.bit_generator.state
    pd.testing.assert_frame_equal(a.daily(), b.daily(), check_exact=True)


def _digest(setup: SetUp) -> str:
    h = hashlib.sha256()
    for arr in (*setup.traits, *((setup.graph.indptr, setup.graph.indices, setup.graph.data) if setup.graph is not None else ())):
        h.update(arr.tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("name, overrides", [
    ("hybrid_referral", {}),                                   # scale-free network, referral cascades, campaigns
    ("content_led", {"network.kind": "small_world"}),
    ("spam_blast", {"network.kind": "random"}),
    ("hybrid_referral", {"network.kind": "well_mixed", "strategy.seeding": "random"}),  # no graph
])
def test_a_run_from_a_shared_set_up_is_the_run_that_draws_its_own(name, overrides):
    sc = _small(name, **overrides)
    setup = SetUp.for_seed(sc, 7)
    before = _digest(setup)
    fresh = _stepped(sc, 7)
    shared = _stepped(sc, 7, setup)
    _assert_same_run(fresh, shared)
    assert shared.pop.need is setup.traits.need and shared.graph is setup.graph  # shared, not copied
    assert _digest(setup) == before  # a run leaves the shared traits and graph as they were
    _assert_same_run(fresh, _stepped(sc, 7, setup))  # so the next run from it is the same again


def test_scenarios_differing_only_in_strategy_share_one_set_up():
    a = _small("content_led")
    b = _small("rebate_led")  # another strategy, the same population, product cycle and network
    assert setup_key(a, 3) == setup_key(b, 3)
    setup = SetUp.for_seed(b, 3)
    _assert_same_run(_stepped(a, 3), _stepped(a, 3, setup))
    assert setup_key(a, 3) != setup_key(a, 4)
    assert setup_key(a, 3) != setup_key(a.with_overrides({"population.need_mean": 0.4}), 3)
    assert setup_key(a, 3) != setup_key(a.with_overrides({"network.mean_degree": 8.0}), 3)
    assert setup_key(a, 3) != setup_key(a.with_overrides({"product.purchase_cycle_days": 20.0}), 3)
    assert setup_key(a, 3) != setup_key(a.with_overrides({"population.n_users": 1600}), 3)


def test_simulate_shared_draws_each_set_up_once_and_gives_the_runs_alone(monkeypatch):
    a, b = _small("content_led"), _small("rebate_led")
    c = _small("content_led", **{"population.need_mean": 0.4})  # a set-up of its own
    drawn = []
    real = SetUp.for_seed
    monkeypatch.setattr(SetUp, "for_seed", classmethod(lambda cls, sc, seed: drawn.append(seed) or real(sc, seed)))
    items = [(a, 0), (b, 0), (c, 0), (a, 1), (b, 1)]
    shared = list(runner.simulate_shared(items))
    assert drawn == [0, 1]  # seed 0 of a and b once, seed 1 once; c's lone run draws its own as it starts
    for (sc, seed), run in zip(items, shared, strict=True):
        alone = sim.simulate(sc, seed)
        assert run.seed == seed and run.summary == pytest.approx(alone.summary, nan_ok=True, rel=0, abs=0)
        pd.testing.assert_frame_equal(run.daily, alone.daily, check_exact=True)
        pd.testing.assert_frame_equal(run.users, alone.users, check_exact=True)


def test_simulate_runs_sends_each_set_ups_runs_as_one_task_and_gives_them_back_in_order(monkeypatch):
    ex = Executor()
    monkeypatch.setattr(runner, "shared_pool", lambda workers: ex)
    made = []

    def shared(task):  # one call per task, in the worker
        made.append(len(task))
        return [RunResult(scenario=sc, seed=s, daily=pd.DataFrame({"x": [i]}), users=pd.DataFrame(), summary={})
                for i, (sc, s) in enumerate(task)]

    monkeypatch.setattr(runner, "simulate_shared", shared)
    a, b = _small("content_led"), _small("rebate_led")
    items = [(sc, s) for sc in (a, b, a) for s in range(6)]
    calls = []
    out = runner.simulate_runs(items, workers=2, progress=lambda d, n: calls.append((d, n)))
    assert [len(t) for t in ex.submitted] == [3] * 4 + [1] * 6 and made == [3] * 4 + [1] * 6
    assert [[s for _, s in t] for t in ex.submitted] == [[s] * 3 for s in range(4)] + [[4]] * 3 + [[5]] * 3
    assert [(r.scenario, r.seed) for r in out] == items and all(r.scenario is sc for r, (sc, _) in zip(out, items, strict=True))
    # each task's runs back in their places (x: the run's place in its task)
    assert [int(r.daily["x"][0]) for r in out] == [k if s < 4 else 0 for k in range(3) for s in range(6)]
    assert calls == [(d, 18) for d in range(1, 19)]


def test_an_experiment_batch_shares_set_ups_and_gives_each_run_its_own_kpis(monkeypatch):
    from sim.experiments.backends import run_batch

    a, b = _small("content_led", horizon_days=20), _small("rebate_led", horizon_days=20)
    drawn = []
    real = SetUp.for_seed
    monkeypatch.setattr(SetUp, "for_seed", classmethod(lambda cls, sc, seed: drawn.append(seed) or real(sc, seed)))
    out = run_batch([(4, a, 0), (5, b, 0), (6, a, 1)])
    assert drawn == [0] and [(i, s) for i, s, *_ in out] == [(4, 0), (5, 0), (6, 1)]
    for (_, sc, seed), (_, _, summary, seconds, daily) in zip([(4, a, 0), (5, b, 0), (6, a, 1)], out, strict=True):
        assert summary == pytest.approx(sim.simulate(sc, seed).summary, nan_ok=True, rel=0, abs=0)
        assert seconds > 0 and daily is None


def test_a_strategy_sweep_runs_replicate_by_replicate_so_its_batches_share_set_ups(monkeypatch):
    import importlib

    from sim.experiments import LocalBackend, sweep

    sweep_module = importlib.import_module("sim.experiments.sweep")  # the module (the package exports the function)

    order = list(sweep_module._run_order(150, 3))  # three blocks of up to RUN_BLOCK points
    assert sorted(order) == [(p, r) for p in range(150) for r in range(3)]
    block = sweep_module.RUN_BLOCK
    assert order[: block + 1] == [(p, 0) for p in range(block)] + [(0, 1)]
    assert order[3 * block] == (block, 0)

    base = _small("content_led", horizon_days=10)
    points = [{"strategy.ad_posts_per_day": v} for v in (0.0, 0.5, 1.0, 2.0)]
    drawn = []
    real = SetUp.for_seed
    monkeypatch.setattr(SetUp, "for_seed", classmethod(lambda cls, sc, seed: drawn.append(seed) or real(sc, seed)))
    with LocalBackend(workers=1, batch=4) as backend:  # point by point, each batch would draw both seeds
        result = sweep(base, points, seeds=2, backend=backend, store=False)
    seeds = sorted(set(result.table["seed"]))
    assert len(seeds) == 2 and sorted(drawn) == seeds  # one set-up per replicate, shared by the four points
    for row in result.table.itertuples():
        alone = sim.simulate(base.with_overrides(points[row.point]), int(row.seed))
        assert row.cum_profit == alone.summary["cum_profit"]


def test_a_process_keeps_recurring_set_ups_for_later_batches_within_its_byte_limit(monkeypatch):
    a, b = _small("content_led", horizon_days=5), _small("rebate_led", horizon_days=5)
    drawn = []
    real = SetUp.for_seed
    monkeypatch.setattr(SetUp, "for_seed", classmethod(lambda cls, sc, seed: drawn.append(seed) or real(sc, seed)))
    first = list(runner.simulate_shared([(a, 0)]))  # met once: the run draws its own, nothing kept
    assert drawn == []
    second = list(runner.simulate_shared([(b, 0)]))  # met again in a later batch: drawn and kept
    assert drawn == [0]
    third = list(runner.simulate_shared([(a, 0), (b, 1)]))  # kept: not drawn again; seed 1 is new
    assert drawn == [0]
    for run, (sc, seed) in zip([*first, *second, *third], [(a, 0), (b, 0), (a, 0), (b, 1)], strict=True):
        pd.testing.assert_frame_equal(run.daily, sim.simulate(sc, seed).daily, check_exact=True)

    one = SetUp.for_seed(a, 5).nbytes
    cache = runner.SetUpCache(limit=2 * one + one // 2, seen=2)
    for seed in (5, 6, 7):  # each recurs within its batch: drawn and kept, the oldest out past the limit
        assert cache.get(a, seed, setup_key(a, seed), again=True) is not None
    assert [k[0] for k in cache._setups] == [6, 7] and cache._bytes == sum(n for _, n in cache._setups.values())
    drawn.clear()
    assert cache.get(b, 6, setup_key(b, 6), again=False).seed == 6 and drawn == []  # kept: no draw
    assert [k[0] for k in cache._setups] == [7, 6]  # 6 is now the most recently used
    assert cache.get(a, 8, setup_key(a, 8), again=False) is None and drawn == []  # new and alone: not kept
    assert len(cache._seen) == 2  # at most `seen` keys remembered
    tiny = runner.SetUpCache(limit=one - 1)
    assert tiny.get(a, 5, setup_key(a, 5), again=True) is not None and not tiny._setups  # too big to keep
