"""The Sweep and Runs pages' logic: sweepable fields, a design from ranges, size guards, tables.

:func:`sweepable` lists the schema's numeric fields (the strategy editor's
:class:`~dashboard.editor.FieldSpec`, so labels, units and bounds come from the schema, each
checked by :func:`sim.experiments.parameter`). :func:`axis_values` spreads ``points`` values
over a range; :func:`plan` builds the grid design and counts its runs, refusing sizes a page
run should not take (:data:`MAX_RUNS`, :data:`MAX_USER_DAYS`) with one line. :func:`run` sends
the plan through :func:`sim.experiments.sweep` (local backend, recorded in the results store).
:func:`band_table` and :func:`chart_plan` turn any stored experiment — sweep, run or
comparison — into what the pages show. Nothing here imports Streamlit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from sim import Ensemble, Scenario, ScenarioError
from sim import experiments as ex

from .editor import FieldSpec, field_specs

__all__ = [
    "MAX_POINTS_PER_AXIS",
    "MAX_RUNS",
    "MAX_USER_DAYS",
    "SWEEP_KPIS",
    "SweepPlan",
    "axis_values",
    "band_table",
    "chart_plan",
    "ensembles",
    "plan",
    "run",
    "sweepable",
]

#: Runs a page sweep may have (points × seeds); the CLI ``siyu sweep`` takes more.
MAX_RUNS = 400
#: Simulated user-days a page sweep may have (runs × users × days): about a minute on 2 cores.
MAX_USER_DAYS = 1_500_000_000
#: Values along one axis.
MAX_POINTS_PER_AXIS = 25
#: KPIs the Sweep page offers, in order.
SWEEP_KPIS = ["cum_profit", "roi", "payback_day", "paid_back", "final_private_pool", "gmv_total",
              "cac", "ltv", "repeat_rate", "churn_rate", "mean_trust", "npv"]

_WORK_PER_WORKER = 300_000  # user-days in a sweep above which worker processes pay off


@cache
def sweepable() -> dict[str, FieldSpec]:
    """Path → field spec of every numeric schema field a sweep can vary (bounded on both sides)."""
    out = {}
    for spec in field_specs():
        if spec.kind not in ("int", "float") or spec.lo is None or spec.hi is None:
            continue
        try:
            ex.parameter(spec.path)
        except ScenarioError:
            continue
        out[spec.path] = spec
    return out


def axis_values(spec: FieldSpec, lo: float, hi: float, points: int) -> list[Any]:
    """``points`` evenly spaced values from ``lo`` to ``hi`` (integers for an int field, no repeats).

    Raises:
        ScenarioError: A range :meth:`sim.experiments.Parameter.checked_range` refuses
            (outside the schema's bounds, not finite, fractional for a whole-number field,
            reversed or empty: the CLI's wording), or a number of points below 2 or above
            :data:`MAX_POINTS_PER_AXIS` (one line).
    """
    if not 2 <= int(points) <= MAX_POINTS_PER_AXIS:
        raise ScenarioError(f"{spec.path}: points must be 2 to {MAX_POINTS_PER_AXIS} (got {points})")
    lo, hi = ex.parameter(spec.path).checked_range((lo, hi), "sweep axis")
    xs = np.linspace(float(lo), float(hi), int(points))
    if spec.kind == "int":
        return sorted({int(round(v)) for v in xs})
    return [float(f"{v:.10g}") for v in xs]


@dataclass(frozen=True)
class SweepPlan:
    """A page sweep before it runs: base scenario (sized), grid design, seeds and its size."""

    base: Scenario
    design: ex.Design
    seeds: int

    @property
    def runs(self) -> int:
        """Points × seeds."""
        return len(self.design) * self.seeds

    @property
    def user_days(self) -> int:
        """Simulated user-days (runs × users × days; a swept population or horizon at its largest)."""
        users = max([self.base.population.n_users, *[pt.get("population.n_users", 0) for pt in self.design.points]])
        days = max([self.base.horizon_days, *[pt.get("horizon_days", 0) for pt in self.design.points]])
        return self.runs * int(users) * int(days)

    @property
    def paths(self) -> list[str]:
        """The varied paths."""
        return list(self.design.paths)


def plan(base: Scenario, axes: Mapping[str, Sequence[Any]], seeds: int, n_users: int, horizon: int) -> SweepPlan:
    """The grid over ``axes`` ({path: values}) for ``base`` at ``n_users`` × ``horizon``, size-checked.

    Raises:
        ScenarioError: No or more than two axes, a size above :data:`MAX_RUNS` runs or
            :data:`MAX_USER_DAYS` user-days, or any point the schema refuses (one line each).
    """
    if not 1 <= len(axes) <= 2:
        raise ScenarioError(f"pick one or two parameters (got {len(axes)})")
    if not 1 <= int(seeds) <= 50:
        raise ScenarioError(f"seeds must be 1 to 50 (got {seeds})")
    if any(p in ("population.n_users", "horizon_days") for p in axes):
        sized = base  # the swept size wins over the page's population/horizon
    else:
        sized = base.with_overrides({"population.n_users": int(n_users), "horizon_days": int(horizon)})
    design = ex.grid({p: list(v) for p, v in axes.items()})
    result = SweepPlan(base=sized, design=design, seeds=int(seeds))
    if result.runs > MAX_RUNS:
        raise ScenarioError(f"{result.runs:,} runs ({len(design)} points × {seeds} seeds) is more than the "
                            f"{MAX_RUNS:,} a page sweep may run; use fewer points or seeds, or 'siyu sweep'")
    work = result.user_days
    if work > MAX_USER_DAYS:
        raise ScenarioError(f"{work:,} simulated user-days is more than the {MAX_USER_DAYS:,} a page sweep may "
                            "run; use fewer users, days, points or seeds, or 'siyu sweep'")
    for i, point in enumerate(design.points):  # validate every point before the first run
        try:
            sized.with_overrides(point)
        except ScenarioError as err:
            raise ScenarioError(f"point {i} ({', '.join(f'{k}={v}' for k, v in point.items())}): {err}") from None
    return result


def run(p: SweepPlan, progress: Callable[[int, int], None] | None = None,
        store: ex.Store | None = None, workers: int | None = None) -> ex.SweepResult:
    """Run a plan on the local backend, recorded in the results store (``$SIYU_STORE`` or ``./runs``)."""
    if workers is None:
        workers = min(p.runs, os.cpu_count() or 1) if p.user_days >= _WORK_PER_WORKER else 1
    with ex.LocalBackend(workers=workers) as backend:
        return ex.sweep(p.base, p.design, p.seeds, backend=backend, store=store if store is not None else ex.Store(),
                        progress=progress)


def band_table(result: ex.SweepResult, kpis: Sequence[str], fmt: Callable[[str, float], str]) -> pd.DataFrame:
    """One row per point (its parameters or scenario, runs) and per KPI ``median [10 %, 90 %]``."""
    rows = []
    for entry in result.summary(kpis):
        row: dict[str, Any] = {}
        if entry["params"]:
            row.update(entry["params"])
        else:
            row["scenario"] = entry["label"]
        row["runs"] = entry["runs"]
        for k, q in entry["kpis"].items():
            row[k] = f"{fmt(k, q['q50'])} [{fmt(k, q['q10'])}, {fmt(k, q['q90'])}]"
        rows.append(row)
    return pd.DataFrame(rows)


def chart_plan(result: ex.SweepResult) -> str:
    """How to draw an experiment: ``heatmap`` (a two-parameter grid), ``lines`` (parameters), ``scenarios``."""
    paths = [p for p in result.paths if p in result.table.columns]
    if not paths:
        return "scenarios"
    if len(paths) == 2 and result.manifest.get("design", {}).get("kind") == "grid":
        return "heatmap"
    return "lines"


def ensembles(result: ex.SweepResult, scenarios: Mapping[int, Scenario] | None = None) -> dict[str, Ensemble]:
    """Point label → :class:`sim.Ensemble` rebuilt from the stored daily tables (no users tables).

    Args:
        result: A stored run or comparison (or a sweep stored with daily tables).
        scenarios: Point → scenario to attach; only these points are rebuilt (default: every
            stored point, with its stored scenario).

    Raises:
        sim.experiments.StoreError: The experiment has no daily tables.
    """
    labels = {int(p["point"]): p.get("label", str(p["point"])) for p in result.manifest.get("points", [])}
    points = sorted(scenarios) if scenarios is not None else sorted({int(p) for p in result.table["point"]})
    out: dict[str, Ensemble] = {}
    for point in points:
        ens = result.ensemble(point)
        out[labels.get(point, str(point))] = ens if scenarios is None else Ensemble(
            scenario=scenarios[point], runs=[replace(r, scenario=scenarios[point]) for r in ens.runs])
    return out
