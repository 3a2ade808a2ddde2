"""Which assumption moves the result? Global sensitivity analysis with SALib, run on the experiment layer.

The method (docs/SENSITIVITY.md):

1. **Factors.** The parameters to vary are dotted schema paths (``--vary PATH`` or
   ``--vary PATH=LO:HI``) or every bounded number field of a schema section (``--section
   NAME``; the scale fields ``population.n_users`` and ``horizon_days`` are left out of a
   section — vary them by name). A range is the schema's own ``ge``/``le`` bounds
   (:func:`sim.experiments.parameter`) unless the user gives a narrower ``LO:HI``; every
   factor is uniform on its range. Integer fields map the unit interval onto their
   ``hi − lo + 1`` whole values, each equally likely (the Latin hypercube's rule).
2. **Sample.** SALib draws the sample: Morris trajectories (``SALib.sample.morris``, 4 levels,
   ``samples`` = trajectories r, r·(k+1) points) or Saltelli's extension of the Sobol'
   sequence (``SALib.sample.sobol`` without second-order terms, ``samples`` = N, a power of
   2, N·(k+2) points). Nothing here estimates an index by hand.
3. **Runs.** The sample — plus, for the tornado, each factor at its low and at its high end
   with the others at the base scenario's values — is one explicit design
   (:func:`sim.experiments.explicit`) run by :func:`sim.experiments.sweep` × ``seeds``
   replicates on the chosen backend (local process pool, Dask LocalCluster or an existing
   cluster) into the results store, under an id ``sens-...``. Replicates use **common random
   numbers**: replicate r has the same seed at every point, so two points differ by their
   parameters, not by their luck.
4. **Seed noise separated.** The indices are computed on the seed-mean KPI of each point.
   Beside them: the *seed share* — the seed variance (mean within-point variance over the
   replicates) divided by seed variance + parameter variance (the variance of the point means
   less the seed variance / replicates, at least 0): the one-way variance-components split of
   a single run's KPI over the sample into luck and parameters; and the *residual noise
   share* — the part of the seed means' variance still due to seeds (seed variance /
   replicates over the variance of the point means; an upper bound under common random
   numbers, which make differences between points less noisy than independent runs). Two intervals on
   every index: SALib's bootstrap over the sample (``num_resamples``, 90 %) and the 10–90 %
   range over resampled seeds (replicate columns drawn with replacement, indices recomputed).
5. **Tornado.** Each factor at its low and at its high end with the others at base: the
   KPI's median and 10–90 % band over the seeds at both ends, ranked by swing (|median at
   high − median at low|).

The analysis core (:func:`run_analysis`) takes a generic evaluator — a matrix of samples in,
a matrix samples × replicates of KPI values out — so the same code recovers the known Sobol'
indices of the Ishigami function in the tests. :func:`sensitivity` is that core with the
simulator (through the experiment layer) as the evaluator.

KPIs that can be "never" (``payback_day``, ``budget_bound_day`` = inf) or undefined (NaN,
e.g. ``churn_rate`` without a private pool) are analysed only when every run has a finite
value; otherwise :func:`sensitivity` refuses with one line (the runs stay stored, so another
KPI of the same id is analysed without new runs). Dropping the offending runs would break
SALib's designs and bias the indices towards the lucky part of the space.
"""

from __future__ import annotations

import difflib
import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.experiments import Backend, Store, explicit, parameter, quantiles, sweep, sweepable
from sim.experiments.design import parse_range
from sim.experiments.store import check_id, new_id
from sim.io import _jsonable, json_text
from sim.loader import load_scenario
from sim.results import KPI_INFO
from sim.scenario import Scenario

__all__ = [
    "CONF_LEVEL",
    "MAX_RUNS",
    "MAX_SEEDS",
    "MAX_SOBOL_PARAMS",
    "MAX_USER_DAYS",
    "METHODS",
    "PAGE_MAX_RUNS",
    "PAGE_MAX_USER_DAYS",
    "SCALE_FIELDS",
    "Factor",
    "Indices",
    "Problem",
    "Sensitivity",
    "analyse",
    "cast",
    "check_kpi",
    "draw",
    "factors",
    "load",
    "plan_runs",
    "run_analysis",
    "section_names",
    "sensitivity",
]

