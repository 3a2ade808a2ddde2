"""Building a run's results: the daily table and trace from the model's kept rows, the users
table built on first read (``sim.results.UsersTable``), and the batches of runs
(``sim.runner.simulate_runs``, ``dashboard.runs.ensembles``)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from siyu_harness import tiny

import sim
from dashboard import runs
from sim import runner
from sim.model import SiyuModel
from sim.population import CAUSE_NAMES, Event, Stage
from sim.results import DAILY_COLUMNS, KPI_USER_COLUMNS, RunResult, UsersTable


def _busy(**overrides):
    """A small, busy scenario: users join, buy, share, mute and leave."""
    return sim.load_scenario("spam_blast").with_overrides({"population.n_users": 400, "horizon_days": 40,
                                                          "referral.share_rate": 0.3, **overrides})


def _stepped(scenario, seed=3, trace_users=None):
    model = SiyuModel(scenario, seed=seed, trace_users=trace_users)
    for _ in range(scenario.horizon_days):
        model.step()
    return model


def test_daily_table_is_the_table_of_the_rows_with_their_types():
    model = _stepped(_busy())
    daily = model.daily()
    rows = model.rows
    assert len(rows) == len(daily) == 40 and [r["day"] for r in rows] == list(range(40))
    # the table the rows make, column by column (as pandas infers it from one dict per day)
    expected = pd.DataFrame(rows)[[*DAILY_COLUMNS, "acq_cost"]]
    pd.testing.assert_frame_equal(daily, expected, check_exact=True)
    ints = {"day", *[c for c in daily if c in ("public", "followers", "customers", "repeat", "members",
                                               "partners", "dormant", "churned", "private_pool",
                                               "reachable", "phase")]}
    assert {c for c in daily if daily[c].dtype == np.int64} == ints
    assert all(daily[c].dtype == np.float64 for c in daily if c not in ints)
    assert daily["new_joins"].sum() > 0 and daily["leaves"].sum() > 0 and daily["purchases"].sum() > 0
    assert (daily["cum_profit"].to_numpy() == np.cumsum(daily["profit"].to_numpy())).all()


def test_trace_has_one_row_per_traced_user_and_day_spelled_out():
    ids = [1499, *range(0, 1498, 2)]  # not in order
    model = _stepped(_busy(**{"population.n_users": 1500, "horizon_days": 90}), trace_users=ids)
    tr = model.trace()
    k = len(ids)
    assert len(tr) == 90 * k and list(tr["user"][:k]) == sorted(ids) and list(tr["day"][:k]) == [0] * k
    assert list(tr["day"][-k:]) == [89] * k and tr["day"].dtype == np.int64
    last = tr[tr["day"] == 89].set_index("user")
    pop = model.pop
    for u in ids:
        assert last.loc[u, "stage"] == Stage(pop.stage[u]).name.lower()
        assert last.loc[u, "trust"] == pop.trust[u] and last.loc[u, "purchases"] == pop.purchases[u]
    # every event set appears spelled as its bit names joined by "|"; today's cause of a leave
    order = [e.name.lower() for e in Event]
    for text in set(tr["events"]) - {""}:
        parts = text.split("|")
        assert parts == sorted(parts, key=order.index)
    assert "" in set(tr["events"]) and tr["events"].str.contains("|", regex=False).any()
    left = tr[tr["events"].str.contains("left")]
    assert len(left) > 0 and (left["cause"].astype(str) != "none").all()
    assert list(tr["cause"].cat.categories) == list(CAUSE_NAMES)
    assert not tr[~tr["events"].str.contains("left|muted")]["cause"].astype(str).ne("none").any()


def test_trace_rows_are_each_days_state_of_the_traced_users():
    ids = [0, 9, 42]
    sc = _busy()
    model = SiyuModel(sc, seed=1, trace_users=ids)
    seen = []
    for _ in range(12):
        model.step()
        seen.append((model.pop.stage[ids].copy(), model.pop.fatigue[ids].copy(), model.pop.events[ids].copy()))
    tr = model.trace()
    for day, (stage, fatigue, events) in enumerate(seen):
        rows = tr[tr["day"] == day]
        assert list(rows["stage"].astype(str)) == [Stage(s).name.lower() for s in stage]
        assert (rows["fatigue"].to_numpy() == fatigue).all()
        assert list(rows["events"]) == ["|".join(e.name.lower() for e in Event if v & e) for v in events]


def test_users_table_is_built_on_first_read_and_equals_the_population_table():
    model = _stepped(_busy())
    lazy = UsersTable(model.pop)
    full = model.pop.table()

    def same_as_table(cols):
        assert list(cols) == list(KPI_USER_COLUMNS)
        assert (cols["stage"] == full["stage"].cat.codes.to_numpy()).all()
        for k in KPI_USER_COLUMNS[1:]:
            assert cols[k].dtype == full[k].dtype and (cols[k] == full[k].to_numpy()).all(), k

    same_as_table(lazy.kpi_columns())
    assert lazy._frame is None  # the KPIs' columns did not build the table
    pd.testing.assert_frame_equal(lazy.frame(), full, check_exact=True)
    assert lazy.frame() is lazy.frame() and lazy._state is None  # built once; the arrays let go
    same_as_table(lazy.kpi_columns())
    # pickled: the table alone once built
    again = pickle.loads(pickle.dumps(lazy))
    pd.testing.assert_frame_equal(again.frame(), full, check_exact=True)


def test_a_run_crosses_processes_as_arrays_and_reads_the_same_users_table():
    sc = _busy()
    run = sim.simulate(sc, 2)
    assert isinstance(run.__dict__["_users"], UsersTable)
    back = pickle.loads(pickle.dumps(run, protocol=pickle.HIGHEST_PROTOCOL))
    held = back.__dict__["_users"]
    assert isinstance(held, UsersTable) and held._frame is None and "stage" in held._state
    pd.testing.assert_frame_equal(back.users, run.users, check_exact=True)
    pd.testing.assert_frame_equal(back.users, _stepped(sc, seed=2).pop.table(), check_exact=True)
    assert back.summary == pytest.approx(runner.kpis(run.daily, run.users, 40,
                                                     discount_rate=sc.finance.discount_rate), nan_ok=True)
    plain = RunResult(scenario=sc, seed=0, daily=run.daily, users=run.users, summary={})
    assert plain.users is run.users  # a table given as a table is kept as it is
    plain.users = pd.DataFrame({"user": [1]})
    assert list(plain.users["user"]) == [1]


def test_simulate_runs_keeps_the_order_and_the_callers_scenarios(monkeypatch):
    a, b = _busy(), _busy(**{"strategy.ad_posts_per_day": 3})
    calls = []
    out = runner.simulate_runs([(a, 1), (b, 0), (a, 0)], progress=lambda i, n: calls.append((i, n)), workers=1)
    assert [(r.scenario, r.seed) for r in out] == [(a, 1), (b, 0), (a, 0)]
    assert out[0].scenario is a and out[1].scenario is b and calls == [(1, 3), (2, 3), (3, 3)]
    pd.testing.assert_frame_equal(out[2].daily, sim.simulate(a, 0).daily)
    # the default dispatch: one process under 2 M user-days in all, else every core
    made = []
    monkeypatch.setattr(runner, "shared_pool", lambda w: made.append(w) or None)
    monkeypatch.setattr(runner, "pool_map", lambda fn, tasks, w, window, pool: iter(
        (i, [RunResult(scenario=None, seed=s, daily=pd.DataFrame(), users=pd.DataFrame(), summary={}) for _, s in task])
        for i, task in enumerate(tasks)))
    monkeypatch.setattr(runner.os, "cpu_count", lambda: 4)
    big = tiny(population__n_users=1000, horizon_days=500)  # 0.5 M user-days a run
    assert [r.seed for r in runner.simulate_runs([(big, s) for s in (4, 5, 6)])] == [4, 5, 6] and made == []
    runner.simulate_runs([(big, s) for s in range(4)])
    runner.simulate_runs([(big, 0), (big, 1)], workers=2)
    assert made == [4, 2]


def test_the_dashboard_runs_every_missing_seed_of_every_scenario_as_one_batch(monkeypatch):
    a = runs.sized(sim.load_scenario("content_led"), 300, 30)
    b = a.with_overrides({"strategy.ad_posts_per_day": 3})
    cache = runs.RunCache()
    runs.ensembles({"a": a}, [1], cache=cache)
    batches = []
    real = runner.simulate_runs

    def record(items, progress=None, workers=None):
        batches.append(([(sc.key(), s) for sc, s in items], workers))
        return real(items, progress, workers)

    monkeypatch.setattr(runner, "simulate_runs", record)
    calls = []
    ens = runs.ensembles({"a": a, "b": b, "again": a}, [0, 1, 2], cache=cache,
                         progress=lambda d, n: calls.append((d, n)))
    assert batches == [([(a.key(), 0), (a.key(), 2), (b.key(), 0), (b.key(), 1), (b.key(), 2)], 1)]
    assert calls[0] == (0, 5) and calls[-1] == (5, 5) and cache.simulated == 6
    assert ens["a"].seeds == ens["b"].seeds == [0, 1, 2] and ens["again"].runs[0] is ens["a"].runs[0]
    assert all(r.scenario is b for r in ens["b"].runs)
    # one missing run: simulated here, progress by days
    calls.clear()
    runs.ensembles({"b": b}, [3], cache=cache, progress=lambda d, n: calls.append((d, n)))
    assert len(batches) == 1 and calls[0] == (0, 1) and calls[-1] == (1.0, 1) and len(calls) > 10
    assert runs.ensembles({"a": a, "b": b}, [0, 1], cache=cache)["b"].seeds == [0, 1] and len(batches) == 1
