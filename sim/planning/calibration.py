"""Calibration: what a pilot's numbers imply about the unknown parameters (ABC-SMC with pyabc).

:func:`calibrate` takes a scenario (what the merchant did: strategy, product, population
size), a pilot (:mod:`sim.planning.pilot`: the merchant's own daily or weekly counts) and the
parameters to fit (market and behaviour fields, e.g. ``public.platform_conversion``), and
returns a :class:`Calibration`: a posterior as weighted particles, per parameter the weighted
median and 90 % interval, a posterior-predictive forecast to the scenario's horizon with
10–90 % bands, and a calibrated scenario (the base with the fitted medians).

The method (docs/CALIBRATION.md):

- **Priors** uniform on each field's schema bounds, or on the user's ``LO:HI`` inside them.
- **Simulator**: the scenario with the particle's values, horizon = the pilot's span, and a
  fresh seed per simulation (drawn from numpy's global generator, which pyabc seeds), so seed
  noise is inside the posterior.
- **Summary statistics**: the pilot's series on the pilot's rows (a weekly pilot compares
  weekly sums of flows and week-end stocks), each divided by its scale
  ``s_k = max(mean of the pilot series k, 1)`` and by ``√n_k`` (its number of rows).
- **Distance**: pyabc's ``PNormDistance(p=2)`` on those scaled statistics, i.e.
  ``d = √(Σ_k mean_t ((sim_kt − obs_kt) / s_k)²)`` — every series counts the same, whatever
  its unit or length; the thresholds ε shrink by pyabc's ``MedianEpsilon``.
- **Stopping**: ``budget`` simulations in all (``max_total_nr_simulations``; pyabc checks it
  between generations, so the last generation completes and the count can pass the budget by
  up to one generation — the true count is reported), ``generations`` populations, or
  ``min_epsilon``.
- **Where it runs**: one process (``SingleCoreSampler``, reproducible by ``seed``), local
  worker processes (``MulticoreEvalParallelSampler``; pyabc reseeds its workers, so results
  vary from run to run within the posterior's noise), or a Dask cluster
  (``DaskDistributedSampler`` on a :class:`sim.experiments.DaskBackend`'s client). The
  posterior-predictive forecast runs through the same :mod:`sim.experiments` backend.
- **Store**: the experiment ``calib-…`` in the results store holds the pyabc database
  (``abc.db``), the final posterior (``posterior.parquet``: particles and weights), the pilot
  (``pilot.csv``) and, as its runs table, the forecast runs (one row per posterior draw:
  seed, fitted values, KPIs; their daily tables under ``daily/``). Its manifest is
  ``partial`` until the last forecast run is stored.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.errors import ScenarioError, cut
from sim.experiments.design import Parameter, parameter, parse_range
from sim.experiments.seeds import run_seed
from sim.planning.pilot import Pilot, aggregate, read_pilot
from sim.scenario import Scenario

__all__ = [
    "MIN_POPULATION",
    "REFUSED",
    "Calibration",
    "FitParameter",
    "calibrate",
    "fit_parameters",
    "load_calibration",
    "parse_fit",
    "weighted_quantile",
]

#: Sections and fields that say what the merchant did: set them in the scenario, never fit them.
REFUSED = ("strategy", "budget", "shocks", "horizon_days", "population.n_users")
MIN_POPULATION = 20
MAX_POPULATION = 1_000
MAX_BUDGET = 1_000_000
MAX_FORECAST = 500
KIND = "calibration"
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FitParameter:
    """A fitted parameter: its schema field, and the prior's range (uniform on ``[lo, hi]``)."""

    path: str
    lo: float
    hi: float
    unit: str = ""
    description: str = ""

    @property
    def key(self) -> str:
        """The parameter's name inside pyabc (dots are not used there)."""
        return self.path.replace(".", "__")

    @property
    def width(self) -> float:
        """The prior's width ``hi − lo``."""
        return self.hi - self.lo

    def to_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"path": self.path, "prior": "uniform", "lo": self.lo, "hi": self.hi, "unit": self.unit}


def parse_fit(text: str) -> tuple[str, tuple[float, float] | None]:
    """Parse one ``--fit`` option: ``PATH`` (the schema's range) or ``PATH=LO:HI``."""
    return parse_range(text, "--fit")


