"""Optimisation under constraints: the best plan the merchant can choose, with Optuna (docs/OPTIMIZATION.md).

:func:`optimize` takes a scenario, *decision variables* (strategy fields with ranges, e.g.
``strategy.ad_posts_per_day=0:15``), an *objective* (any KPI of :data:`sim.KPI_INFO`, its
median over seeds or, with ``risk="q10"``, its bad-tail quantile) and *constraints*
(``cost_total<=50000``, ``churn_rate<=0.2``...), and returns an :class:`Optimization`:
every trial with its seed bands, the best feasible plan, that plan re-evaluated on fresh
seeds beside the base scenario and the shipped ones, and the recommended plan as a scenario
YAML that ``extends`` the base.

The method:

- **Decision variables** are what the merchant decides: fields under ``strategy.`` (and, when
  a scenario has phases, ``phases.N.from_day`` and ``phases.N.strategy.*``), resolved by
  :func:`sim.experiments.parameter` so the schema's types and bounds apply. Market and
  behaviour parameters are unknowns, not choices, and are refused (the opposite of
  :data:`sim.planning.calibration.REFUSED`). Integer fields are sampled as integers, switches
  and choices as categories; a range must lie inside the schema's bounds.
- **Sampler**: Optuna's ``TPESampler`` seeded by ``seed`` (multivariate, constant liar for
  batches), with ``constraints_func`` — Optuna's own constraint handling: a trial is feasible
  when every constraint value is ≤ 0, feasible trials rank by objective, infeasible ones by
  total violation, and TPE models the two apart. Constraints are never folded into the
  objective as penalties.
- **A trial** is the scenario with the trial's values, run on ``seeds`` replicates with
  **common random numbers**: replicate r has the same seed in every trial
  (:func:`sim.experiments.run_seed`), so trials differ by their plan, not their luck. The
  objective is the median over seeds (``risk="qNN"``: the NN-th percentile of a
  higher-is-better KPI, the (100 − NN)-th of a lower-is-better one — the value the plan beats
  in (100 − NN) % of seeds). A constraint holds when the *median over seeds* meets it — or, a
  *chance constraint* ``KPI@qNN<=X``, when the NN-th percentile over seeds does (``cost_total@q90<=X``:
  the cost stays under X in at least 90 % of seeds; ``final_private_pool@q10>=Y``: the pool
  reaches Y in at least 90 %); its value for Optuna is ``(statistic − X) / max(|X|, 1)`` for
  ``<=`` (``X − statistic`` for ``>=``), so violations of different units add up. A KPI that is undefined (NaN) in every
  seed does not meet a constraint on it (violation 1); "never" (inf) counts as a violation of
  :data:`NEVER_VIOLATION`.
- **Batches**: trials are asked in batches (``study.ask``) of about one per worker, all runs of
  a batch go to the backend at once (local process pool or Dask), then are told in trial
  order (``study.tell``), so the search is the same whatever the backend.
- **Re-evaluation**: the best feasible trial is run again on ``fresh_seeds`` replicates the
  search never saw (replicates ``seeds .. seeds + fresh − 1``), beside the base scenario and the
  shipped scenarios on the same fresh seeds and the same users and days; the constraints are
  checked again on those runs. No feasible trial: the search says so, names the closest plan
  (least total violation), and nothing is recommended or re-evaluated.
- **Resume**: an interrupted search (status ``partial``) is resumed by running it again under its
  id with the same problem: the seeded sampler, told the same trials in the same order, asks
  the same plans again, so the runs already stored are read back instead of run and the result
  equals that of an uninterrupted search (tested).
- **Store**: the experiment ``opt-…`` (kind ``optimization``) holds every run as its runs
  table (``stage`` = ``search`` or ``reeval``; ``point`` = trial number, then the re-evaluated
  scenarios), the study (``analysis/optuna.json``: every trial with its distributions, values
  and constraints, enough to rebuild the study and redraw Optuna's charts) and the result
  (``analysis/optimization.json``), and ``recommended.yaml``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.errors import ScenarioError, cut, finite_number
from sim.experiments.design import parameter, parse_range
from sim.experiments.seeds import run_seed
from sim.experiments.sweep import quantiles
from sim.results import KPI_INFO
from sim.scenario import Scenario

__all__ = [
    "KIND",
    "MAX_TRIALS",
    "Constraint",
    "Decision",
    "Optimization",
    "Objective",
    "decisions",
    "load_optimization",
    "optimize",
    "parse_constraint",
    "parse_objective",
]

KIND = "optimization"
MAX_TRIALS = 10_000
MAX_SEEDS = 200
MAX_FRESH = 500
#: Paths a decision variable may take: what the merchant decides.
DECIDABLE = re.compile(r"^(strategy\.|phases\.\d+\.(from_day$|strategy\.))")
#: The violation a constraint gets when its KPI's median is "never" (inf) on the wrong side.
NEVER_VIOLATION = 1_000.0
_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:@\s*([^<>=\s]*)\s*)?(<=|>=)\s*(.*?)\s*$")
_PERCENTILE = re.compile(r"^q(\d{1,2})$")
_RISK = re.compile(r"^q(\d{1,2})$")
Progress = Callable[[str, int, int], None]


# ---------------------------------------------------------------------------- the problem


@dataclass(frozen=True)
class Decision:
    """A decision variable: a strategy field and the range (or choices) the search may use."""

    path: str
    kind: str  # "int" | "float" | "bool" | "choice"
    lo: float | None = None
    hi: float | None = None
    choices: tuple[Any, ...] = ()
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"path": self.path, "kind": self.kind, "lo": self.lo, "hi": self.hi,
                "choices": list(self.choices), "unit": self.unit}

    def distribution(self):
        """The Optuna distribution of the variable."""
        import optuna

        if self.kind == "int":
            return optuna.distributions.IntDistribution(int(self.lo), int(self.hi))
        if self.kind == "float":
            return optuna.distributions.FloatDistribution(float(self.lo), float(self.hi))
        return optuna.distributions.CategoricalDistribution(list(self.choices))

    def range_text(self) -> str:
        """``0 – 15`` or ``false | true``."""
        if self.kind in ("int", "float"):
            return f"{self.lo:g} – {self.hi:g}"
        return " | ".join(str(c).lower() if isinstance(c, bool) else str(c) for c in self.choices)


def parse_decide(text: str) -> tuple[str, tuple[float, float] | None]:
    """Parse one ``--decide``: ``PATH=LO:HI`` (numbers), or ``PATH`` alone (a switch, a choice, or the schema's range)."""
    return parse_range(text, "--decide")


def _decision(base: Scenario, path: str, rng: tuple[float, float] | None) -> Decision:
    if not DECIDABLE.match(path):
        try:
            parameter(path)  # an unknown path gets its "did you mean" first
        except ScenarioError as err:
            raise ScenarioError(f"--decide {err}") from None
        raise ScenarioError(
            f"--decide {path}: only the plan can be decided (strategy.* fields, and phases.N.from_day or "
            "phases.N.strategy.* of a phased scenario); market and behaviour parameters are unknowns — "
            "set them in the scenario or fit them with 'siyu calibrate'")
    try:
        par = parameter(path)
    except ScenarioError as err:
        raise ScenarioError(f"--decide {err}") from None
    if par.kind == "bool":
        if rng is not None:
            raise ScenarioError(f"--decide {path} is a switch; give it without a range (the search tries false and true)")
        dec = Decision(path, "bool", choices=(False, True), unit=par.unit)
    elif par.kind == "choice":
        if rng is not None:
            raise ScenarioError(f"--decide {path} is a choice ({', '.join(par.choices)}); give it without a range")
        dec = Decision(path, "choice", choices=tuple(par.choices), unit=par.unit)
    elif par.kind in ("int", "float"):
        lo, hi = par.checked_range(rng, "--decide")
        if par.kind == "int":
            lo, hi = int(lo), int(hi)
        dec = Decision(path, par.kind, lo=lo, hi=hi, unit=par.unit)
    else:
        raise ScenarioError(f"--decide {path} is a {par.kind} field; decide numbers, switches or choices")
    ends = [dec.lo, dec.hi] if dec.kind in ("int", "float") else list(dec.choices)
    for v in ends:  # each end must give a valid scenario (cross-field rules, phases inside the horizon)
        try:
            base.with_overrides({path: v})
        except ScenarioError as err:
            raise ScenarioError(f"--decide {path}: at {v} the scenario is invalid: {err}") from None
    return dec


def decisions(base: Scenario, decide: Mapping[str, tuple[float, float] | None] | Sequence[str]) -> list[Decision]:
    """Check the decision variables: ``{path: (lo, hi) or None}`` or ``["path=LO:HI", "path", ...]``.

    Raises:
        ScenarioError: Nothing to decide, an unknown or non-strategy path, a range outside the
            schema's bounds, empty or reversed, a variable given twice (one line each).
    """
    if isinstance(decide, Mapping):
        items = [(str(k).strip(), None if v is None else (float(v[0]), float(v[1]))) for k, v in decide.items()]
    else:
        items = [parse_decide(s) for s in decide]
    if not items:
        raise ScenarioError("give at least one decision variable: --decide strategy.FIELD=LO:HI")
    seen: set[str] = set()
    out = []
    for path, rng in items:
        if path in seen:
            raise ScenarioError(f"--decide {path} is given twice; give each decision variable once")
        seen.add(path)
        out.append(_decision(base, path, rng))
    return out


def _check_kpi(kpi: str, option: str) -> str:
    from sim.planning.sensitivity import check_kpi

    try:
        return check_kpi(kpi)
    except ScenarioError as err:
        raise ScenarioError(f"{option}: {err}") from None


@dataclass(frozen=True)
class Objective:
    """What to optimise: a KPI, its direction (from KPI_INFO) and the statistic over seeds."""

    kpi: str
    risk: str | None = None  # None (median) or "qNN"

    @property
    def higher_is_better(self) -> bool:  # noqa: D102
        return bool(KPI_INFO[self.kpi][2])

    @property
    def direction(self) -> str:
        """Optuna's direction: ``maximize`` or ``minimize``."""
        return "maximize" if self.higher_is_better else "minimize"

    @property
    def quantile(self) -> float:
        """The quantile over seeds the objective takes (0.5, or the bad tail of ``risk``)."""
        if self.risk is None:
            return 0.5
        q = int(_RISK.match(self.risk).group(1)) / 100  # type: ignore[union-attr]
        return q if self.higher_is_better else 1.0 - q

    @property
    def statistic(self) -> str:
        """``median`` or ``q10`` / ``q90`` — the column name of the statistic."""
        return "median" if self.risk is None else f"q{round(self.quantile * 100):d}"

    def value(self, values: np.ndarray) -> float:
        """The objective of one trial from its per-seed KPI values."""
        return quantiles(values, (self.quantile,))[0]

    def describe(self) -> str:
        """``median of Cumulative profit (maximise)``."""
        what = "median" if self.risk is None else f"{self.statistic} (risk-aware, the value beaten in " \
                                                   f"{100 - round(min(self.quantile, 1 - self.quantile) * 100)} % of seeds)"
        return f"{what} of {KPI_INFO[self.kpi][0]} ({'maximise' if self.higher_is_better else 'minimise'})"

    def to_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"kpi": self.kpi, "risk": self.risk, "direction": self.direction, "quantile": self.quantile,
                "statistic": self.statistic, "label": KPI_INFO[self.kpi][0], "unit": KPI_INFO[self.kpi][1]}


