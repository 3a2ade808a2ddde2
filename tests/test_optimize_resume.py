"""An interrupted optimisation resumes: the same problem under its id reads back the stored runs.

The seeded sampler told the same trials in the same order asks the same plans again, so a
search stopped half-way and run again gives exactly the uninterrupted search's trials and plan,
and runs only what was not stored. A complete id, or a different problem under a partial one, is
refused in one line.
"""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim import ScenarioError
from sim.experiments import LocalBackend, Store
from sim.planning import optimize as op

ADS = "strategy.ad_posts_per_day"
KW = dict(constraints=["cost_total<=2000"], trials=8, seeds=2, fresh_seeds=2, compare=[], batch=2)


class Counting:
    """A backend that counts the runs it is given (delegating to a local pool)."""

    def __init__(self, inner):
        self.inner, self.runs = inner, 0
        self.workers = inner.workers

    def describe(self):  # noqa: D102
        return self.inner.describe()

    def imap(self, runs, daily=False, n_runs=None):  # noqa: D102
        runs = list(runs)
        self.runs += len(runs)
        return self.inner.imap(runs, daily=daily, n_runs=n_runs)


class Stop(Exception):
    pass


@pytest.fixture(scope="module")
def tiny() -> sim.Scenario:
    return sim.load_scenario("spam_blast").with_overrides({"population.n_users": 800, "horizon_days": 40})


def test_a_stopped_search_resumes_to_the_uninterrupted_result(tiny, tmp_path):
    store = Store(tmp_path)
    with LocalBackend(workers=2) as local:
        whole = op.optimize(tiny, {ADS: (0, 15)}, "final_private_pool", backend=local, store=store, id="whole", **KW)

        def stop_half_way(stage, done, total):
            if stage == "search" and done >= 4:
                raise Stop

        with pytest.raises(Stop):
            op.optimize(tiny, {ADS: (0, 15)}, "final_private_pool", backend=local, store=store, id="cut",
                        progress=stop_half_way, **KW)
        assert store.status("cut") == "partial" and len(store.table("cut")) == 4 * 2
        counting = Counting(local)
        again = op.optimize(tiny, {ADS: (0, 15)}, "final_private_pool", backend=counting, store=store, id="cut", **KW)
    assert counting.runs == (8 - 4) * 2 + 2 * 2  # only the trials not stored, then the re-evaluation
    pd.testing.assert_frame_equal(again.trials, whole.trials)
    assert again.best == whole.best and again.plan() == whole.plan()
    pd.testing.assert_frame_equal(again.reevaluation, whole.reevaluation)
    assert store.status("cut") == "complete" and len(store.table("cut")) == len(store.table("whole"))
    assert op.load_optimization("cut", store).plan() == whole.plan()
    with pytest.raises(ScenarioError, match="already exists"):  # a complete search is not run again
        op.optimize(tiny, {ADS: (0, 15)}, "final_private_pool", store=store, id="cut", **KW)


def test_a_different_problem_under_a_partial_id_is_refused(tiny, tmp_path):
    store = Store(tmp_path)

    def stop(stage, done, total):
        raise Stop

    with LocalBackend(workers=1) as local:
        with pytest.raises(Stop):
            op.optimize(tiny, {ADS: (0, 15)}, "final_private_pool", backend=local, store=store, id="p",
                        progress=stop, **KW)
        with pytest.raises(ScenarioError, match="holds a different optimization") as err:
            op.optimize(tiny, {ADS: (0, 10)}, "final_private_pool", backend=local, store=store, id="p", **KW)
    assert "\n" not in str(err.value)