METHODS = ("morris", "sobol")
#: Runs one analysis may have (points × seeds) and simulated user-days (runs × users × days).
MAX_RUNS = 10_000
MAX_USER_DAYS = 20_000_000_000
#: The dashboard page's smaller limits (about a minute on 2 cores); the CLI takes the ones above.
PAGE_MAX_RUNS = 600
PAGE_MAX_USER_DAYS = 1_500_000_000
#: Replicates per point: at least 2 (seed noise is measured from them).
MIN_SEEDS, MAX_SEEDS = 2, 50
#: Morris trajectories r and Sobol' base samples N.
MORRIS_SAMPLES = (2, 1_000)
SOBOL_SAMPLES = (8, 8_192)
#: Sobol' indices are for "a chosen few": screen a larger set with Morris first.
MAX_SOBOL_PARAMS = 12
#: Morris grid levels (SALib's default; the elementary step is levels / (2 (levels − 1)) = 2/3 of a range).
MORRIS_LEVELS = 4
#: Confidence level of SALib's bootstrap intervals, and its resamples.
CONF_LEVEL = 0.90
NUM_RESAMPLES = 200
#: Resamples of the replicate seeds (the seed-noise interval of every index).
SEED_RESAMPLES = 100
#: Scale fields a ``--section`` leaves out (vary them by name): they set the work, not an assumption.
SCALE_FIELDS = ("population.n_users", "horizon_days")
DEFAULT_SAMPLES = {"morris": 10, "sobol": 64}

Evaluator = Callable[[np.ndarray], np.ndarray]
Progress = Callable[[int, int], None]


# ---------------------------------------------------------------------------- factors


@dataclass(frozen=True)
class Factor:
    """One varied parameter: dotted path, type, range (the schema's or the user's), base value and unit."""

    path: str
    kind: str  # "int" | "float"
    lo: float
    hi: float
    base: float
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {"path": self.path, "kind": self.kind, "lo": self.lo, "hi": self.hi, "base": self.base,
                "unit": self.unit}


def _value_at(scenario: Scenario, path: str) -> Any:
    obj: Any = scenario
    for part in path.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def _num(v: float) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def section_names() -> list[str]:
    """The schema sections a ``--section`` may name (those with bounded number fields), in schema order."""
    out: list[str] = []
    for p in sweepable(("int", "float")):
        if "." in p.path and p.path not in SCALE_FIELDS and p.lo is not None and p.hi is not None:
            head = p.path.split(".")[0]
            if head not in out:
                out.append(head)
    return out


def _section_paths(name: str) -> list[str]:
    name = str(name).strip().strip(".")
    paths = [p.path for p in sweepable(("int", "float"))
             if p.path.startswith(f"{name}.") and p.path not in SCALE_FIELDS and p.lo is not None and p.hi is not None]
    if not paths:
        known = section_names()
        hint = difflib.get_close_matches(name, known, n=1)
        extra = f"did you mean '{hint[0]}'? " if hint else ""
        raise ScenarioError(f"unknown section {name!r} (no number fields to vary); {extra}sections: {', '.join(known)}")
    return paths


def _parse_vary(text: str) -> tuple[str, tuple[float, float] | None]:
    """``PATH`` (the schema's range) or ``PATH=LO:HI``."""
    return parse_range(text, "--vary")


def factors(base: Scenario, vary: Mapping[str, tuple[float, float] | None] | Sequence[str] | None = None,
            sections: Sequence[str] = ()) -> list[Factor]:  # noqa: A002 - the option's name
    """The varied parameters: ``vary`` (paths, ``PATH=LO:HI`` texts or ``{path: (lo, hi) | None}``) and every field of ``sections``.

    A path given in ``vary`` takes its range from there; section fields take the schema's.

    Raises:
        ScenarioError: An unknown path or section, a field that is not a number, a range
            outside the schema's bounds, empty or reversed, a path given twice (one line each).
    """
    wanted: dict[str, tuple[float, float] | None] = {}
    items: list[tuple[str, tuple[float, float] | None]]
    if vary is None:
        items = []
    elif isinstance(vary, Mapping):
        items = [(str(k), None if v is None else (v[0], v[1])) for k, v in vary.items()]
    elif isinstance(vary, str):
        items = [_parse_vary(vary)]
    else:
        items = [_parse_vary(v) for v in vary]
    for key, rng in items:
        if key in wanted:
            raise ScenarioError(f"--vary {key} is given twice; give it once")
        wanted[key] = rng
    for sec in sections:
        for path in _section_paths(sec):
            wanted.setdefault(path, None)
    if not wanted:
        raise ScenarioError("give what to vary: --vary PATH[=LO:HI] (repeatable) or --section NAME "
                            f"(sections: {', '.join(section_names())})")
    out = []
    for path, rng in wanted.items():
        par = parameter(path)
        if not par.numeric:
            what = f"one of {', '.join(par.choices)}" if par.choices else par.kind
            raise ScenarioError(f"{path} is a {par.kind} field ({what}); sensitivity varies number fields only")
        lo, hi = par.checked_range(rng, "--vary")
        base_value = float(_value_at(base, path))
        out.append(Factor(path=path, kind=par.kind, lo=lo, hi=hi, base=base_value, unit=par.unit))
    return out


