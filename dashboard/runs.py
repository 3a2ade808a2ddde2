"""Running simulations for the dashboard, with a process-wide cache keyed by (scenario, seed).

A run depends only on its scenario (``Scenario.key()``, which includes population size and
horizon) and its seed, so each finished :class:`sim.RunResult` is kept in :data:`CACHE` under
that key and shared by every page and browser session of the server. Editing one scenario
therefore reruns only that scenario; changing the language, the baseline or the chart reruns
nothing. The missing runs of all scenarios are simulated as one batch with
:func:`sim.runner.simulate_runs` (worker processes when worthwhile). The cache is bounded by the total number of simulated
users it holds, dropping the least recently used runs first. Nothing here imports Streamlit.
"""

from __future__ import annotations

import io
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import sim
from sim import Ensemble, RunResult, Scenario

__all__ = [
    "CACHE",
    "Comparison",
    "RunCache",
    "count_missing",
    "daily_csv",
    "ensemble",
    "ensembles",
    "sized",
    "traced_run",
]

#: progress(done_runs, total_runs)
Progress = Callable[[int, int], None]

_PARALLEL_WORK = 300_000  # user-days in a batch above which worker processes pay off
_DEFAULT_MAX_USERS = int(os.environ.get("SIYU_DASHBOARD_CACHE_USERS", 12_000_000))


class RunCache:
    """Least-recently-used store of runs keyed by ``(scenario key, seed, traced users)``.

    Args:
        max_users: Bound on the sum of ``n_users`` over the cached runs (memory grows with
            the users tables); the oldest runs are dropped past it.
    """

    def __init__(self, max_users: int = _DEFAULT_MAX_USERS) -> None:
        self.max_users = max_users
        self._runs: OrderedDict[tuple[str, int, tuple[int, ...]], RunResult] = OrderedDict()
        self._users = 0
        self._lock = threading.Lock()
        self.simulated = 0  # runs simulated since start (for tests and the benchmark)

    def __len__(self) -> int:
        return len(self._runs)

    def get(self, key: str, seed: int, traced: tuple[int, ...] = ()) -> RunResult | None:
        """Return the cached run, marking it recently used, or ``None``."""
        with self._lock:
            run = self._runs.get((key, seed, traced))
            if run is not None:
                self._runs.move_to_end((key, seed, traced))
            return run

    def put(self, key: str, run: RunResult, traced: tuple[int, ...] = ()) -> None:
        """Store a run, evicting the least recently used ones past ``max_users``."""
        with self._lock:
            k = (key, run.seed, traced)
            if k not in self._runs:
                self._users += run.scenario.population.n_users
            self._runs[k] = run
            self._runs.move_to_end(k)
            while self._users > self.max_users and len(self._runs) > 1:
                _, old = self._runs.popitem(last=False)
                self._users -= old.scenario.population.n_users

    def missing(self, scenario: Scenario, seeds: Sequence[int]) -> list[int]:
        """Seeds of ``scenario`` that are not cached yet."""
        key = scenario.key()
        with self._lock:
            return [s for s in seeds if (key, s, ()) not in self._runs]

    def clear(self) -> None:
        """Forget every run."""
        with self._lock:
            self._runs.clear()
            self._users = 0


#: The dashboard's cache, shared by all sessions of the server process.
CACHE = RunCache()