def parse_objective(kpi: str, risk: str | None = None) -> Objective:
    """Check ``--objective KPI`` and ``--risk qNN`` (NN from 1 to 49)."""
    _check_kpi(kpi, "--objective")
    if risk is not None:
        m = _RISK.match(str(risk).strip())
        if not m or not 1 <= int(m.group(1)) <= 49:
            raise ScenarioError(f"--risk {cut(str(risk), 20)!r} must look like q10 (a percentile from q1 to q49: "
                                "the bad tail over seeds)")
        risk = f"q{int(m.group(1))}"
    return Objective(kpi, risk)


@dataclass(frozen=True)
class Constraint:
    """``KPI <= X`` or ``KPI >= X``, met when the KPI's median over seeds meets it.

    A chance constraint (``quantile`` ≠ 0.5, written ``KPI@qNN<=X``) is met when the NN-th
    percentile over seeds meets it: ``cost_total@q90<=X`` holds in at least 90 % of seeds.
    """

    kpi: str
    op: str
    bound: float
    quantile: float = 0.5

    @property
    def statistic(self) -> str:
        """``median`` or ``qNN``: what over seeds must meet the bound."""
        return "median" if self.quantile == 0.5 else f"q{round(self.quantile * 100):d}"

    @property
    def column(self) -> str:
        """The trials table's column of the statistic (``<kpi>_q50`` for the median)."""
        return f"{self.kpi}_q{round(self.quantile * 100):d}"

    @property
    def text(self) -> str:  # noqa: D102
        at = "" if self.quantile == 0.5 else f"@{self.statistic}"
        return f"{self.kpi}{at}{self.op}{self.bound:g}"

    def value(self, values: np.ndarray) -> float:
        """The constraint's statistic of one plan from its per-seed KPI values."""
        return quantiles(values, (self.quantile,))[0]

    def violation(self, value: float) -> float:
        """Optuna's constraint value of the statistic: ≤ 0 when met, else the violation relative to ``max(|X|, 1)``."""
        if math.isnan(value):
            return 1.0
        diff = value - self.bound if self.op == "<=" else self.bound - value
        if math.isinf(diff):
            return NEVER_VIOLATION if diff > 0 else -NEVER_VIOLATION
        return diff / max(abs(self.bound), 1.0)

    def to_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"kpi": self.kpi, "op": self.op, "bound": self.bound, "quantile": self.quantile,
                "statistic": self.statistic, "text": self.text,
                "label": KPI_INFO[self.kpi][0], "unit": KPI_INFO[self.kpi][1]}


