"""Sweeps: a base scenario × a design × replicate seeds, through a backend, into the store.

:func:`sweep` fixes every run's seed from its position (``sim.experiments.seeds``), validates
every point of the design against the schema before the first run, skips runs already stored
under the same id (resume), streams the rest through a backend (``sim.experiments.backends``)
into the store (``sim.experiments.store``) and returns a :class:`SweepResult`. The result of a
resumed sweep equals that of an uninterrupted one, and neither depends on the backend or the
number of workers. :func:`open` reopens any stored experiment — sweep, run or comparison — as a
:class:`SweepResult`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.errors import ScenarioError
from sim.experiments.backends import Backend, LocalBackend
from sim.experiments.design import Design, explicit
from sim.experiments.seeds import seed_table
from sim.experiments.store import (
    FORMAT,
    Store,
    column_dtypes,
    fingerprint,
    git_commit,
    new_id,
    utc_now,
)
from sim.io import package_version
from sim.loader import load_scenario
from sim.results import Ensemble, RunResult, quantile
from sim.scenario import Scenario

__all__ = ["MAIN_KPIS", "SweepResult", "open", "quantiles", "sweep"]

#: The KPIs the CLI's per-point table shows.
MAIN_KPIS = ("cum_profit", "roi", "payback_day", "final_private_pool", "churn_rate")
Progress = Callable[[int, int], None]


def quantiles(values: Sequence[float] | np.ndarray, qs: Sequence[float] = (0.1, 0.5, 0.9)) -> list[float]:
    """Several quantiles over seeds by :func:`sim.results.quantile` (inf is the largest value, NaN left out)."""
    arr = np.asarray(values, dtype=float)
    return [quantile(arr, q) for q in qs]


def _point_label(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.items())


@dataclass
class SweepResult:
    """A stored (or in-memory) experiment: its manifest and its runs table.

    ``table`` has one row per run (``point``, ``replicate``, ``seed``, varied parameters or
    ``scenario``, KPIs), sorted by point and replicate. ``status`` is ``complete`` or
    ``partial``. :meth:`band` gives per-value quantiles of a KPI; :meth:`daily` the stored daily
    tables; :meth:`ensemble` one point as a :class:`sim.Ensemble`.
    """

    id: str | None
    manifest: dict[str, Any]
    store: Store | None = None
    _memory: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        """``sweep``, ``run`` or ``compare``."""
        return str(self.manifest.get("kind"))

    @property
    def status(self) -> str:
        """``complete`` (every run of the design stored) or ``partial``."""
        return str(self.manifest.get("status"))

    @property
    def complete(self) -> bool:
        """True when every run of the design is stored."""
        return self.status == "complete"

    @property
    def paths(self) -> list[str]:
        """The varied parameters (dotted paths), in column order."""
        return list(self.manifest.get("design", {}).get("paths", []))

    @property
    def kpis(self) -> list[str]:
        """The KPI columns of the table."""
        return list(self.manifest.get("kpis", []))

    @property
    def points(self) -> pd.DataFrame:
        """One row per point: ``point``, ``label`` and each varied parameter."""
        design = self.manifest.get("design", {})
        rows = [{"point": i, "label": info.get("label", ""), **pt}
                for i, (pt, info) in enumerate(zip(design.get("points", []), self.manifest.get("points", []), strict=False))]
        return pd.DataFrame(rows)

    @cached_property
    def table(self) -> pd.DataFrame:
        """The runs table (only the stored runs of a partial experiment)."""
        if self._memory is not None:
            return self._memory
        assert self.store is not None and self.id is not None
        return self.store.table(self.id)

    def band(self, kpi: str, by: str | Sequence[str] | None = None,
             qs: Sequence[float] = (0.1, 0.5, 0.9)) -> pd.DataFrame:
        """Quantiles of a KPI over the runs at each value of ``by`` (default: each point).

        Args:
            kpi: A KPI column (``sim.KPI_INFO``).
            by: A varied path, a list of them, ``"scenario"`` (runs and comparisons) or
                ``None`` for every point (with its parameters).
            qs: The quantiles, as fractions.

        Returns:
            One row per group: the ``by`` columns, ``q10``, ``q50``, ``q90``... and ``n`` (runs).
        """
        df = self.table
        if kpi not in df.columns:
            raise ScenarioError(f"unknown KPI {kpi!r}; this experiment has: {', '.join(self.kpis)}")
        if by is None:
            keys = ["point", *[c for c in ("scenario", *self.paths) if c in df.columns]]
        else:
            keys = [by] if isinstance(by, str) else list(by)
        for k in keys:
            if k not in df.columns:
                raise ScenarioError(f"cannot group by {k!r}; columns: {', '.join(c for c in df.columns if c not in self.kpis)}")
        rows = []
        for key, grp in df.groupby(keys, sort=True, dropna=False):
            key = key if isinstance(key, tuple) else (key,)
            values = quantiles(grp[kpi].to_numpy(dtype=float), qs)
            rows.append({**dict(zip(keys, key, strict=True)),
                         **{f"q{round(q * 100):d}": v for q, v in zip(qs, values, strict=True)},
                         "n": len(grp)})
        return pd.DataFrame(rows)

    def summary(self, kpis: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Per point: its parameters (or scenario), runs, and median and 10–90 % band of each KPI."""
        df = self.table
        kpis = [k for k in (kpis or self.kpis) if k in df.columns]
        labels = {int(p["point"]): p for p in self.manifest.get("points", [])}
        design_points = self.manifest.get("design", {}).get("points", [])
        out = []
        for point, grp in df.groupby("point", sort=True):
            p = int(point)
            entry: dict[str, Any] = {"point": p, "label": labels.get(p, {}).get("label", ""),
                                     "params": dict(design_points[p]) if p < len(design_points) else {},
                                     "runs": len(grp), "kpis": {}}
            for k in kpis:
                q10, q50, q90 = quantiles(grp[k].to_numpy(dtype=float))
                entry["kpis"][k] = {"q10": q10, "q50": q50, "q90": q90}
            out.append(entry)
        return out

    def daily(self, point: int | None = None) -> pd.DataFrame:
        """The stored daily tables (``point``, ``replicate``, ``seed``, ``day``, ...), one point or all."""
        if self.store is None or self.id is None:
            raise ScenarioError("this sweep was not stored; daily tables are kept only in a store (daily=True)")
        return self.store.daily(self.id, point)

    def scenario(self, point: int) -> Scenario:
        """The full scenario of one point."""
        per_point = self.manifest.get("point_scenarios")
        if per_point:
            return Scenario.model_validate(yaml.safe_load(per_point[point]))
        base = Scenario.model_validate(yaml.safe_load(self.manifest["base_scenario"]))
        overrides = self.manifest.get("design", {}).get("points", [])[point]
        return base.with_overrides(overrides) if overrides else base

    def ensemble(self, point: int = 0) -> Ensemble:
        """One point's replicates as a :class:`sim.Ensemble` (daily tables and KPIs; no user tables)."""
        daily = self.daily(point)
        rows = self.table[self.table["point"] == point]
        scenario = self.scenario(point)
        runs = []
        for _, row in rows.iterrows():
            d = daily[daily["replicate"] == row["replicate"]].drop(columns=["point", "replicate", "seed"])
            runs.append(RunResult(scenario=scenario, seed=int(row["seed"]), daily=d.reset_index(drop=True),
                                  users=pd.DataFrame(), summary={k: float(row[k]) for k in self.kpis if k in row}))
        return Ensemble(scenario=scenario, runs=runs)

    def to_dict(self, kpis: Sequence[str] | None = None) -> dict[str, Any]:
        """Plain JSON form: id, kind, status, counts, store path, per-point bands, manifest."""
        m = {k: v for k, v in self.manifest.items() if k not in ("base_scenario", "point_scenarios")}
        return {"id": self.id, "kind": self.kind, "status": self.status,
                "runs_total": self.manifest.get("runs_total"), "runs_done": self.manifest.get("runs_done"),
                "store": str(self.store.root) if self.store is not None else None,
                "points": self.summary(kpis), "manifest": m}