def _fit_parameter(path: str, rng: tuple[float, float] | None) -> FitParameter:
    par: Parameter = parameter(path)
    for refused in REFUSED:
        if path == refused or path.startswith(refused + "."):
            raise ScenarioError(
                f"--fit {path}: {refused} is what the merchant did, not an unknown; set it in the scenario "
                "and fit market and behaviour parameters (public, population, product, trust, fatigue, "
                "community, purchase, referral, fulfilment...)")
    if par.kind != "float":
        raise ScenarioError(f"--fit {path} is a {par.kind} field; only decimal-number fields can be fitted")
    lo, hi = par.checked_range(rng, "--fit")
    return FitParameter(path=path, lo=lo, hi=hi, unit=par.unit, description=par.description)


def fit_parameters(fit: Mapping[str, tuple[float, float] | None] | Sequence[str]) -> list[FitParameter]:
    """Check what to fit: ``{path: (lo, hi) or None}`` or ``["path", "path=LO:HI", ...]``.

    Raises:
        ScenarioError: An unknown or refused path, a non-decimal field, a range outside the
            schema's bounds, an empty or reversed range, a path given twice, nothing to fit.
    """
    items: list[tuple[str, tuple[float, float] | None]]
    if isinstance(fit, Mapping):
        items = [(str(k).strip(), None if v is None else (float(v[0]), float(v[1]))) for k, v in fit.items()]
    else:
        items = [parse_fit(s) for s in fit]
    if not items:
        raise ScenarioError("give at least one parameter to fit: --fit PATH or --fit PATH=LO:HI")
    seen: set[str] = set()
    out = []
    for path, rng in items:
        if path in seen:
            raise ScenarioError(f"--fit {path} is given twice")
        seen.add(path)
        out.append(_fit_parameter(path, rng))
    return out


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of weighted values (linear between the weights' mid-points)."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    if not len(v):
        return math.nan
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    total = w.sum()
    if total <= 0:
        return float(np.quantile(v, q))
    cum = (np.cumsum(w) - 0.5 * w) / total
    return float(np.interp(q, cum, v))


# ---------------------------------------------------------------------------- the simulator


class _Simulator:
    """pyabc's model: particle → scenario with its values → one run with a fresh seed → scaled series.

    A module-level class (not a closure), so it forks and pickles to Dask workers as it is.
    """

    def __init__(self, base: Scenario, pilot: Pilot, params: Sequence[FitParameter],
                 scales: Mapping[str, float]) -> None:
        self.base = base
        self.pilot = pilot
        self.params = list(params)
        self.scales = dict(scales)

    def values(self, pars: Mapping[str, float]) -> dict[str, float]:
        """The particle as dotted-path overrides, clipped to the prior's range."""
        return {p.path: float(min(max(float(pars[p.key]), p.lo), p.hi)) for p in self.params}

    def __call__(self, pars: Mapping[str, float]) -> dict[str, np.ndarray]:
        from sim.runner import simulate

        seed = int(np.random.randint(0, 2**31 - 1))  # fresh seed per simulation: noise inside the posterior
        scenario = self.base.with_overrides(self.values(pars))
        daily = simulate(scenario, seed).daily
        return scale_stats(self.pilot.simulated(daily), self.scales)


def scale_stats(series: Mapping[str, np.ndarray], scales: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Series ÷ (scale × √rows): the summary statistics the p = 2 distance compares."""
    return {k: np.asarray(v, dtype=float) / (scales[k] * math.sqrt(len(v))) for k, v in series.items()}


def series_scales(pilot: Pilot) -> dict[str, float]:
    """Per series ``max(mean of the pilot's values, 1)`` (see the module text)."""
    return {k: max(float(np.mean(v)), 1.0) for k, v in pilot.series.items()}


#: Work per Dask task (user-days): small runs are batched so task overhead stays small.
DASK_TASK_USER_DAYS = 2_000_000


def _sampler(backend: Any, workers: int, user_days: int = 0):
    import pyabc

    if backend is not None and getattr(backend, "name", "") == "dask":
        batch = int(min(8, max(1, DASK_TASK_USER_DAYS // max(1, user_days))))
        return pyabc.sampler.DaskDistributedSampler(dask_client=backend.client, batch_size=batch), "dask"
    if workers > 1:
        return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers), "multicore"
    return pyabc.sampler.SingleCoreSampler(), "single-core"


@contextlib.contextmanager
def _seeded(seed: int):
    """Seed numpy's global generator (pyabc draws from it) and restore it afterwards."""
    state = np.random.get_state()
    np.random.seed(int(seed) % (2**32))
    try:
        yield
    finally:
        np.random.set_state(state)


@contextlib.contextmanager
def _quiet_pyabc():
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in ("ABC", "pyabc")]
    loggers = [logging.getLogger(n) for n in ("ABC", "pyabc", *names)]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, lv in zip(loggers, levels, strict=True):
            lg.setLevel(lv)


# ---------------------------------------------------------------------------- the result


@dataclass
class Calibration:
    """The result of :func:`calibrate` (or :func:`load_calibration`).

    Attributes:
        base: The scenario calibrated (full horizon; what the merchant did).
        pilot: The pilot it was calibrated to.
        parameters: The fitted parameters and their priors.
        particles: The final population: one row per particle, one column per path.
        weights: The particles' normalised weights.
        generations: Per ABC generation ``t``: ``epsilon``, ``samples`` (simulations), ``particles``.
        runs: Simulations the ABC-SMC used in all (the calibration sample included).
        forecast_daily: The posterior-predictive runs to the horizon, long form: ``draw``,
            ``seed``, ``day`` and the pilot's series (plus ``cum_profit``).
        forecast_kpis: One row per forecast run: ``draw``, ``seed``, the drawn values, the KPIs.
        info: How it was run: sampler, workers, budget, population, seed, wall seconds.
        id: The store id (``None`` when not stored).
    """

    base: Scenario
    pilot: Pilot
    parameters: list[FitParameter]
    particles: pd.DataFrame
    weights: np.ndarray
    generations: pd.DataFrame
    runs: int
    forecast_daily: pd.DataFrame
    forecast_kpis: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    store: Any = None
    base_ref: str | None = None

    @property
    def paths(self) -> list[str]:
        """The fitted paths, in the order given."""
        return [p.path for p in self.parameters]

    def summary(self) -> dict[str, dict[str, float]]:
        """Per path: weighted ``median``, ``q05``, ``q95`` (the 90 % interval), the prior, ``shrinkage``.

        ``shrinkage`` is the 90 % interval's width over the prior's: below 1, the pilot told us something.
        """
        out = {}
        for p in self.parameters:
            v = self.particles[p.path].to_numpy(dtype=float)
            q05, q50, q95 = (weighted_quantile(v, self.weights, q) for q in (0.05, 0.5, 0.95))
            out[p.path] = {"median": q50, "q05": q05, "q95": q95, "prior_lo": p.lo, "prior_hi": p.hi,
                           "shrinkage": (q95 - q05) / p.width, "unit": p.unit}
        return out

    def medians(self) -> dict[str, float]:
        """The fitted medians, ``{path: value}``."""
        return {k: v["median"] for k, v in self.summary().items()}

    def forecast(self, series: str | None = None, qs: Sequence[float] = (0.1, 0.5, 0.9)) -> pd.DataFrame:
        """Posterior-predictive bands per day to the horizon: ``day``, ``series``, ``q10``, ``q50``, ``q90``.

        One series (a pilot column or ``cum_profit``) or all of them.
        """
        names = [series] if series else [c for c in self.forecast_daily.columns if c not in ("draw", "seed", "day")]
        rows = []
        for name in names:
            if name not in self.forecast_daily.columns:
                raise ScenarioError(f"no forecast of {name!r}; it has: {', '.join(names)}")
            wide = self.forecast_daily.pivot(index="day", columns="draw", values=name).to_numpy(dtype=float)
            bands = np.quantile(wide, list(qs), axis=1)
            frame = pd.DataFrame({"day": np.arange(wide.shape[0]), "series": name})
            for q, b in zip(qs, bands, strict=True):
                frame[f"q{round(q * 100):d}"] = b
            rows.append(frame)
        return pd.concat(rows, ignore_index=True)

    def _draws(self, series: str) -> np.ndarray:
        """Every forecast draw of one series, in the pilot's unit over the whole horizon (draws × periods)."""
        out = []
        for _, grp in self.forecast_daily.groupby("draw", sort=True):
            out.append(aggregate(grp.sort_values("day")[series].to_numpy(dtype=float), self.pilot.unit, series))
        return np.asarray(out)

    def fit(self, series: str) -> pd.DataFrame:
        """The fit on the pilot's rows: ``period`` (as in the file), ``observed``, ``q10``, ``q50``, ``q90``.

        The bands are the posterior-predictive runs' values on those rows (posterior draws, own seeds).
        """
        if series not in self.pilot.series:
            raise ScenarioError(f"{series!r} is not a pilot series; it has: {', '.join(self.pilot.columns)}")
        arr = self._draws(series)[:, self.pilot.periods]
        q10, q50, q90 = np.quantile(arr, [0.1, 0.5, 0.9], axis=0)
        return pd.DataFrame({"period": self.pilot.periods + self.pilot.first, "observed": self.pilot.series[series],
                             "q10": q10, "q50": q50, "q90": q90})

    def forecast_periods(self, series: str) -> pd.DataFrame:
        """Posterior-predictive bands in the pilot's unit (days or weeks, numbered as in the file) to the horizon.

        Columns ``period``, ``q10``, ``q50``, ``q90`` and ``observed`` (NaN after the pilot).
        """
        arr = self._draws(series)
        q10, q50, q90 = np.quantile(arr, [0.1, 0.5, 0.9], axis=0)
        periods = np.arange(arr.shape[1])
        observed = np.full(arr.shape[1], np.nan)
        if series in self.pilot.series:
            observed[self.pilot.periods] = self.pilot.series[series]
        return pd.DataFrame({"period": periods + self.pilot.first, "q10": q10, "q50": q50, "q90": q90,
                             "observed": observed})

    def outlook(self) -> dict[str, dict[str, Any]]:
        """Per forecast series, over the whole horizon: the total (flows) or the last day's value (stocks).

        ``{series: {"measure": "total" | "final", "q10", "q50", "q90", "pilot": observed total/final}}``.
        """
        from sim.planning.pilot import STOCKS

        out: dict[str, dict[str, Any]] = {}
        for name in [c for c in self.forecast_daily.columns if c not in ("draw", "seed", "day")]:
            wide = self.forecast_daily.pivot(index="day", columns="draw", values=name).to_numpy(dtype=float)
            stock = name in STOCKS or name == "cum_profit"
            values = wide[-1] if stock else wide.sum(axis=0)
            q10, q50, q90 = np.quantile(values, [0.1, 0.5, 0.9])
            entry: dict[str, Any] = {"measure": "final" if stock else "total", "q10": float(q10),
                                     "q50": float(q50), "q90": float(q90)}
            if name in self.pilot.series:
                obs = self.pilot.series[name]
                entry["pilot"] = float(obs[-1] if stock else obs.sum())
            out[name] = entry
        return out

    def calibrated_scenario(self) -> Scenario:
        """The base scenario with the fitted medians (full horizon)."""
        return self.base.with_overrides(self.medians())

    def calibrated_yaml(self, path: str | os.PathLike[str] | None = None) -> str:
        """The calibrated scenario as YAML: ``extends`` the base, then the differences and fitted medians.

        The base is extended by its shipped name or by its file (relative to ``path``'s
        directory when given); a base with no file (an upload, an edited scenario) is written
        in full. Loading the text gives :meth:`calibrated_scenario` exactly.
        """
        target = self.calibrated_scenario()
        name = cut_name(f"{self.base.name}_calibrated")
        header = [f"# {name}: {self.base.name} calibrated to {self.pilot.source} by siyu calibrate"
                  + (f" ({self.id})" if self.id else ""),
                  "# ABC-SMC posterior medians [90 % interval] of the fitted parameters:"]
        for k, v in self.summary().items():
            header.append(f"#   {k} = {v['median']:.6g}  [{v['q05']:.6g} – {v['q95']:.6g}] {v['unit']}".rstrip())
        header.append(f"# from {self.runs:,} simulations; see docs/CALIBRATION.md")
        parent = _extends_target(self.base_ref, path)
        data: dict[str, Any]
        if parent is not None:
            from sim.loader import load_scenario

            try:
                reference = load_scenario(self.base_ref)  # type: ignore[arg-type]
            except ScenarioError:
                reference = None
            if reference is not None:
                diff = _diff(reference.model_dump(mode="json"), target.model_dump(mode="json"))
                diff.pop("name", None)
                diff.pop("description", None)
                data = {"extends": parent, "name": name,
                        "description": cut(f"{self.base.name} with parameters fitted to a pilot", 200), **diff}
                return "\n".join(header) + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        data = target.model_dump(mode="json")
        data["name"] = name
        return "\n".join(header) + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

    def write_yaml(self, path: str | os.PathLike[str], overwrite: bool = False) -> Path:
        """Write :meth:`calibrated_yaml` atomically; an existing file is kept unless ``overwrite``."""
        from sim.io import atomic_write_text

        return atomic_write_text(path, self.calibrated_yaml(path), overwrite=overwrite)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form: id, pilot, parameters with medians and intervals, ABC run, forecast bands."""
        summary = self.summary()
        kpis = {}
        for k in ("cum_profit", "roi", "final_private_pool", "churn_rate", "gmv_total"):
            if k in self.forecast_kpis:
                from sim.experiments.sweep import quantiles

                q10, q50, q90 = quantiles(self.forecast_kpis[k].to_numpy(dtype=float))
                kpis[k] = {"q10": q10, "q50": q50, "q90": q90}
        return {
            "id": self.id, "kind": KIND, "status": self.info.get("status", "complete"),
            "store": str(self.store.root) if self.store is not None else None,
            "scenario": self.base.name, "horizon_days": self.base.horizon_days,
            "pilot": self.pilot.to_dict(),
            "parameters": [{**p.to_dict(), **{k: summary[p.path][k] for k in ("median", "q05", "q95", "shrinkage")}}
                           for p in self.parameters],
            "abc": {"runs": self.runs, "generations": self.generations.to_dict(orient="records"),
                    "particles": len(self.particles), **{k: v for k, v in self.info.items() if k != "status"}},
            "forecast": {"draws": int(self.forecast_kpis["draw"].nunique()) if len(self.forecast_kpis) else 0,
                         "kpis": kpis,
                         "horizon": self.outlook()},
            "calibrated": self.medians(),
        }


def cut_name(name: str) -> str:
    """A scenario name of at most 80 characters."""
    return name if len(name) <= 80 else name[:80]


def _extends_target(base_ref: str | None, out_path: str | os.PathLike[str] | None) -> str | None:
    """What ``extends:`` should say for the base: its shipped name, or its file relative to the output."""
    if not base_ref:
        return None
    from sim.loader import SCENARIO_DIR, list_scenarios

    if base_ref in list_scenarios():
        return base_ref
    p = Path(base_ref)
    if not p.is_file():
        return None
    try:
        if p.resolve().parent == SCENARIO_DIR.resolve() and p.stem in list_scenarios():
            return p.stem
    except OSError:
        return None
    if out_path is None:
        return str(p.resolve())
    try:
        return os.path.relpath(p.resolve(), Path(out_path).resolve().parent)
    except ValueError:  # another drive (Windows)
        return str(p.resolve())


def _diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """The leaves of ``b`` that differ from ``a`` (nested dicts; lists whole)."""
    out: dict[str, Any] = {}
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            sub = _diff(a[k], v)
            if sub:
                out[k] = sub
        elif a.get(k) != v:
            out[k] = v
    return out


# ---------------------------------------------------------------------------- calibrate


def _default_population(budget: int) -> int:
    return int(min(100, max(MIN_POPULATION, budget // 10)))


def check_budget(budget: int, population: int) -> None:
    """Refuse a budget below what a first ABC generation needs (one line)."""
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < 1:
        raise ScenarioError(f"--budget must be at least 1 run (got {budget}); a calibration needs at least "
                            f"{4 * MIN_POPULATION} runs")
    if budget > MAX_BUDGET:
        raise ScenarioError(f"--budget {budget:,} is more than allowed (at most {MAX_BUDGET:,} runs)")
    if budget < 4 * population:
        raise ScenarioError(f"--budget {budget:,} is too small for a population of {population} particles: "
                            f"allowed at least {4 * population:,} runs (the prior sample and the first "
                            "generations)")


def calibrate(scenario: Scenario | str | os.PathLike[str], data: Pilot | str | os.PathLike[str] | bytes,
              fit: Mapping[str, tuple[float, float] | None] | Sequence[str], *, series: Sequence[str] | None = None,
              seeds: int = 20, budget: int = 2_000, population: int | None = None, generations: int = 10,
              min_epsilon: float = 0.0, seed: int = 0, workers: int = 1, backend: Any = None,
              store: Any = None, id: str | None = None,  # noqa: A002 - the store's word
              progress: Progress | None = None) -> Calibration:
    """Fit ``fit``'s parameters of ``scenario`` to a pilot by ABC-SMC; see the module text.

    Args:
        scenario: What the merchant did: a :class:`sim.Scenario`, a shipped name or a YAML path
            (its horizon is the forecast's; its first ``span`` days are compared to the pilot).
        data: The pilot: a :class:`Pilot`, a CSV path, or a CSV's bytes.
        fit: ``{path: (lo, hi) or None}`` (None: the schema's bounds) or ``["path=LO:HI", ...]``.
        series: Which pilot columns to compare (default: all).
        seeds: Posterior-predictive runs for the forecast (each a posterior draw with its own seed).
        budget: Simulations the ABC may use (checked between generations).
        population: Particles per generation (default: budget / 10, between 20 and 100).
        generations: At most this many ABC generations.
        min_epsilon: Stop once the threshold is below this distance.
        seed: Seeds pyabc's draws (reproducible with one worker) and the forecast's draws and seeds.
        workers: Local worker processes for the simulations (when ``backend`` is not Dask).
        backend: A :class:`sim.experiments.DaskBackend` (pyabc's Dask sampler on its client) or
            a :class:`sim.experiments.LocalBackend` (its worker count); default: ``workers``.
        store: A :class:`sim.experiments.Store` or its directory (default: the default store);
            ``False`` keeps everything in memory (pyabc's database in a temporary directory).
        id: The experiment id (default: a new ``calib-…``); an existing id is refused.
        progress: Called as ``progress(stage, done, total)``: ``("abc", 0, budget)`` before the
            ABC, ``("forecast", done, seeds)`` as forecast runs finish.

    Raises:
        ScenarioError: Bad pilot, fit parameters, budget, seeds or store id — one line, before any run.
    """
    from sim.experiments.backends import LocalBackend
    from sim.experiments.store import (
        Store,
        check_id,
        column_dtypes,
        fingerprint,
        git_commit,
        new_id,
        utc_now,
    )
    from sim.io import package_version
    from sim.loader import list_scenarios, load_scenario

    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if isinstance(scenario, Scenario):  # a shipped scenario (maybe changed): extended, the changes written out
        base_ref = scenario.name if scenario.name in list_scenarios() else None
    else:
        base_ref = str(scenario)
    pilot = data if isinstance(data, Pilot) else read_pilot(data)
    pilot = pilot.select(series)
    params = fit_parameters(fit)
    pilot.check_horizon(base.horizon_days)
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or not 1 <= seeds <= MAX_FORECAST:
        raise ScenarioError(f"--seeds must be 1 to {MAX_FORECAST} forecast runs (got {seeds})")
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ScenarioError(f"--workers must be at least 1 (got {workers})")
    pop = _default_population(budget) if population is None else population
    if isinstance(pop, bool) or not isinstance(pop, (int, np.integer)) or not MIN_POPULATION <= pop <= MAX_POPULATION:
        raise ScenarioError(f"--population must be {MIN_POPULATION} to {MAX_POPULATION} particles (got {pop})")
    check_budget(budget, pop)
    if not isinstance(generations, (int, np.integer)) or generations < 1:
        raise ScenarioError(f"--generations must be at least 1 (got {generations})")
    if not (isinstance(min_epsilon, (int, float)) and math.isfinite(min_epsilon) and min_epsilon >= 0):
        raise ScenarioError(f"--min-epsilon must be a non-negative number (got {min_epsilon})")
    if seed < 0:
        raise ScenarioError(f"--seed must be non-negative (got {seed})")
    if backend is not None and getattr(backend, "name", "") == "local":
        workers = backend.workers
    short = base.with_overrides({"horizon_days": pilot.span_days})
    for p in params:  # each prior's ends must give a valid scenario (cross-field rules)
        for v in (p.lo, p.hi):
            try:
                short.with_overrides({p.path: v})
            except ScenarioError as err:
                raise ScenarioError(f"--fit {p.path}={p.lo:g}:{p.hi:g}: at {v:g} the scenario is invalid: {err}") from None

    the_store = None if store is False else (store if isinstance(store, Store) else Store(store))
    experiment_id = check_id(id) if id is not None else new_id("calib")
    t_start = time.monotonic()
    definition = {"base": base.to_yaml(), "pilot": pilot.to_frame().to_dict(orient="list"),
                  "fit": [p.to_dict() for p in params], "budget": int(budget), "population": int(pop),
                  "generations": int(generations), "seed": int(seed), "seeds": int(seeds)}
    params_info = [p.to_dict() for p in params]
    sampler, sampler_name = _sampler(backend, workers, short.population.n_users * short.horizon_days)
    backend_info = (backend.describe() if backend is not None else
                    {"backend": "local", "workers": int(workers), "scheduler": None})
    writer = None
    tmpdir = None
    if the_store is not None:
        if the_store.exists(experiment_id):
            raise ScenarioError(f"experiment {experiment_id!r} already exists in {the_store.root}; choose "
                                f"another --id or remove it with 'siyu runs rm {experiment_id}'")
        from sim.experiments.store import FORMAT

        manifest: dict[str, Any] = {
            "format": FORMAT, "id": experiment_id, "kind": KIND, "scenario": base.name,
            "base_scenario": base.to_yaml(),
            "design": {"kind": "posterior", "paths": [], "spec": {"fit": params_info}, "points": [{}]},
            "points": [{"point": 0, "label": "posterior predictive"}],
            "seeds": {"experiment_seed": int(seed), "replicates": int(seeds), "common_random_numbers": False,
                      "key": "forecast draw i: SeedSequence(entropy=seed, spawn_key=(i,))"},
            "kpis": [], "daily": True, "siyu_version": package_version(), "git_commit": git_commit(),
            "backend": {**backend_info, "sampler": sampler_name}, "started": utc_now(), "runs_total": int(seeds),
            "fingerprint": fingerprint(definition),
            "calibration": {"pilot": pilot.to_dict(), "fit": params_info, "budget": int(budget),
                            "population": int(pop), "generations_max": int(generations), "seed": int(seed),
                            "distance": "PNormDistance(p=2) on series / (max(mean, 1) * sqrt(rows))",
                            "stage": "abc", "base_ref": base_ref, "base": base.to_yaml()},
        }
        dtypes = {**column_dtypes([]), **{p.path: "float64" for p in params}}
        writer = the_store.writer(experiment_id, manifest, dtypes, resume=False, chunk_runs=max(1, seeds),
                                  flush_seconds=math.inf)
        directory = writer.directory
        from sim.io import atomic_write_text

        atomic_write_text(directory / "pilot.csv", pilot.to_frame().to_csv(index=False))
    else:
        tmpdir = Path(tempfile.mkdtemp(prefix="siyu-calib-"))
        directory = tmpdir
    error = None
    own_backend = None
    try:
        if progress is not None:
            progress("abc", 0, int(budget))
        particles, weights, gens, runs = _run_abc(short, pilot, params, sampler, directory / "abc.db",
                                                  int(pop), int(budget), int(generations), float(min_epsilon),
                                                  int(seed), int(workers))
        result = Calibration(base=base, pilot=pilot, parameters=params, particles=particles, weights=weights,
                             generations=gens, runs=runs, forecast_daily=pd.DataFrame(),
                             forecast_kpis=pd.DataFrame(), base_ref=base_ref,
                             info={"sampler": sampler_name, "workers": backend_info.get("workers"),
                                   "budget": int(budget), "population": int(pop), "seed": int(seed),
                                   "generations_max": int(generations), "min_epsilon": float(min_epsilon)})
        if writer is not None:
            from sim.experiments.store import _write_parquet

            _write_parquet(particles.assign(weight=weights), directory / "posterior.parquet")
            cal = writer.manifest["calibration"]
            cal.update(stage="forecast", runs_abc=runs, generations=gens.to_dict(orient="records"),
                       posterior=result.summary())
            writer.manifest["base_scenario"] = result.calibrated_scenario().to_yaml()
        # the posterior-predictive forecast: draws by weight, each with its own seed, to the horizon
        rng = np.random.default_rng(np.random.SeedSequence(entropy=int(seed), spawn_key=(1,)))
        picks = rng.choice(len(particles), size=int(seeds), replace=True, p=weights)
        draws = []
        for i, k in enumerate(picks):
            values = {p.path: float(particles.iloc[int(k)][p.path]) for p in params}
            draws.append((base.with_overrides(values), run_seed(int(seed), 0, i), values))
        if backend is None:
            own_backend = LocalBackend(workers=int(workers))
        runner = backend if backend is not None else own_backend
        keep = ["day", *pilot.columns, *(["cum_profit"] if "cum_profit" not in pilot.columns else [])]
        daily_rows, kpi_rows = [], []
        done = 0
        for out in runner.imap([(s, sd) for s, sd, _ in draws], daily=True, n_runs=len(draws)):
            values = draws[out.index][2]
            row = {"point": 0, "replicate": out.index, "seed": out.seed, **values, **out.kpis}
            if writer is not None:
                writer.add(row, out.daily, out.seconds)
            kpi_rows.append({"draw": out.index, "seed": out.seed, **values, **out.kpis})
            daily_rows.append(out.daily[keep].assign(draw=out.index, seed=out.seed))
            done += 1
            if progress is not None:
                progress("forecast", done, len(draws))
        result.forecast_kpis = pd.DataFrame(kpi_rows).sort_values("draw", ignore_index=True)
        fc = pd.concat(daily_rows, ignore_index=True).sort_values(["draw", "day"], ignore_index=True)
        result.forecast_daily = fc[["draw", "seed", *keep]]
        result.info["wall_seconds"] = round(time.monotonic() - t_start, 3)
        result.info["status"] = "complete"
        if writer is not None:
            writer.manifest["calibration"].update(stage="done", wall_seconds=result.info["wall_seconds"])
    except BaseException as err:
        error = f"interrupted: {err.__class__.__name__}: {err}"
        raise
    finally:
        if writer is not None:
            status = writer.close(error)
        if own_backend is not None:
            own_backend.close()
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
    if writer is not None:
        result.id, result.store = experiment_id, the_store
        result.info["status"] = status
    return result


def _run_abc(short: Scenario, pilot: Pilot, params: Sequence[FitParameter], sampler: Any, db_path: Path,
             population: int, budget: int, generations: int, min_epsilon: float, seed: int, workers: int
             ) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, int]:
    """Run pyabc's ABC-SMC; return the final particles (columns = paths), weights, generations, runs."""
    import pyabc

    from sim.runner import warm_up

    warm_up()  # compiled once here; forked workers inherit it
    scales = series_scales(pilot)
    model = _Simulator(short, pilot, params, scales)
    prior = pyabc.Distribution(**{p.key: pyabc.RV("uniform", p.lo, p.width) for p in params})
    abc = pyabc.ABCSMC(model, prior, pyabc.PNormDistance(p=2), population_size=population, sampler=sampler)
    with _seeded(seed), _quiet_pyabc():
        abc.new("sqlite:///" + str(db_path), scale_stats(pilot.observed(), scales))
        history = abc.run(minimum_epsilon=min_epsilon, max_nr_populations=generations,
                          max_total_nr_simulations=budget)
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    particles = pd.DataFrame({p.path: frame[p.key].to_numpy(dtype=float) for p in params})
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    pops = history.get_all_populations()
    gens = pd.DataFrame({"t": pops["t"].astype(int), "epsilon": pops["epsilon"].astype(float),
                         "samples": pops["samples"].astype(int)})
    gens["epsilon"] = gens["epsilon"].where(np.isfinite(gens["epsilon"]), None)
    runs = int(history.total_nr_simulations)
    return particles, w, gens, runs


def load_calibration(experiment_id: str, store: Any = None) -> Calibration:
    """Reopen a stored calibration (complete ones only: a partial one is refused with one line)."""
    from sim.experiments.store import Store
    from sim.planning.pilot import read_pilot as _read

    the_store = store if isinstance(store, Store) else Store(store)
    m = the_store.manifest(experiment_id)
    if m.get("kind") != KIND:
        raise ScenarioError(f"experiment {experiment_id!r} is a {m.get('kind')}, not a calibration")
    if m.get("status") != "complete":
        raise ScenarioError(f"calibration {experiment_id!r} is partial (interrupted); run it again")
    d = the_store.path(experiment_id)
    cal = m["calibration"]
    params = [FitParameter(path=p["path"], lo=float(p["lo"]), hi=float(p["hi"]), unit=p.get("unit", ""))
              for p in cal["fit"]]
    post = pd.read_parquet(d / "posterior.parquet")
    pilot = _read(d / "pilot.csv", name=cal["pilot"]["source"])
    base = Scenario.model_validate(yaml.safe_load(cal["base"]))
    table = the_store.table(experiment_id)
    daily = the_store.daily(experiment_id, 0)
    keep = ["day", *pilot.columns, *(["cum_profit"] if "cum_profit" not in pilot.columns else [])]
    fc = daily.rename(columns={"replicate": "draw"})[["draw", "seed", *keep]]
    kpis = table.rename(columns={"replicate": "draw"}).drop(columns=["point"])
    gens = pd.DataFrame(cal.get("generations", []))
    info = {k: cal.get(k) for k in ("budget", "population", "seed", "generations_max", "wall_seconds")}
    info.update(sampler=(m.get("backend") or {}).get("sampler"), workers=(m.get("backend") or {}).get("workers"),
                status="complete")
    return Calibration(base=base, pilot=pilot, parameters=params, particles=post[[p.path for p in params]],
                       weights=post["weight"].to_numpy(dtype=float), generations=gens,
                       runs=int(cal.get("runs_abc", 0)), forecast_daily=fc, forecast_kpis=kpis, info=info,
                       id=experiment_id, store=the_store, base_ref=cal.get("base_ref"))