def parse_constraint(text: str) -> Constraint:
    """Parse ``KPI<=X``, ``KPI>=X`` or a chance constraint ``KPI@qNN<=X`` (one line naming what is wrong otherwise)."""
    raw = str(text)
    m = _CONSTRAINT.match(raw)
    if not m:
        raise ScenarioError(f"--constraint {cut(raw, 60)!r} must look like KPI<=X or KPI>=X, e.g. cost_total<=50000 "
                            "(or KPI@q90<=X: the 90th percentile over seeds)")
    kpi, at, op, num = m.groups()
    _check_kpi(kpi, f"--constraint {cut(raw, 60)}")
    q = 0.5
    if at is not None:
        pm = _PERCENTILE.match(at.strip())
        if at.strip() != "median" and (not pm or not 1 <= int(pm.group(1)) <= 99):
            raise ScenarioError(f"--constraint {cut(raw, 60)!r}: @{cut(at, 20)} must be a percentile over seeds from "
                                f"q1 to q99 (e.g. {kpi}@q90{op}X: met in at least 90 % of seeds) or @median")
        q = int(pm.group(1)) / 100 if pm else 0.5
    if not num:
        raise ScenarioError(f"--constraint {cut(raw, 60)!r}: no bound after {op}; e.g. {kpi}{op}0.2")
    return Constraint(kpi, op, finite_number(num, f"--constraint {cut(raw, 60)!r}"), q)


def constraints_of(items: Sequence[str | Constraint]) -> list[Constraint]:
    """Parse every constraint; the same one given twice is refused."""
    out: list[Constraint] = []
    for item in items:
        c = item if isinstance(item, Constraint) else parse_constraint(item)
        if any((o.kpi, o.op, o.quantile) == (c.kpi, c.op, c.quantile) for o in out):
            raise ScenarioError(f"--constraint {c.text.split(c.op)[0]}{c.op} is given twice; give each bound once")
        out.append(c)
    return out


# ---------------------------------------------------------------------------- the result