def _as_design(design: Design | Sequence[Mapping[str, Any]] | None) -> Design:
    if design is None:
        return Design("list", (), ({},), {"source": "base scenario only"})
    if isinstance(design, Design):
        return design
    return explicit(list(design))


def _scenarios(base: Scenario, design: Design) -> Iterator[Scenario]:
    for i, point in enumerate(design.points):
        try:
            yield base.with_overrides(point) if point else base
        except ScenarioError as err:
            raise ScenarioError(f"design point {i} ({_point_label(point)}): {err}") from None


#: points per block of the run order (:func:`_run_order`)
RUN_BLOCK = 64


def _run_order(n_points: int, replicates: int) -> Iterator[tuple[int, int]]:
    """The (point, replicate) pairs in the order a sweep runs them: replicate by replicate within blocks of points.

    Blocks of :data:`RUN_BLOCK` points run one after the other; within a block, replicate 0 at
    every point, then replicate 1, ... With common random numbers a replicate has one seed at
    every point, so a backend's batch of consecutive runs holds one seed at many points, and
    where the points differ only in strategy their runs share the population and network
    drawn once (``sim.runner.simulate_shared``). Results do not depend on the order.
    """
    for first in range(0, n_points, RUN_BLOCK):
        for r in range(replicates):
            for p in range(first, min(first + RUN_BLOCK, n_points)):
                yield p, r