def check_kpi(kpi: str) -> str:
    """Refuse a KPI the runner does not report: one line listing the known ones."""
    if kpi in KPI_INFO:
        return kpi
    hint = difflib.get_close_matches(str(kpi), list(KPI_INFO), n=1)
    extra = f"did you mean '{hint[0]}'? " if hint else ""
    raise ScenarioError(f"unknown KPI {kpi!r}; {extra}known KPIs: {', '.join(KPI_INFO)}")


# ---------------------------------------------------------------------------- the analysis core


@dataclass(frozen=True)
class Problem:
    """SALib's problem: names, bounds and which factors are whole numbers."""

    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    integer: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        if not self.integer:
            object.__setattr__(self, "integer", tuple(False for _ in self.names))

    @property
    def k(self) -> int:
        """Number of factors."""
        return len(self.names)

    def salib(self) -> dict[str, Any]:
        """The dict SALib's samplers and analysers take."""
        return {"num_vars": self.k, "names": list(self.names), "bounds": [list(b) for b in self.bounds]}

    @classmethod
    def of(cls, facs: Sequence[Factor]) -> Problem:
        """The problem of a list of factors."""
        return cls(tuple(f.path for f in facs), tuple((f.lo, f.hi) for f in facs),
                   tuple(f.kind == "int" for f in facs))


def sample_rows(method: str, samples: int, k: int) -> int:
    """Points SALib's sample has: Morris r·(k+1), Sobol' (no second order) N·(k+2)."""
    return samples * (k + 1) if method == "morris" else samples * (k + 2)


def draw(problem: Problem, method: str, samples: int, seed: int = 0) -> np.ndarray:
    """SALib's sample (continuous, on the bounds): Morris trajectories or Saltelli's Sobol' design."""
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    if method == "morris":
        return morris_sample.sample(problem.salib(), int(samples), num_levels=MORRIS_LEVELS, seed=int(seed))
    return sobol_sample.sample(problem.salib(), int(samples), calc_second_order=False, scramble=True, seed=int(seed))


def cast(problem: Problem, x: np.ndarray) -> np.ndarray:
    """The values the model runs: clipped to the bounds; whole-number factors onto their hi − lo + 1 values."""
    out = np.array(x, dtype=float, copy=True)
    for j, ((lo, hi), is_int) in enumerate(zip(problem.bounds, problem.integer, strict=True)):
        col = np.clip(out[:, j], lo, hi)
        if is_int:
            n = int(hi - lo) + 1
            u = (col - lo) / (hi - lo)
            col = lo + np.minimum(n - 1, np.floor(u * n))
        out[:, j] = col
    return out


@dataclass
class Indices:
    """What :func:`analyse` returns: the index table, seed-noise figures and the raw sample."""

    method: str
    table: pd.DataFrame
    seed_share: float
    residual_noise_share: float
    kpi_mean: float
    kpi_sd: float
    x: np.ndarray
    y: np.ndarray