@dataclass
class Optimization:
    """The result of :func:`optimize` (or :func:`load_optimization`).

    Attributes:
        base: The scenario optimised (with the user's users/days).
        decisions, objective, constraints: The problem.
        trials: One row per trial: ``trial``, each decision path, ``objective``, per KPI of interest
            ``<kpi>_q10``/``_q50``/``_q90``, ``violation`` (total), ``feasible``, ``state``.
        best: The best feasible trial's number (``None`` if none is feasible).
        closest: The trial of least total violation when none is feasible.
        reevaluation: One row per (scenario, replicate) of the fresh-seed runs: ``scenario``
            (``recommended``, ``base`` or a shipped name), ``replicate``, ``seed``, KPIs.
        info: How it ran: trials, seeds, fresh seeds, seed, batch, backend, runs, wall seconds.
    """

    base: Scenario
    decisions: list[Decision]
    objective: Objective
    constraints: list[Constraint]
    trials: pd.DataFrame
    best: int | None
    closest: int | None
    reevaluation: pd.DataFrame
    study_data: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    store: Any = None
    base_ref: str | None = None

    @property
    def feasible(self) -> bool:
        """True when some trial met every constraint."""
        return self.best is not None

    @property
    def paths(self) -> list[str]:  # noqa: D102
        return [d.path for d in self.decisions]

    def plan(self, trial: int | None = None) -> dict[str, Any]:
        """The decision values of a trial (default: the best feasible one, else the closest)."""
        trial = self.best if trial is None else trial
        if trial is None:
            trial = self.closest
        if trial is None:
            return {}
        row = self.trials[self.trials["trial"] == trial].iloc[0]
        return {d.path: _native(row[d.path], d) for d in self.decisions}

    def recommended_scenario(self) -> Scenario:
        """The base scenario with the best feasible plan."""
        if self.best is None:
            raise ScenarioError("no plan met the constraints, so none is recommended")
        return self.base.with_overrides(self.plan())

    def study(self):
        """The Optuna study, rebuilt in memory from the stored trials (for Optuna's charts)."""
        return study_from_data(self.study_data)

    def infeasible_text(self) -> str:
        """The one line said after a search in which no trial met the constraints."""
        n = len(self.trials)
        what = ", ".join(c.text for c in self.constraints)
        if self.closest is None:
            return f"no trial of {n} completed; nothing is recommended"
        row = self.trials[self.trials["trial"] == self.closest].iloc[0]
        plan = ", ".join(f"{k}={_fmt(v)}" for k, v in self.plan(self.closest).items())
        stats = ", ".join(f"{c.kpi} {c.statistic} {_fmt(row[c.column])}" for c in self.constraints)
        return (f"no plan met the constraints ({what}) in {n} trials; the closest is trial {self.closest}: {plan} "
                f"({stats}; total violation {row['violation']:.3g}); nothing is recommended — relax a "
                "constraint or widen the ranges")

    def reeval_bands(self) -> pd.DataFrame:
        """Per re-evaluated scenario and KPI: ``scenario``, ``kpi``, ``q10``, ``q50``, ``q90``, ``mean`` (for 0/1 KPIs)."""
        rows = []
        if self.reevaluation.empty:
            return pd.DataFrame(columns=["scenario", "kpi", "q10", "q50", "q90", "mean"])
        for name, grp in self.reevaluation.groupby("scenario", sort=False):
            for k in KPI_INFO:
                if k not in grp:
                    continue
                v = grp[k].to_numpy(dtype=float)
                q10, q50, q90 = quantiles(v)
                rows.append({"scenario": name, "kpi": k, "q10": q10, "q50": q50, "q90": q90,
                             "mean": float(np.nanmean(v)) if np.isfinite(v).any() else math.nan})
        return pd.DataFrame(rows)

    def fresh_check(self) -> list[dict[str, Any]]:
        """Each constraint on the recommended plan's fresh seeds: its statistic (median or qNN), met or not."""
        if self.reevaluation.empty:
            return []
        rec = self.reevaluation[self.reevaluation["scenario"] == "recommended"]
        out = []
        for c in self.constraints:
            v = c.value(rec[c.kpi].to_numpy(dtype=float))
            out.append({"constraint": c.text, "kpi": c.kpi, "statistic": c.statistic, "value": v,
                        "met": c.violation(v) <= 0})
        return out

    def recommended_yaml(self, path: str | os.PathLike[str] | None = None) -> str:
        """The recommended plan as YAML: ``extends`` the base, then the decided values.

        The base is extended by its shipped name or file (relative to ``path``'s directory); a
        base with no file is written in full. Loading the text gives :meth:`recommended_scenario`.
        """
        from sim.planning.calibration import cut_name, extends_yaml

        target = self.recommended_scenario()
        name = cut_name(f"{self.base.name}_optimized")
        row = self.trials[self.trials["trial"] == self.best].iloc[0]
        header = [f"# {name}: {self.base.name} with the plan recommended by siyu optimize"
                  + (f" ({self.id})" if self.id else ""),
                  f"# objective: {self.objective.describe()} = {_fmt(row['objective'])} over "
                  f"{self.info.get('seeds')} seeds (trial {self.best} of {len(self.trials)})"]
        if self.constraints:
            header.append("# constraints (median over seeds, or the percentile after @): "
                          + ", ".join(c.text for c in self.constraints))
        for d in self.decisions:
            header.append(f"#   {d.path} = {_fmt(self.plan()[d.path])}  (searched {d.range_text()})")
        header.append("# see docs/OPTIMIZATION.md")
        return extends_yaml(header, target, name, cut(f"{self.base.name} with the optimised plan", 200),
                            self.base_ref, path)

    def write_yaml(self, path: str | os.PathLike[str], overwrite: bool = False) -> Path:
        """Write :meth:`recommended_yaml` atomically; an existing file is kept unless ``overwrite``."""
        from sim.io import atomic_write_text

        return atomic_write_text(path, self.recommended_yaml(path), overwrite=overwrite)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (non-finite numbers become ``None`` when written)."""
        from sim.io import _jsonable

        best = None
        if self.best is not None:
            row = self.trials[self.trials["trial"] == self.best].iloc[0]
            best = {"trial": int(self.best), "plan": self.plan(), "objective": float(row["objective"])}
        closest = None
        if self.best is None and self.closest is not None:
            row = self.trials[self.trials["trial"] == self.closest].iloc[0]
            closest = {"trial": int(self.closest), "plan": self.plan(self.closest),
                       "violation": float(row["violation"]), "message": self.infeasible_text()}
        bands = self.reeval_bands()
        reeval: dict[str, Any] = {}
        for name, grp in bands.groupby("scenario", sort=False):
            reeval[str(name)] = {r["kpi"]: {"q10": r["q10"], "q50": r["q50"], "q90": r["q90"], "mean": r["mean"]}
                                 for _, r in grp.iterrows()}
        return _jsonable({
            "kind": KIND, "id": self.id, "store": str(self.store.root) if self.store is not None else None,
            "status": self.info.get("status", "complete"), "scenario": self.base.name,
            "n_users": self.base.population.n_users, "horizon_days": self.base.horizon_days,
            "decisions": [d.to_dict() for d in self.decisions], "objective": self.objective.to_dict(),
            "constraints": [c.to_dict() for c in self.constraints], "feasible": self.feasible,
            "best": best, "closest": closest,
            "trials": self.trials.to_dict(orient="records"),
            "reevaluation": {"fresh_seeds": self.info.get("fresh_seeds"), "bands": reeval,
                             "constraints": self.fresh_check()},
            "info": {k: v for k, v in self.info.items() if k != "status"},
        })

    def to_json(self) -> str:
        """One strict JSON document."""
        from sim.io import json_text

        return json_text(self.to_dict())


def _native(v: Any, d: Decision) -> Any:
    if d.kind == "int":
        return int(v)
    if d.kind == "float":
        return float(v)
    if d.kind == "bool":
        return bool(v)
    return str(v)


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if math.isnan(v):
            return "—"
        if math.isinf(v):
            return "never" if v > 0 else "-inf"
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)


# ---------------------------------------------------------------------------- the study's data


def _constraints_func(trial) -> Sequence[float]:
    return trial.user_attrs.get("constraints", ())


def study_data(study, decisions_: Sequence[Decision], objective: Objective) -> dict[str, Any]:
    """Everything needed to rebuild the study: direction and each trial's params, values, constraints."""
    import optuna

    trials = []
    for tr in study.get_trials(deepcopy=False):
        trials.append({
            "number": tr.number, "state": tr.state.name, "value": tr.value if tr.values else None,
            "params": {k: (v.item() if hasattr(v, "item") else v) for k, v in tr.params.items()},
            "distributions": {k: optuna.distributions.distribution_to_json(v) for k, v in tr.distributions.items()},
            "user_attrs": dict(tr.user_attrs),
            "constraints": list(tr.system_attrs.get("constraints", tr.user_attrs.get("constraints", [])) or []),
        })
    return {"optuna_version": optuna.__version__, "direction": objective.direction,
            "objective": objective.to_dict(), "decisions": [d.to_dict() for d in decisions_], "trials": trials}