@dataclass
class Comparison:
    """The result of one press of "Run comparison": settings and one Ensemble per scenario.

    ``stored`` is the results-store id when the ensembles were read back from the store
    (daily tables and KPIs only) instead of simulated.
    """

    names: list[str]
    n_users: int
    horizon: int
    seeds: list[int]
    ensembles: dict[str, Ensemble] = field(default_factory=dict)
    derived: dict[Hashable, Any] = field(default_factory=dict, repr=False)
    #: The results-store id it was read from (``dashboard.recorded``); such runs have no users tables.
    stored: str | None = None

    def covers(self, scenarios: Mapping[str, Scenario], seeds: Sequence[int]) -> bool:
        """True when this comparison holds exactly these named scenarios over these seeds."""
        return (list(scenarios) == list(self.ensembles) and [int(s) for s in seeds] == list(self.seeds)
                and all(self.ensembles[n].scenario.key() == s.key() for n, s in scenarios.items()))

    def memo(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """``make()`` once per key for this comparison (tables and figures of presentation reruns)."""
        if key not in self.derived:
            self.derived[key] = make()
        return self.derived[key]


def _workers(todo: Sequence[tuple[str, Scenario, int]], n_runs: int) -> int:
    """Worker processes for a batch of runs: all cores once the batch is worth a fork."""
    work = sum(scn.population.n_users * scn.horizon_days for _, scn, _ in todo)
    return min(n_runs, os.cpu_count() or 1) if work >= _PARALLEL_WORK else 1


def sized(scenario: Scenario, n_users: int, horizon: int) -> Scenario:
    """Return ``scenario`` with the population size and horizon of the comparison (validated)."""
    if scenario.population.n_users == n_users and scenario.horizon_days == horizon:
        return scenario
    return scenario.with_overrides({"population.n_users": int(n_users), "horizon_days": int(horizon)})


def count_missing(scenarios: Mapping[str, Scenario] | Sequence[Scenario], seeds: Sequence[int],
                  cache: RunCache = CACHE) -> int:
    """Number of runs still to simulate for these scenarios and seeds."""
    items = scenarios.values() if isinstance(scenarios, Mapping) else scenarios
    return sum(len(cache.missing(s, seeds)) for s in items)


def ensemble(scenario: Scenario, seeds: Sequence[int], progress: Progress | None = None,
             cache: RunCache = CACHE, workers: int | None = None) -> Ensemble:
    """Return the Ensemble of ``scenario`` over ``seeds``, simulating only uncached seeds."""
    return ensembles({"_": scenario}, seeds, progress, cache, workers)["_"]


def ensembles(scenarios: Mapping[str, Scenario], seeds: Sequence[int],
              progress: Progress | None = None, cache: RunCache = CACHE,
              workers: int | None = None) -> dict[str, Ensemble]:
    """Return one Ensemble per named scenario, simulating only what the cache lacks.

    Args:
        scenarios: Display name → scenario (already sized).
        seeds: Seeds to run for every scenario.
        progress: Called as ``progress(done, total)`` over all runs still to simulate.
        cache: Where runs are looked up and stored.
        workers: Worker processes for :func:`sim.simulate_many` (default: its own choice).

    Returns:
        Display name → Ensemble, in the order given.
    """
    seeds = [int(s) for s in seeds]
    todo: list[tuple[str, Scenario, int]] = []  # (scenario key, scenario, seed) of every run to simulate
    keys: set[str] = set()
    for scn in scenarios.values():
        key = scn.key()
        if key not in keys:
            keys.add(key)
            todo += [(key, scn, s) for s in cache.missing(scn, seeds)]
    total = len(todo)
    if progress and total:
        progress(0, total)
    if total == 1:  # one run: progress by days
        key, scn, seed = todo[0]
        day_progress = (lambda d, n: progress(d / n, 1)) if progress else None
        done = [sim.simulate(scn, seed, progress=day_progress)]
    elif total:  # one batch over every scenario, so no worker waits for a scenario's last seed
        done = sim.runner.simulate_runs([(scn, s) for _, scn, s in todo], progress=progress,
                                        workers=_workers(todo, total) if workers is None else workers)
    else:
        done = []
    for (key, _, _), run in zip(todo, done, strict=True):
        cache.put(key, run)
    cache.simulated += len(done)
    out = {}
    for name, scn in scenarios.items():
        key = scn.key()
        runs = []
        for s in seeds:
            run = cache.get(key, s)
            if run is None:  # evicted meanwhile (tiny cache): run it now
                run = sim.simulate(scn, s)
                cache.put(key, run)
                cache.simulated += 1
            runs.append(run)
        out[name] = Ensemble(scenario=scn, runs=runs)
    return out


def traced_run(scenario: Scenario, seed: int, users: Sequence[int], cache: RunCache = CACHE) -> RunResult:
    """One run with a per-user trace of ``users`` (tracing never changes the run), cached."""
    traced = tuple(sorted(int(u) for u in users))
    key = scenario.key()
    run = cache.get(key, seed, traced)
    if run is None:
        run = sim.simulate(scenario, seed, trace_users=list(traced))
        cache.put(key, run, traced)
        cache.simulated += 1
    return run


def daily_csv(ensembles: Mapping[str, Ensemble]) -> bytes:
    """All daily results as one long CSV: ``scenario``, ``seed``, then the daily columns."""
    frames = [r.daily.assign(scenario=name, seed=r.seed) for name, ens in ensembles.items() for r in ens.runs]
    if not frames:
        return b""
    df = pd.concat(frames, ignore_index=True)
    df = df[["scenario", "seed", *[c for c in df.columns if c not in ("scenario", "seed")]]]
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")