def _salib(problem: Problem, method: str, x: np.ndarray, ybar: np.ndarray, num_resamples: int,
           seed: int) -> dict[str, np.ndarray]:
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "morris":
            res = morris_analyze.analyze(problem.salib(), x, ybar, num_resamples=num_resamples,
                                         conf_level=CONF_LEVEL, num_levels=MORRIS_LEVELS, seed=seed)
            return {k: np.asarray(res[k], dtype=float) for k in ("mu", "mu_star", "sigma", "mu_star_conf")}
        res = sobol_analyze.analyze(problem.salib(), ybar, calc_second_order=False, num_resamples=num_resamples,
                                    conf_level=CONF_LEVEL, seed=seed)
        return {k: np.asarray(res[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf")}


def analyse(problem: Problem, method: str, x: np.ndarray, y: np.ndarray, seed: int = 0,
            num_resamples: int = NUM_RESAMPLES, seed_resamples: int = SEED_RESAMPLES) -> Indices:
    """Indices of the seed-mean of ``y`` (samples × replicates) over SALib's sample ``x``, with both intervals.

    Raises:
        ScenarioError: ``y`` has non-finite values, fewer than 2 replicates, or no variance.
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 2 or y.shape[0] != len(x):
        raise ValueError(f"y must be samples × replicates ({len(x)} rows), got shape {y.shape}")
    if y.shape[1] < MIN_SEEDS:
        raise ScenarioError(f"seeds must be at least {MIN_SEEDS}: seed noise is measured from the replicates")
    bad = int((~np.isfinite(y)).sum())
    if bad:
        raise ScenarioError(f"{bad} of {y.size} KPI values are not finite; indices need a finite value in every run")
    ybar = y.mean(axis=1)
    total = float(y.var(ddof=1))
    spread = float(ybar.var(ddof=1))
    if not total > 0 or not spread > 0:
        raise ScenarioError(f"the KPI does not change over these ranges (every point's mean is {ybar[0]:g}); "
                            "there is nothing to attribute — widen the ranges or pick another KPI")
    reps = y.shape[1]
    # one-way variance components: seed noise within a point, parameter effects between points
    within = float(y.var(axis=1, ddof=1).mean())
    between = max(0.0, spread - within / reps)
    est = _salib(problem, method, x, ybar, num_resamples, seed)
    keys = ("mu_star", "sigma", "mu") if method == "morris" else ("S1", "ST")
    rng = np.random.default_rng(seed)
    boot = {k: [] for k in keys}
    for _ in range(int(seed_resamples)):
        cols = rng.integers(0, reps, reps)
        res = _salib(problem, method, x, y[:, cols].mean(axis=1), 2, seed)
        for k in keys:
            boot[k].append(res[k])
    rows = []
    for j, name in enumerate(problem.names):
        row: dict[str, Any] = {"parameter": name}
        if method == "morris":
            half = est["mu_star_conf"][j]
            row.update(mu_star=est["mu_star"][j], mu_star_lo=max(0.0, est["mu_star"][j] - half),
                       mu_star_hi=est["mu_star"][j] + half, mu=est["mu"][j], sigma=est["sigma"][j])
        else:
            for k in keys:
                row.update({k: est[k][j], f"{k}_lo": est[k][j] - est[f"{k}_conf"][j],
                            f"{k}_hi": est[k][j] + est[f"{k}_conf"][j]})
        for k in keys[:2]:
            vals = np.asarray([b[j] for b in boot[k]], dtype=float)
            vals = vals[np.isfinite(vals)]
            q10, q90 = (np.quantile(vals, [0.1, 0.9]) if len(vals) else (math.nan, math.nan))
            row.update({f"{k}_seed_q10": float(q10), f"{k}_seed_q90": float(q90)})
        rows.append(row)
    table = pd.DataFrame(rows)
    order = "mu_star" if method == "morris" else "ST"
    table["rank"] = table[order].rank(ascending=False, method="first").astype(int)
    table = table.sort_values("rank", ignore_index=True)
    return Indices(method=method, table=table, seed_share=within / (within + between) if within + between > 0 else 0.0,
                   residual_noise_share=min(1.0, (within / reps) / spread),
                   kpi_mean=float(y.mean()), kpi_sd=math.sqrt(total), x=np.asarray(x), y=y)


def run_analysis(problem: Problem, evaluate: Evaluator, method: str = "morris", samples: int | None = None,
                 seed: int = 0, num_resamples: int = NUM_RESAMPLES, seed_resamples: int = SEED_RESAMPLES) -> Indices:
    """The analysis core: draw SALib's sample, evaluate it, analyse the seed-mean.

    Args:
        problem: The factors' names, bounds and integer flags.
        evaluate: Samples × factors (as :func:`cast` gives them) → samples × replicates of KPI values.
        method: ``"morris"`` or ``"sobol"``.
        samples: Morris trajectories r, or Sobol' base samples N (a power of 2).
        seed: Seed of the sample, SALib's bootstrap and the seed resampling.
        num_resamples: SALib's bootstrap resamples.
        seed_resamples: Resamples of the replicate columns.

    Returns:
        The :class:`Indices`.
    """
    if method not in METHODS:
        raise ScenarioError(f"method {method!r} must be one of {', '.join(METHODS)}")
    samples = DEFAULT_SAMPLES[method] if samples is None else samples
    x = draw(problem, method, samples, seed)
    y = np.asarray(evaluate(cast(problem, x)), dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    return analyse(problem, method, x, y, seed=seed, num_resamples=num_resamples, seed_resamples=seed_resamples)


# ---------------------------------------------------------------------------- the simulator as evaluator


def _check_int(value: Any, option: str, lo: int, hi: int, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ScenarioError(f"{option} must be a whole number from {lo:,} to {hi:,} (got {value!r})")
    if not lo <= value <= hi:
        raise ScenarioError(f"{option} must be {lo:,} to {hi:,}{why} (got {value:,})")
    return int(value)


def plan_runs(base: Scenario, facs: Sequence[Factor], method: str, samples: int, seeds: int,
              tornado: bool = True, max_runs: int = MAX_RUNS, max_user_days: int = MAX_USER_DAYS
              ) -> tuple[int, int, int]:
    """(design points, runs, simulated user-days) of an analysis; refuse one above the limits (one line).

    Raises:
        ScenarioError: A bad method, samples or seeds, Sobol' over too many parameters, or more
            than :data:`MAX_RUNS` runs / :data:`MAX_USER_DAYS` user-days.
    """
    if method not in METHODS:
        raise ScenarioError(f"--method {method!r} must be one of {', '.join(METHODS)}")
    seeds = _check_int(seeds, "--seeds", MIN_SEEDS, MAX_SEEDS, " (seed noise is measured from the replicates)")
    k = len(facs)
    if method == "morris":
        samples = _check_int(samples, "--samples", *MORRIS_SAMPLES, " Morris trajectories")
    else:
        samples = _check_int(samples, "--samples", *SOBOL_SAMPLES, " Sobol' base samples")
        if samples & (samples - 1):
            lower = 1 << (samples.bit_length() - 1)
            raise ScenarioError(f"--samples {samples} for sobol must be a power of 2 (e.g. {lower} or {lower * 2}), "
                                "so the Sobol' sequence keeps its balance")
        if k > MAX_SOBOL_PARAMS:
            raise ScenarioError(f"sobol over {k} parameters is too many (at most {MAX_SOBOL_PARAMS}); "
                                "screen them with --method morris first and give Sobol' the few that matter")
    points = sample_rows(method, samples, k) + (2 * k + 1 if tornado else 0)
    runs = points * seeds
    by = {f.path: f.hi for f in facs}
    users = int(max(base.population.n_users, by.get("population.n_users", 0)))
    days = int(max(base.horizon_days, by.get("horizon_days", 0)))
    user_days = runs * users * days
    if runs > max_runs or user_days > max_user_days:
        what = (f"{samples} trajectories × ({k} + 1)" if method == "morris" else f"{samples} × ({k} + 2)")
        raise ScenarioError(f"{method} over {k} parameter{'s' if k != 1 else ''} is {runs:,} runs ({what} points"
                            f"{' + the tornado' if tornado else ''}, × {seeds} seeds; {user_days:.2g} user-days), "
                            f"above the limit of {max_runs:,} runs or {max_user_days:.0e} user-days; "
                            "use fewer samples, seeds or parameters, or fewer users or days")
    return points, runs, user_days


def _point(facs: Sequence[Factor], values: Sequence[float]) -> dict[str, Any]:
    return {f.path: (int(round(v)) if f.kind == "int" else float(v)) for f, v in zip(facs, values, strict=True)}


def _design_points(facs: Sequence[Factor], values: np.ndarray, tornado: bool) -> list[dict[str, Any]]:
    points = [_point(facs, row) for row in values]
    if tornado:
        base = [f.base for f in facs]
        points.append(_point(facs, base))
        for j, f in enumerate(facs):
            for end in (f.lo, f.hi):
                row = list(base)
                row[j] = end
                points.append(_point(facs, row))
    return points


def _validate(base: Scenario, points: Sequence[Mapping[str, Any]], n_sample: int) -> None:
    bad: list[tuple[int, str]] = []
    for i, pt in enumerate(points):
        try:
            base.with_overrides(dict(pt))
        except ScenarioError as err:
            bad.append((i, str(err)))
    if bad:
        i, err = bad[0]
        where = "sample point" if i < n_sample else "tornado point"
        raise ScenarioError(f"{len(bad)} of {len(points)} points break a rule of the scenario, e.g. {where} {i}: {err}; "
                            "narrow the ranges with --vary PATH=LO:HI so every combination is allowed")


def _kpi_matrix(table: pd.DataFrame, kpi: str, points: int, seeds: int) -> np.ndarray:
    m = table.pivot(index="point", columns="replicate", values=kpi).sort_index().sort_index(axis=1)
    if m.shape != (points, seeds):
        raise ScenarioError(f"the experiment holds {m.size} of {points * seeds} runs; nothing is analysed")
    return m.to_numpy(dtype=float)


def _not_finite_text(kpi: str, y: np.ndarray, experiment_id: str | None) -> str:
    inf = int(np.isinf(y).sum())
    nan = int(np.isnan(y).sum())
    what = []
    if inf:
        what.append(f"never (inf) in {inf}")
    if nan:
        what.append(f"undefined (NaN) in {nan}")
    kept = (f"; the runs are stored as {experiment_id} — reuse that id with another KPI to analyse it "
            "without new runs") if experiment_id else ""
    alt = {"payback_day": " (for payback, paid_back is its probability)",
           "discounted_payback_day": " (for discounted payback, paid_back_discounted is its probability)"}.get(kpi, "")
    return (f"KPI {kpi} is {' and '.join(what)} of {y.size} runs; sensitivity needs a finite value in every run, "
            f"so no index is computed — pick another KPI{alt} or narrow the ranges{kept}")


@dataclass
class Sensitivity:
    """The result of :func:`sensitivity`: the index table, the tornado, seed noise, and where the runs are.

    ``table`` has one row per parameter, ranked (Morris: ``mu_star`` with its 90 % bootstrap
    interval ``mu_star_lo``/``_hi``, ``mu``, ``sigma``; Sobol': ``S1``, ``ST`` with theirs),
    the 10–90 % range of each index over resampled seeds (``*_seed_q10``/``_q90``) and the
    range. ``tornado`` one row per parameter, by swing. ``seed_share`` is the share of the KPI's
    variance over the sample due to seeds.
    """

    method: str
    kpi: str
    scenario: str
    factors: list[Factor]
    table: pd.DataFrame
    tornado: pd.DataFrame
    base_band: dict[str, float]
    seed_share: float
    residual_noise_share: float
    kpi_mean: float
    kpi_sd: float
    samples: int
    seeds: int
    points: int
    runs: int
    seed: int
    id: str | None = None
    store: str | None = None
    status: str = "complete"
    backend: dict[str, Any] = field(default_factory=dict)
    wall_seconds: float | None = None

    @property
    def complete(self) -> bool:
        """True when every run of the analysis is stored and the indices cover them."""
        return self.status == "complete"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (non-finite numbers become ``None`` when written)."""
        return _jsonable({
            "kind": "sensitivity", "id": self.id, "store": self.store, "status": self.status,
            "method": self.method, "kpi": self.kpi, "kpi_label": KPI_INFO[self.kpi][0], "kpi_unit": KPI_INFO[self.kpi][1],
            "scenario": self.scenario, "samples": self.samples, "seeds": self.seeds, "points": self.points,
            "runs": self.runs, "seed": self.seed, "conf_level": CONF_LEVEL,
            "seed_share": self.seed_share, "residual_noise_share": self.residual_noise_share,
            "kpi_mean": self.kpi_mean, "kpi_sd": self.kpi_sd, "base_band": self.base_band,
            "backend": self.backend, "wall_seconds": self.wall_seconds,
            "parameters": [f.to_dict() for f in self.factors],
            "indices": self.table.to_dict(orient="records"),
            "tornado": self.tornado.to_dict(orient="records"),
        })

    def to_json(self) -> str:
        """One strict JSON document (NaN and ±inf are ``null``)."""
        return json_text(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sensitivity:
        """Inverse of :meth:`to_dict` (``None`` numbers come back as NaN)."""
        def num(v: Any) -> float:
            return math.nan if v is None else float(v)

        facs = [Factor(**{k: p[k] for k in ("path", "kind", "lo", "hi", "base", "unit")}) for p in data["parameters"]]
        table = pd.DataFrame(data["indices"]).fillna(value=np.nan)
        tornado = pd.DataFrame(data["tornado"]).fillna(value=np.nan)
        return cls(method=data["method"], kpi=data["kpi"], scenario=data["scenario"], factors=facs, table=table,
                   tornado=tornado, base_band={k: num(v) for k, v in data["base_band"].items()},
                   seed_share=num(data["seed_share"]), residual_noise_share=num(data["residual_noise_share"]),
                   kpi_mean=num(data["kpi_mean"]), kpi_sd=num(data["kpi_sd"]), samples=int(data["samples"]),
                   seeds=int(data["seeds"]), points=int(data["points"]), runs=int(data["runs"]),
                   seed=int(data["seed"]), id=data.get("id"), store=data.get("store"),
                   status=str(data.get("status", "complete")), backend=dict(data.get("backend") or {}),
                   wall_seconds=data.get("wall_seconds"))


def _tornado(facs: Sequence[Factor], m: np.ndarray, start: int) -> tuple[pd.DataFrame, dict[str, float]]:
    q = lambda row: quantiles(row)  # noqa: E731 - inf is the largest value, NaN left out
    b10, b50, b90 = q(m[start])
    rows = []
    for j, f in enumerate(facs):
        lo10, lo50, lo90 = q(m[start + 1 + 2 * j])
        hi10, hi50, hi90 = q(m[start + 2 + 2 * j])
        rows.append({"parameter": f.path, "lo": f.lo, "hi": f.hi, "base": f.base,
                     "low_q10": lo10, "low_q50": lo50, "low_q90": lo90,
                     "high_q10": hi10, "high_q50": hi50, "high_q90": hi90,
                     "swing": abs(hi50 - lo50)})
    df = pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable", ignore_index=True)
    return df, {"q10": b10, "q50": b50, "q90": b90}


def attachment_name(kpi: str) -> str:
    """The name the store keeps an analysis of ``kpi`` under (``analysis/sensitivity-<kpi>.json``)."""
    return f"sensitivity-{kpi}"


def sensitivity(scenario: Scenario | str | os.PathLike[str], method: str = "morris",
                vary: Mapping[str, tuple[float, float] | None] | Sequence[str] | None = None,
                sections: Sequence[str] = (), kpi: str = "cum_profit", samples: int | None = None,  # noqa: A002
                seeds: int = 3, *, backend: Backend | None = None, store: Store | str | os.PathLike[str] | None | bool = None,
                id: str | None = None, seed: int = 0, tornado: bool = True,  # noqa: A002 - the store's word
                progress: Progress | None = None) -> Sensitivity:
    """Which parameters move ``kpi``? Morris screening or Sobol' indices, every run through the experiment layer.

    Args:
        scenario: The base scenario (a :class:`sim.Scenario`, a shipped name or a YAML path).
        method: ``"morris"`` (screening many) or ``"sobol"`` (first-order and total indices of a few).
        vary: Paths to vary — ``["strategy.ad_posts_per_day", "trust.initial=0.2:0.6"]`` or
            ``{path: (lo, hi) | None}``; ``None`` ranges are the schema's bounds.
        sections: Schema sections whose every bounded number field is varied (schema ranges).
        kpi: Any KPI of :data:`sim.KPI_INFO`.
        samples: Morris trajectories (default 10) or Sobol' base samples N (a power of 2, default 64).
        seeds: Replicates per point (2 to :data:`MAX_SEEDS`), common random numbers.
        backend: Where runs execute (default: a local process pool on every CPU).
        store: A :class:`Store` or its directory (default: :func:`sim.experiments.resolve_store`);
            ``False`` keeps the runs in memory.
        id: The experiment id (default ``sens-<time>-<hex>``); an id holding the same analysis is
            resumed (stored runs are not run again), so another KPI of it costs no runs.
        seed: Seed of SALib's sample, of the run seeds and of the bootstraps.
        tornado: Also run each parameter at its low and high end with the others at base.
        progress: ``progress(done, total)`` in runs.

    Returns:
        The :class:`Sensitivity`; the analysis is also stored beside its runs (:meth:`Store.attach`).

    Raises:
        ScenarioError: Any bad input (one line) before the first run; a KPI that is not finite in
            every run, or does not vary, after the runs (they stay stored).
    """
    import time

    t0 = time.perf_counter()
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    check_kpi(kpi)
    if method not in METHODS:
        raise ScenarioError(f"--method {method!r} must be one of {', '.join(METHODS)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ScenarioError(f"--seed must be a non-negative whole number (got {seed!r})")
    facs = factors(base, vary, sections)
    samples = DEFAULT_SAMPLES[method] if samples is None else samples
    n_points, n_runs, _ = plan_runs(base, facs, method, samples, seeds, tornado)
    experiment_id = check_id(id) if id is not None else None
    the_store = None if store is False else (store if isinstance(store, Store) else Store(
        None if store is None or store is True else store))
    if the_store is not None and experiment_id is None:
        experiment_id = new_id("sens")
    problem = Problem.of(facs)
    n_sample = sample_rows(method, samples, len(facs))
    holder: dict[str, Any] = {}

    def evaluate(values: np.ndarray) -> np.ndarray:
        points = _design_points(facs, values, tornado)
        _validate(base, points, n_sample)
        design = explicit(points, name="sensitivity")
        design = replace(design, spec={"source": "sensitivity", "method": method, "samples": int(samples),
                                       "seed": int(seed), "sample_points": n_sample, "tornado": bool(tornado),
                                       "ranges": {f.path: [f.lo, f.hi] for f in facs}})
        result = sweep(base, design, seeds, backend=backend, store=the_store if the_store is not None else False,
                       id=experiment_id, experiment_seed=int(seed), progress=progress)
        holder["result"] = result
        if not result.complete:
            raise ScenarioError(f"the experiment {experiment_id} is partial ({result.manifest.get('runs_done')} of "
                                f"{result.manifest.get('runs_total')} runs); nothing is analysed — run it again to resume")
        m = _kpi_matrix(result.table, kpi, len(points), seeds)
        if not np.isfinite(m).all():
            raise ScenarioError(_not_finite_text(kpi, m, experiment_id))
        holder["matrix"] = m
        return m[:n_sample]

    try:
        ind = run_analysis(problem, evaluate, method, samples, seed=int(seed))
    except ScenarioError as err:
        stored = holder.get("result")
        if stored is None or stored.id is None or "stored as" in str(err):
            raise
        raise ScenarioError(f"{err}; the runs are stored as {stored.id} — reuse that id with another KPI to "
                            "analyse it without new runs") from None
    if tornado:
        torn, base_band = _tornado(facs, holder["matrix"], n_sample)
    else:
        torn, base_band = pd.DataFrame(columns=["parameter", "swing"]), {}
    table = ind.table.merge(pd.DataFrame([{"parameter": f.path, "lo": f.lo, "hi": f.hi, "base": f.base,
                                           "unit": f.unit} for f in facs]), on="parameter", how="left")
    sweep_result = holder["result"]
    out = Sensitivity(method=method, kpi=kpi, scenario=base.name, factors=list(facs), table=table, tornado=torn,
                      base_band=base_band, seed_share=ind.seed_share, residual_noise_share=ind.residual_noise_share,
                      kpi_mean=ind.kpi_mean, kpi_sd=ind.kpi_sd, samples=int(samples), seeds=int(seeds),
                      points=n_points, runs=n_runs, seed=int(seed), id=sweep_result.id,
                      store=str(the_store.root) if the_store is not None else None,
                      status="complete", backend=dict(sweep_result.manifest.get("backend") or {}),
                      wall_seconds=round(time.perf_counter() - t0, 3))
    if the_store is not None and sweep_result.id is not None:
        the_store.attach(sweep_result.id, attachment_name(kpi), out.to_dict())
    return out


def load(experiment_id: str, kpi: str | None = None, store: Store | str | os.PathLike[str] | None = None) -> Sensitivity:
    """Reopen a stored analysis by experiment id (and KPI, when several were analysed)."""
    the_store = store if isinstance(store, Store) else Store(store)
    names = [n for n in the_store.attachments(experiment_id) if n.startswith("sensitivity-")]
    if kpi is not None:
        name = attachment_name(check_kpi(kpi))
        if name not in names:
            done = ", ".join(n.removeprefix("sensitivity-") for n in names) or "none"
            raise ScenarioError(f"experiment {experiment_id!r} has no sensitivity analysis of {kpi} (analysed: {done})")
    elif not names:
        raise ScenarioError(f"experiment {experiment_id!r} holds no sensitivity analysis")
    else:
        name = names[0]
    return Sensitivity.from_dict(the_store.attachment(experiment_id, name))