def study_from_data(data: Mapping[str, Any]):
    """An in-memory Optuna study holding the stored trials (charts: ``optuna.visualization``)."""
    import optuna

    with _quiet_optuna():
        study = optuna.create_study(direction=data["direction"], sampler=optuna.samplers.RandomSampler(seed=0))
        frozen = []
        for tr in data["trials"]:
            state = optuna.trial.TrialState[tr["state"]]
            dists = {k: optuna.distributions.json_to_distribution(v) for k, v in tr["distributions"].items()}
            cons = tr.get("constraints") or []
            frozen.append(optuna.trial.create_trial(
                state=state, value=tr["value"] if state == optuna.trial.TrialState.COMPLETE else None,
                params=tr["params"], distributions=dists, user_attrs=tr.get("user_attrs") or {},
                system_attrs={"constraints": list(cons)} if cons else None))
        study.add_trials(frozen)
    return study


@contextlib.contextmanager
def _quiet_optuna():
    import optuna

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
            warnings.filterwarnings("ignore", message=".*constraints.*")
            yield
    finally:
        optuna.logging.set_verbosity(level)


# ---------------------------------------------------------------------------- optimise


#: KPIs every trial row keeps bands of (besides the objective's and the constraints').
TRIAL_KPIS = ("cum_profit", "roi", "final_private_pool", "churn_rate", "cost_total")