def sweep(scenario: Scenario | str | os.PathLike[str], design: Design | Sequence[Mapping[str, Any]] | None,
          seeds: int = 5, *, backend: Backend | None = None, store: Store | str | os.PathLike[str] | None | bool = None,
          id: str | None = None, daily: bool = False, experiment_seed: int = 0,  # noqa: A002 - the store's word
          common_random_numbers: bool = True, progress: Progress | None = None,
          chunk_runs: int = 64) -> SweepResult:
    """Run ``scenario`` at every point of ``design`` × ``seeds`` replicates and store the results.

    Args:
        scenario: The base scenario (a :class:`sim.Scenario`, a shipped name or a YAML path).
        design: A :class:`Design` (``grid``, ``latin_hypercube``, ``from_csv``), a list of
            override dicts, or ``None`` for the base scenario alone.
        seeds: Replicates per point.
        backend: Where to run (default: a :class:`LocalBackend` on every CPU, closed after).
        store: A :class:`Store` or its directory (default: :func:`resolve_store`); ``False``
            keeps the table in memory and writes nothing.
        id: The experiment id (default: a new ``sweep-...`` id). An id that holds the same
            experiment is resumed — stored runs are skipped; one that holds another is refused.
        daily: Also store each run's daily table (``daily/point=P/``).
        experiment_seed: Root of the run seeds (``sim.experiments.seeds``).
        common_random_numbers: Same replicate seeds at every point (default).
        progress: Called as ``progress(done, total)`` in runs (stored ones included).
        chunk_runs: Runs per chunk file.

    Returns:
        The :class:`SweepResult` (``status`` ``complete`` unless interrupted).

    Raises:
        ScenarioError: A bad design point, seed count, or store id (one line), before any run.
    """
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    design = _as_design(design)
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ScenarioError(f"--seeds must be at least 1 (got {seeds})")
    if experiment_seed < 0:
        raise ScenarioError(f"--seed must be non-negative (got {experiment_seed})")
    seeds = int(seeds)
    params = design.parameters()
    for _ in _scenarios(base, design):  # validate every point before the first run
        pass
    seeds_arr = seed_table(experiment_seed, len(design), seeds, common_random_numbers)
    total = len(design) * seeds
    definition = {"base_scenario": base.to_yaml(), "points": [dict(p) for p in design.points],
                  "replicates": seeds, "experiment_seed": int(experiment_seed),
                  "common_random_numbers": bool(common_random_numbers), "daily": bool(daily)}
    own_backend = backend is None
    backend = backend if backend is not None else LocalBackend()
    try:
        experiment_id = id if id is not None else new_id("sweep")
        seeds_info: dict[str, Any] = {"experiment_seed": int(experiment_seed), "replicates": seeds,
                                      "common_random_numbers": bool(common_random_numbers),
                                      "key": "SeedSequence(entropy=experiment_seed, spawn_key=(replicate,) "
                                             "with common random numbers, else (point, replicate))"}
        if common_random_numbers:
            seeds_info["replicate_seeds"] = [int(s) for s in seeds_arr[0]] if len(design) else []
        manifest: dict[str, Any] = {
            "format": FORMAT, "id": experiment_id, "kind": "sweep", "scenario": base.name,
            "base_scenario": base.to_yaml(), "design": design.to_dict(),
            "points": [{"point": i, "label": _point_label(p)} for i, p in enumerate(design.points)],
            "seeds": seeds_info, "kpis": [], "daily": bool(daily),
            "siyu_version": package_version(), "git_commit": git_commit(),
            "backend": backend.describe(), "started": utc_now(), "runs_total": total,
            "fingerprint": fingerprint(definition),
        }
        dtypes = column_dtypes(params)
        the_store = None if store is False else (store if isinstance(store, Store) else Store(
            None if store is None or store is True else store))
        if the_store is not None:
            writer = the_store.writer(experiment_id, manifest, dtypes, resume=True, chunk_runs=chunk_runs)
        else:
            writer = None
            memory_rows: list[dict[str, Any]] = []
        todo = [(p, r) for p, r in _run_order(len(design), seeds) if writer is None or not writer.has(p, r)]
        done = total - len(todo)
        if progress is not None:
            progress(done, total)

        def runs() -> Iterator[tuple[Scenario, int]]:
            block: dict[int, Scenario] = {}  # the scenarios of the current block of points
            for p, r in todo:
                scn = block.get(p)
                if scn is None:
                    if len(block) >= RUN_BLOCK:
                        block.clear()
                    point = design.points[p]
                    scn = block[p] = base.with_overrides(point) if point else base
                yield scn, int(seeds_arr[p, r])

        error = None
        try:
            for out in backend.imap(runs(), daily=daily and writer is not None, n_runs=len(todo)):
                p, r = todo[out.index]
                row = {"point": p, "replicate": r, "seed": out.seed,
                       **{par.path: par.coerce(design.points[p][par.path]) for par in params}, **out.kpis}
                if writer is not None:
                    added = writer.add(row, out.daily, out.seconds)
                else:
                    memory_rows.append(row)
                    added = True
                done += bool(added)
                if progress is not None:
                    progress(done, total)
        except BaseException as err:
            error = f"interrupted: {err.__class__.__name__}: {err}"
            raise
        finally:
            if writer is not None:
                writer.close(error)
        if writer is None:
            from sim.experiments.store import _typed_frame

            table = _typed_frame(memory_rows, dtypes).sort_values(["point", "replicate"], ignore_index=True)
            manifest.update(status="complete", runs_done=len(table), finished=utc_now(),
                            kpis=[c for c in table.columns if c not in dtypes])
            return SweepResult(id=None, manifest=manifest, store=None, _memory=table)
        return SweepResult(id=experiment_id, manifest=the_store.manifest(experiment_id), store=the_store)
    finally:
        if own_backend:
            backend.close()


def open(experiment_id: str, store: Store | str | os.PathLike[str] | None = None) -> SweepResult:  # noqa: A001
    """Reopen a stored experiment (sweep, run or comparison) by id."""
    the_store = store if isinstance(store, Store) else Store(store)
    return SweepResult(id=experiment_id, manifest=the_store.manifest(experiment_id), store=the_store)

