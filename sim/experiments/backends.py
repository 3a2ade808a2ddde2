"""Backends: where runs execute. Give one a batch of (scenario, seed) runs, get KPI rows back.

Two backends share one interface (:class:`Backend`):

- :class:`LocalBackend` — worker processes on this machine through the pool of
  :func:`sim.runner.pool_map` (the one ``simulate_many`` uses); ``workers=1`` runs in-process.
- :class:`DaskBackend` — Dask distributed, an existing engine: ``DaskBackend(workers=N)``
  starts a ``LocalCluster`` of N single-threaded worker processes on 127.0.0.1;
  ``DaskBackend(scheduler="tcp://HOST:PORT")`` uses a running cluster (its workers must be
  able to import this version of Siyu). The compiled rules are loaded once per worker by a
  worker plugin (:class:`WarmUp`, also run on workers that join or restart later); runs are
  batched several per task so task overhead stays small. When a worker dies, the scheduler
  reruns its tasks elsewhere (``distributed.scheduler.allowed-failures`` times); a batch's
  result reaches the caller once, and the store keys rows by (point, replicate) so nothing is
  stored twice.

Both stream: :meth:`Backend.imap` takes a (possibly lazy) iterable and keeps a bounded number of
batches in flight, yielding :class:`RunOutput` as runs finish, so memory stays flat in the
number of runs. :meth:`Backend.run` is the simple form for the planning tools: a list of runs in,
a list of KPI dicts out, in input order. A run's result depends only on (scenario, seed): every
backend gives the same numbers, bit for bit.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.errors import ScenarioError
from sim.runner import pool_map, process_pool, simulate_shared, warm_up
from sim.scenario import Scenario

__all__ = [
    "Backend",
    "DaskBackend",
    "LocalBackend",
    "RunOutput",
    "make_backend",
    "run_batch",
]

Progress = Callable[[int, int], None]
RunSpec = tuple[Scenario, int]
_ADDRESS = re.compile(r"^(tcp|tls|ws|wss|inproc|ucx)://[^\s/:]+(:\d{1,5})?/?$")
MAX_BATCH = 32
#: Work per task when batching: about 1.5 s of compute here (two 20,000-user years).
TASK_USER_DAYS = 15_000_000


@dataclass
class RunOutput:
    """The result of one run: its position in the input, seed, KPIs, seconds, optional daily table."""

    index: int
    seed: int
    kpis: dict[str, float]
    seconds: float
    daily: pd.DataFrame | None = None


def run_batch(batch: Sequence[tuple[int, Scenario, int]], daily: bool = False
              ) -> list[tuple[int, int, dict[str, float], float, pd.DataFrame | None]]:
    """Run ``(index, scenario, seed)`` items one after the other (one task of a backend).

    Runs of the batch that draw the same set-up (same seed, population and network: common
    random numbers across points that differ in strategy) draw it once
    (:func:`sim.runner.simulate_shared`); every run is the same as run alone.
    """
    warm_up()
    out = []
    runs = simulate_shared([(scenario, int(seed)) for _, scenario, seed in batch])
    t0 = time.perf_counter()
    for (index, _, seed), result in zip(batch, runs, strict=True):
        out.append((index, int(seed), dict(result.summary), time.perf_counter() - t0,
                    result.daily if daily else None))
        t0 = time.perf_counter()
    return out


def _run_batch_args(args: tuple[Sequence[tuple[int, Scenario, int]], bool]):
    return run_batch(*args)


def _batches(runs: Iterable[RunSpec], size: int) -> Iterator[list[tuple[int, Scenario, int]]]:
    batch: list[tuple[int, Scenario, int]] = []
    for i, (scenario, seed) in enumerate(runs):
        batch.append((i, scenario, int(seed)))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Backend:
    """Where runs execute; see the module text. Use as a context manager or call :meth:`close`."""

    name = "backend"

    def __init__(self, batch: int | None = None) -> None:
        if batch is not None and batch < 1:
            raise ScenarioError(f"batch must be at least 1 (got {batch})")
        self.batch = batch

    @property
    def workers(self) -> int:
        """Number of worker processes runs are spread over."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """What the manifest records about the backend: name, worker count, scheduler address."""
        return {"backend": self.name, "workers": self.workers, "scheduler": None}

    def batch_size(self, n_runs: int | None, user_days: int | None = None) -> int:
        """Runs per task: the ``batch`` given, else a task of about ``TASK_USER_DAYS`` of work.

        Big runs go one or two to a task, small ones up to 32, and never so many that a worker
        gets fewer than about four tasks (so work spreads evenly and progress stays fine-grained).
        """
        if self.batch is not None:
            return self.batch
        size = MAX_BATCH if not user_days else max(1, TASK_USER_DAYS // max(1, user_days))
        if n_runs is not None:
            size = min(size, math.ceil(n_runs / (4 * max(1, self.workers))))
        return max(1, min(MAX_BATCH, size))

    def _imap_batches(self, batches: Iterator[list[tuple[int, Scenario, int]]], daily: bool
                      ) -> Iterator[list[tuple[int, int, dict[str, float], float, pd.DataFrame | None]]]:
        raise NotImplementedError

    def imap(self, runs: Iterable[RunSpec], daily: bool = False,
             n_runs: int | None = None) -> Iterator[RunOutput]:
        """Run ``(scenario, seed)`` pairs; yield a :class:`RunOutput` per run, in completion order.

        Args:
            runs: The runs; may be a lazy iterable (read as batches are sent).
            daily: Also return each run's daily table.
            n_runs: How many runs there are, when ``runs`` has no length (sizes the batches).
        """
        if n_runs is None and hasattr(runs, "__len__"):
            n_runs = len(runs)  # type: ignore[arg-type]
        it = iter(runs)
        first = next(it, None)
        if first is None:
            return
        user_days = first[0].population.n_users * first[0].horizon_days
        size = self.batch_size(n_runs, user_days)
        for results in self._imap_batches(_batches(itertools.chain([first], it), size), daily):
            for index, seed, kpis, seconds, table in results:
                yield RunOutput(index, seed, kpis, seconds, table)

    def run(self, runs: Iterable[RunSpec], progress: Progress | None = None) -> list[dict[str, float]]:
        """Run ``(scenario, seed)`` pairs and return their KPI dicts in input order."""
        runs = list(runs)
        out: list[dict[str, float] | None] = [None] * len(runs)
        for done, res in enumerate(self.imap(runs), start=1):
            out[res.index] = res.kpis
            if progress is not None:
                progress(done, len(runs))
        return [r for r in out if r is not None]

    def close(self) -> None:
        """Release the backend's resources (worker processes, cluster connections)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalBackend(Backend):
    """Worker processes on this machine (the pool of :func:`sim.runner.pool_map`).

    The processes start at the first batch and are kept (forked after the compiled rules are
    loaded) until :meth:`close`, so repeated small batches — a planning tool's trials — do not
    pay for new processes each time.

    Args:
        workers: Processes (default: the number of CPUs); 1 runs every run in this process.
        batch: Runs per task (default: about four tasks per worker).
    """

    name = "local"

    def __init__(self, workers: int | None = None, batch: int | None = None) -> None:
        super().__init__(batch)
        if workers is not None and workers < 1:
            raise ScenarioError(f"--workers must be at least 1 (got {workers})")
        self._workers = workers if workers is not None else (os.cpu_count() or 1)
        self._pool = None

    @property
    def workers(self) -> int:  # noqa: D102
        return self._workers

    def _imap_batches(self, batches, daily):
        if self._workers > 1 and self._pool is None:  # started once, kept until close()
            self._pool = process_pool(self._workers)
        for _, results in pool_map(_run_batch_args, ((b, daily) for b in batches), self._workers,
                                   window=2 * self._workers, pool=self._pool):
            yield results

    def close(self) -> None:  # noqa: D102
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskBackend(Backend):
    """Dask distributed: a ``LocalCluster`` of ``workers`` processes, or an existing ``scheduler``.

    Args:
        workers: Start a LocalCluster on 127.0.0.1 with this many single-threaded worker
            processes (default: the number of CPUs) — ignored when ``scheduler`` is given.
        scheduler: Address of a running scheduler, ``tcp://HOST:PORT``.
        batch: Runs per task (default: about four tasks per worker).
        timeout: Seconds to wait for the scheduler before giving up with one line.

    Raises:
        ScenarioError: A malformed or unreachable scheduler address (one line, within ``timeout``).
    """

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None,
                 batch: int | None = None, timeout: float = 3.0) -> None:
        super().__init__(batch)
        from distributed import Client, LocalCluster

        if workers is not None and workers < 1:
            raise ScenarioError(f"--workers must be at least 1 (got {workers})")
        self.scheduler = scheduler
        self.cluster = None
        if scheduler is not None:
            if not _ADDRESS.match(scheduler.strip()):
                raise ScenarioError(f"--scheduler {scheduler!r} is not a scheduler address; "
                                    "give one like tcp://HOST:8786")
            try:
                self.client = Client(scheduler.strip(), timeout=timeout)
            except (OSError, TimeoutError) as err:
                raise ScenarioError(f"--scheduler {scheduler}: cannot reach it within {timeout:g} s "
                                    f"({err.__class__.__name__})") from None
        else:
            n = workers if workers is not None else (os.cpu_count() or 1)
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address="127.0.0.1:0",  # None still binds :8787 (dask/distributed#8136)
                                        silence_logs=logging.ERROR)
            self.client = Client(self.cluster, timeout=timeout)
        from sim.experiments._worker import WarmUp

        self.client.register_plugin(WarmUp())

    @property
    def workers(self) -> int:  # noqa: D102
        return max(1, len(self.client.scheduler_info(n_workers=-1).get("workers", {})))

    def describe(self) -> dict[str, Any]:  # noqa: D102
        return {"backend": self.name, "workers": self.workers,
                "scheduler": self.scheduler or self.client.scheduler.address}

    def _imap_batches(self, batches, daily):
        from distributed import as_completed

        window = 2 * self.workers
        pending = as_completed()
        live: set = set()

        def submit_next() -> bool:
            batch = next(batches, None)
            if batch is None:
                return False
            fut = self.client.submit(run_batch, batch, daily, pure=False, retries=1)
            live.add(fut)
            pending.add(fut)
            return True

        try:
            for _ in range(window):
                if not submit_next():
                    break
            for fut in pending:
                results = fut.result()
                live.discard(fut)
                fut.release()
                submit_next()
                yield results
        finally:  # the caller stopped early (or a batch failed): drop the rest from the cluster
            if live:
                self.client.cancel(list(live))

    def close(self) -> None:  # noqa: D102
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_backend(workers: int | None = None, scheduler: str | None = None,
                 batch: int | None = None) -> Backend:
    """The CLI's backend: ``scheduler`` → Dask on it; ``workers`` → Dask LocalCluster; else local.

    ``scheduler`` uses that running cluster; ``workers`` starts a LocalCluster of that many
    processes; neither gives a :class:`LocalBackend` on every CPU.
    """
    if scheduler is not None:
        if workers is not None:
            raise ScenarioError("give either --workers or --scheduler, not both")
        return DaskBackend(scheduler=scheduler, batch=batch)
    if workers is not None:
        return DaskBackend(workers=workers, batch=batch)
    return LocalBackend(batch=batch)