def _check_count(value: Any, option: str, lo: int, hi: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise ScenarioError(f"{option} must be {lo:,} to {hi:,} {what} (got {cut(str(value), 30)})")
    return int(value)


def plan_work(base: Scenario, trials: int, seeds: int, fresh_seeds: int, compare: Sequence[Scenario]) -> int:
    """Runs the optimisation will make: trials × seeds + fresh seeds × (recommended, base, compared)."""
    return trials * seeds + fresh_seeds * (2 + len(compare))


def shipped_for(base: Scenario, names: Sequence[str] | None = None) -> list[Scenario]:
    """The shipped scenarios (or ``names``) at the base's users and days, to compare the plan with.

    By default a shipped scenario that is invalid at the base's horizon (a phase that starts after
    it) is left out; one named in ``names`` is refused with one line instead.
    """
    from sim.loader import list_scenarios, load_scenario

    chosen = names is not None
    names = list_scenarios() if names is None else list(names)
    out = []
    for n in names:
        try:
            s = load_scenario(n).with_overrides({"population.n_users": base.population.n_users,
                                                 "horizon_days": base.horizon_days})
        except ScenarioError as err:
            if chosen:
                raise ScenarioError(f"--compare {n}: at {base.horizon_days} days × {base.population.n_users:,} "
                                    f"users it is invalid: {err}") from None
            continue  # by default: a shipped plan that cannot run at this horizon (a phase after it) is left out
        if s.key() != base.key():  # the base itself is already re-evaluated as "base"
            out.append(s)
    return out


def optimize(scenario: Scenario | str | os.PathLike[str],
             decide: Mapping[str, tuple[float, float] | None] | Sequence[str],
             objective: str | Objective = "cum_profit", risk: str | None = None,
             constraints: Sequence[str | Constraint] = (), trials: int = 50, seeds: int = 3,
             fresh_seeds: int = 10, *, compare: Sequence[str] | None = None, seed: int = 0,
             backend: Any = None, store: Any = None, id: str | None = None,  # noqa: A002 - the store's word
             batch: int | None = None, progress: Progress | None = None) -> Optimization:
    """Search for the best plan under constraints with Optuna; see the module text.

    Args:
        scenario: The base scenario (a :class:`sim.Scenario`, a shipped name or a YAML path).
        decide: Decision variables: ``{path: (lo, hi) or None}`` or ``["strategy.X=LO:HI", ...]``.
        objective: A KPI of :data:`sim.KPI_INFO` (direction from its ``higher_is_better``).
        risk: ``None`` (median over seeds) or ``"q10"`` (the bad tail: see the module text).
        constraints: ``["cost_total<=50000", "churn_rate<=0.2", ...]``, on the median over seeds
            (``"cost_total@q90<=50000"``: on that percentile, a chance constraint).
        trials: Trials of the search (each ``seeds`` runs).
        seeds: Replicates per trial, common random numbers.
        fresh_seeds: Replicates of the re-evaluation (0: none), seeds the search never used.
        compare: Shipped scenarios to re-evaluate beside the plan (default: all of them).
        seed: Seeds the sampler and the run seeds: the same seed gives the same search.
        backend: A :class:`sim.experiments.LocalBackend` or ``DaskBackend`` (default: local, every CPU).
        store: A :class:`sim.experiments.Store` or its directory; ``False`` keeps everything in memory.
        id: The experiment id (default ``opt-<time>-<hex>``). An interrupted (partial) search of
            the same problem under that id is resumed; any other existing id is refused.
        batch: Trials asked at once (default: the backend's workers, at least 2; a resumed
            search keeps the batch it was started with).
        progress: ``progress(stage, done, total)``: ``("search", trials done, trials)``, then
            ``("reeval", runs done, runs)``.

    Raises:
        ScenarioError: Bad decision variables, objective, constraints, counts or id — one line,
            before any run.
    """
    import optuna

    from sim.experiments.backends import LocalBackend
    from sim.experiments.store import (
        FORMAT,
        Store,
        check_id,
        fingerprint,
        git_commit,
        new_id,
        utc_now,
    )
    from sim.io import package_version
    from sim.loader import list_scenarios, load_scenario

    t0 = time.monotonic()
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if isinstance(scenario, Scenario):
        base_ref = scenario.name if scenario.name in list_scenarios() else None
    else:
        base_ref = str(scenario)
    obj = objective if isinstance(objective, Objective) else parse_objective(objective, risk)
    cons = constraints_of(constraints)
    decs = decisions(base, decide)
    if isinstance(trials, (int, np.integer)) and not isinstance(trials, bool) and trials < 1:
        raise ScenarioError(f"--trials must be at least 1 (got {trials}); zero trials cannot find a plan")
    trials = _check_count(trials, "--trials", 1, MAX_TRIALS, "trials")
    seeds = _check_count(seeds, "--seeds", 1, MAX_SEEDS, "seeds per trial")
    fresh_seeds = _check_count(fresh_seeds, "--fresh-seeds", 0, MAX_FRESH, "fresh seeds")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ScenarioError(f"--seed must be a non-negative whole number (got {seed!r})")
    if batch is not None:
        batch = _check_count(batch, "batch", 1, 1_000, "trials")
    compared = shipped_for(base, compare) if fresh_seeds else []
    the_store = None if store is False else (store if isinstance(store, Store) else Store(store))
    experiment_id = check_id(id) if id is not None else new_id("opt")
    stored: dict[tuple[int, int], dict[str, float]] = {}  # (point, replicate) → KPIs of a resumed search
    if the_store is not None and the_store.exists(experiment_id):
        old = the_store.manifest(experiment_id)
        if old.get("kind") != KIND or old.get("status") == "complete":
            raise ScenarioError(f"experiment {experiment_id!r} already exists in {the_store.root}; choose another "
                                f"--id or remove it with 'siyu runs rm {experiment_id}'")
        if batch is None:  # the batch shapes the search: a resume asks in the same batches
            batch = (old.get("optimization") or {}).get("batch")
        stored = _stored_runs(the_store.table(experiment_id))

    kpis_kept = list(dict.fromkeys([obj.kpi, *(c.kpi for c in cons), *TRIAL_KPIS]))
    search_seeds = [run_seed(int(seed), 0, r) for r in range(seeds)]
    fresh = [run_seed(int(seed), 0, r) for r in range(seeds, seeds + fresh_seeds)]
    own_backend = backend is None
    backend = backend if backend is not None else LocalBackend()
    n_batch = batch if batch is not None else max(2, int(backend.workers))
    runs_total = plan_work(base, trials, seeds, fresh_seeds, compared)
    definition = {"base": base.to_yaml(), "decisions": [d.to_dict() for d in decs], "objective": obj.to_dict(),
                  "constraints": [c.to_dict() for c in cons], "trials": trials, "seeds": seeds,
                  "fresh_seeds": fresh_seeds, "seed": int(seed), "batch": n_batch}
    writer = None
    error = None
    try:
        if the_store is not None:
            from sim.experiments.store import column_dtypes

            manifest: dict[str, Any] = {
                "format": FORMAT, "id": experiment_id, "kind": KIND, "scenario": base.name,
                "base_scenario": base.to_yaml(),
                "design": {"kind": "optuna", "paths": [d.path for d in decs],
                           "spec": {"decisions": [d.to_dict() for d in decs]}, "points": []},
                "points": [],
                "seeds": {"experiment_seed": int(seed), "replicates": seeds, "common_random_numbers": True,
                          "replicate_seeds": search_seeds, "fresh_seeds": fresh,
                          "key": "replicate r: SeedSequence(entropy=seed, spawn_key=(r,)); fresh seeds are "
                                 "replicates seeds .. seeds + fresh - 1"},
                "kpis": [], "daily": False, "siyu_version": package_version(), "git_commit": git_commit(),
                "backend": backend.describe(), "started": utc_now(), "runs_total": runs_total,
                "fingerprint": fingerprint(definition),
                "optimization": {**{k: v for k, v in definition.items() if k != "base"}, "base_ref": base_ref,
                                 "stage": "search", "sampler": "TPESampler(multivariate, constant_liar, constraints_func)"},
            }
            dtypes = {**column_dtypes([]), **{d.path: "float64" if d.kind in ("int", "float") else "object"
                                              for d in decs}, "stage": "object", "scenario": "object"}
            # a partial id is resumed only with the same problem (the fingerprint of its definition)
            writer = the_store.writer(experiment_id, manifest, dtypes, resume=the_store.exists(experiment_id),
                                      chunk_runs=256)
        with _quiet_optuna():
            sampler = optuna.samplers.TPESampler(
                seed=int(seed), multivariate=True, constant_liar=True, constraints_func=_constraints_func,
                n_startup_trials=max(4, min(10, trials // 4)))
            study = optuna.create_study(direction=obj.direction, sampler=sampler)
            dists = {d.path: d.distribution() for d in decs}
            rows: list[dict[str, Any]] = []
            done = 0
            if progress is not None:
                progress("search", 0, trials)
            while done < trials:
                asked = [study.ask(dists) for _ in range(min(n_batch, trials - done))]
                plans = [{d.path: _native(tr.params[d.path], d) for d in decs} for tr in asked]
                scenarios = [base.with_overrides(p) for p in plans]
                specs = [(scenarios[i], s) for i in range(len(asked)) for s in search_seeds]
                values: dict[int, dict[int, dict[str, float]]] = {i: {} for i in range(len(asked))}
                todo = []
                for j in range(len(specs)):  # a resumed search reads back the runs it stored
                    i, r = divmod(j, seeds)
                    if (asked[i].number, r) in stored:
                        values[i][r] = stored[(asked[i].number, r)]
                    else:
                        todo.append(j)
                for out in backend.imap([specs[j] for j in todo], n_runs=len(todo)):
                    i, r = divmod(todo[out.index], seeds)
                    values[i][r] = out.kpis
                    if writer is not None:
                        writer.add({"point": asked[i].number, "replicate": r, "seed": out.seed,
                                    **{d.path: plans[i][d.path] for d in decs}, "stage": "search",
                                    "scenario": "trial", **out.kpis}, None, out.seconds)
                for i, tr in enumerate(asked):  # told in trial order: the same search on every backend
                    per_seed = pd.DataFrame([values[i][r] for r in range(seeds)])
                    row = {"trial": tr.number, **plans[i]}
                    for k in kpis_kept:
                        q10, q50, q90 = quantiles(per_seed[k].to_numpy(dtype=float))
                        row.update({f"{k}_q10": q10, f"{k}_q50": q50, f"{k}_q90": q90})
                    obj_value = obj.value(per_seed[obj.kpi].to_numpy(dtype=float))
                    for c in cons:  # a chance constraint's percentile, beside the bands
                        row.setdefault(c.column, c.value(per_seed[c.kpi].to_numpy(dtype=float)))
                    cvals = [c.violation(row[c.column]) for c in cons]
                    tr.set_user_attr("constraints", cvals)
                    row["objective"] = obj_value
                    row["violation"] = float(sum(max(0.0, v) for v in cvals))
                    row["feasible"] = all(v <= 0 for v in cvals)
                    if math.isnan(obj_value):
                        study.tell(tr, state=optuna.trial.TrialState.FAIL)
                        row["state"] = "FAIL"
                        row["feasible"] = False
                    else:
                        study.tell(tr, obj_value)
                        row["state"] = "COMPLETE"
                    rows.append(row)
                done += len(asked)
                if progress is not None:
                    progress("search", done, trials)
        table = pd.DataFrame(rows)
        best, closest = _pick(table, obj)
        data = study_data(study, decs, obj)
        result = Optimization(base=base, decisions=decs, objective=obj, constraints=cons, trials=table, best=best,
                              closest=closest, reevaluation=pd.DataFrame(), study_data=data, base_ref=base_ref,
                              info={"trials": trials, "seeds": seeds, "fresh_seeds": fresh_seeds, "seed": int(seed),
                                    "batch": n_batch, "backend": backend.describe(),
                                    "search_seeds": search_seeds, "fresh_seed_values": fresh,
                                    "runs_search": trials * seeds})
        if writer is not None:
            writer.manifest["optimization"].update(stage="reeval", best=best, closest=closest)
        # re-evaluation on fresh seeds: the recommended plan, the base, the shipped scenarios
        reeval_rows: list[dict[str, Any]] = []
        if best is not None and fresh_seeds:
            labelled = [("recommended", result.recommended_scenario()), ("base", base),
                        *((s.name, s) for s in compared)]
            specs = [(s, sd) for _, s in labelled for sd in fresh]
            if progress is not None:
                progress("reeval", 0, len(specs))
            todo = [j for j in range(len(specs)) if (trials + j // fresh_seeds, seeds + j % fresh_seeds) not in stored]
            for j in (j for j in range(len(specs)) if (trials + j // fresh_seeds, seeds + j % fresh_seeds) in stored):
                k, r = divmod(j, fresh_seeds)
                reeval_rows.append({"scenario": labelled[k][0], "replicate": r, "seed": specs[j][1],
                                    **stored[(trials + k, seeds + r)]})
            for n_done, out in enumerate(backend.imap([specs[j] for j in todo], n_runs=len(todo)),
                                         start=len(specs) - len(todo) + 1):
                k, r = divmod(todo[out.index], fresh_seeds)
                label = labelled[k][0]
                row = {"scenario": label, "replicate": r, "seed": out.seed, **out.kpis}
                reeval_rows.append(row)
                if writer is not None:
                    plan = result.plan() if label == "recommended" else (
                        {d.path: _base_value(base, d) for d in decs} if label == "base" else {})
                    writer.add({"point": trials + k, "replicate": seeds + r, "seed": out.seed,
                                **{d.path: plan.get(d.path) for d in decs},
                                "stage": "reeval", "scenario": label, **out.kpis}, None, out.seconds)
                if progress is not None:
                    progress("reeval", n_done, len(specs))
            order = {lab: i for i, (lab, _) in enumerate(labelled)}
            result.reevaluation = pd.DataFrame(reeval_rows).sort_values(
                ["scenario", "replicate"], key=lambda s: s.map(order) if s.name == "scenario" else s,
                ignore_index=True)
        result.info["runs"] = trials * seeds + len(reeval_rows)
        result.info["runs_reeval"] = len(reeval_rows)
        result.info["wall_seconds"] = round(time.monotonic() - t0, 3)
        result.info["status"] = "complete"
        if writer is not None:
            points = [{d.path: r[d.path] for d in decs} for r in rows]
            labels = [f"trial {r['trial']}" for r in rows]
            if reeval_rows:
                points += [result.plan(), {d.path: _base_value(base, d) for d in decs}, *({} for _ in compared)]
                labels += ["recommended", "base", *(s.name for s in compared)]
            writer.manifest["design"]["points"] = points
            writer.manifest["points"] = [{"point": i, "label": lab} for i, lab in enumerate(labels)]
            writer.manifest["runs_total"] = result.info["runs"]  # no re-evaluation when nothing is feasible
            writer.manifest["optimization"].update(stage="done", wall_seconds=result.info["wall_seconds"],
                                                   feasible=result.feasible)
    except BaseException as err:
        error = f"interrupted: {err.__class__.__name__}: {err}"
        raise
    finally:
        status = writer.close(error) if writer is not None else None
        if own_backend:
            backend.close()
    if the_store is not None:
        result.id, result.store = experiment_id, the_store
        result.info["status"] = status
        the_store.attach(experiment_id, "optuna", result.study_data)
        the_store.attach(experiment_id, "optimization", result.to_dict())
        if result.feasible:
            from sim.io import atomic_write_text

            atomic_write_text(the_store.path(experiment_id) / "recommended.yaml",
                              result.recommended_yaml(the_store.path(experiment_id) / "recommended.yaml"))
    return result


def _stored_runs(table: pd.DataFrame) -> dict[tuple[int, int], dict[str, float]]:
    """``(point, replicate)`` → KPIs of each run an interrupted search stored."""
    kpis = [k for k in KPI_INFO if k in table]
    return {(int(p), int(r)): {k: float(v) for k, v in zip(kpis, vals, strict=True)}
            for p, r, *vals in table[["point", "replicate", *kpis]].itertuples(index=False, name=None)}


def _base_value(base: Scenario, d: Decision) -> Any:
    node: Any = base
    for part in d.path.split("."):
        node = node[int(part)] if part.isdigit() else getattr(node, part)
    return node.value if hasattr(node, "value") else node


def _pick(table: pd.DataFrame, obj: Objective) -> tuple[int | None, int | None]:
    """The best feasible trial (ties: the earliest) and, when none is feasible, the least-violating one."""
    done = table[table["state"] == "COMPLETE"] if len(table) else table
    feasible = done[done["feasible"]] if len(done) else done
    if len(feasible):
        sign = -1.0 if obj.higher_is_better else 1.0
        key = feasible["objective"].to_numpy(dtype=float) * sign
        return int(feasible["trial"].to_numpy()[int(np.argmin(key))]), None
    if not len(table):
        return None, None
    pool = done if len(done) else table
    return None, int(pool["trial"].to_numpy()[int(np.argmin(pool["violation"].to_numpy(dtype=float)))])


def load_optimization(experiment_id: str, store: Any = None) -> Optimization:
    """Reopen a stored optimisation (complete ones only; a partial one is refused with one line)."""
    from sim.experiments.store import Store

    the_store = store if isinstance(store, Store) else Store(store)
    m = the_store.manifest(experiment_id)
    if m.get("kind") != KIND:
        raise ScenarioError(f"experiment {experiment_id!r} is a {m.get('kind')}, not an optimisation")
    if m.get("status") != "complete" or "optimization" not in the_store.attachments(experiment_id):
        raise ScenarioError(f"optimisation {experiment_id!r} is partial (interrupted); run it again")
    doc = the_store.attachment(experiment_id, "optimization")
    data = the_store.attachment(experiment_id, "optuna")
    base = Scenario.model_validate(yaml.safe_load(m["base_scenario"]))
    decs = [Decision(path=d["path"], kind=d["kind"], lo=d["lo"], hi=d["hi"], choices=tuple(d["choices"]),
                     unit=d.get("unit", "")) for d in doc["decisions"]]
    obj = Objective(doc["objective"]["kpi"], doc["objective"]["risk"])
    cons = [Constraint(c["kpi"], c["op"], float(c["bound"]), float(c.get("quantile", 0.5))) for c in doc["constraints"]]
    trials = pd.DataFrame(doc["trials"]).fillna(value=np.nan)
    table = the_store.table(experiment_id)
    reeval = table[table["stage"] == "reeval"].copy() if "stage" in table else pd.DataFrame()
    if len(reeval):
        reeval["replicate"] = reeval["replicate"] - int(doc["info"]["seeds"])
        keep = ["scenario", "replicate", "seed", *[k for k in KPI_INFO if k in reeval]]
        reeval = reeval[keep].reset_index(drop=True)
    info = dict(doc.get("info") or {})
    info["status"] = "complete"
    return Optimization(base=base, decisions=decs, objective=obj, constraints=cons, trials=trials,
                        best=(doc.get("best") or {}).get("trial"), closest=(doc.get("closest") or {}).get("trial"),
                        reevaluation=reeval, study_data=data, info=info, id=experiment_id, store=the_store,
                        base_ref=(m.get("optimization") or {}).get("base_ref"))
