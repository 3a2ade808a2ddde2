"""The Calibrate page's logic: the sample pilot, the parameters one may fit, a checked plan, the run.

:func:`read_upload` reads an uploaded pilot (or the shipped sample, :data:`SAMPLE`) through
:func:`sim.planning.pilot.read_pilot`; :func:`fittable` lists the schema's decimal fields that
are market or behaviour parameters (strategy, budget, population size and horizon are what the
merchant did, :data:`sim.planning.calibration.REFUSED`); :func:`plan` checks everything before
a run (one-line :class:`sim.ScenarioError`) and refuses sizes a page run should not take;
:func:`run` sends the plan to :func:`sim.planning.calibration.calibrate` (one process,
recorded in the results store). Nothing here imports Streamlit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sim import Scenario, ScenarioError
from sim.loader import SCENARIO_DIR
from sim.planning import calibration as cb
from sim.planning.pilot import Pilot, read_pilot

from .editor import FieldSpec
from .sweeps import sweepable

__all__ = ["MAX_BUDGET", "MAX_USER_DAYS", "SAMPLE", "CalibrationPlan", "fittable", "plan", "read_upload", "run",
           "sample_truth"]

SAMPLE = SCENARIO_DIR / "pilots" / "content_led_pilot.csv"
SAMPLE_TRUTH = SCENARIO_DIR / "pilots" / "content_led_pilot.truth.json"
#: Simulations a page calibration may use; the CLI takes more.
MAX_BUDGET = 3_000
#: Simulated user-days of a page calibration (budget × users × pilot days): a few minutes on 2 cores.
MAX_USER_DAYS = 1_000_000_000
MAX_FORECAST = 50


def sample_truth() -> dict[str, Any]:
    """What made the sample pilot: scenario, users, seed and the true values."""
    return json.loads(Path(SAMPLE_TRUTH).read_text(encoding="utf-8"))


def read_upload(data: bytes | None, name: str | None) -> Pilot:
    """An uploaded pilot's bytes (``None``: the shipped sample) checked into a :class:`Pilot`."""
    if data is None:
        return read_pilot(SAMPLE, name=SAMPLE.name)
    return read_pilot(data, name=name or "upload")


@cache
def fittable() -> dict[str, FieldSpec]:
    """Path → field spec of every decimal market or behaviour field (bounded), in schema order."""
    out = {}
    for path, spec in sweepable().items():
        if spec.kind != "float":
            continue
        if any(path == r or path.startswith(r + ".") for r in cb.REFUSED):
            continue
        out[path] = spec
    return out


@dataclass(frozen=True)
class CalibrationPlan:
    """A checked page calibration: what to run, and its size."""

    base: Scenario
    pilot: Pilot
    fit: dict[str, tuple[float, float]]
    budget: int
    seeds: int
    series: tuple[str, ...]

    @property
    def user_days(self) -> int:
        """Simulated user-days of the ABC (budget × users × pilot days)."""
        return self.budget * self.base.population.n_users * self.pilot.span_days


def plan(base: Scenario, pilot: Pilot, fit: Mapping[str, tuple[float, float]], budget: int, seeds: int,
         n_users: int, horizon: int, series: Sequence[str] = ()) -> CalibrationPlan:
    """Check a page calibration before it runs (one-line ScenarioError for anything wrong)."""
    scenario = base.with_overrides({"population.n_users": int(n_users), "horizon_days": int(horizon)})
    chosen = pilot.select(list(series))
    chosen.check_horizon(scenario.horizon_days)
    params = cb.fit_parameters({k: (float(v[0]), float(v[1])) for k, v in fit.items()})
    if not 1 <= int(budget) <= MAX_BUDGET:
        raise ScenarioError(f"budget must be 1 to {MAX_BUDGET:,} runs on this page (got {budget}); "
                            "the command line takes more")
    cb.check_budget(int(budget), cb._default_population(int(budget)))
    if not 1 <= int(seeds) <= MAX_FORECAST:
        raise ScenarioError(f"forecast runs must be 1 to {MAX_FORECAST} (got {seeds})")
    out = CalibrationPlan(base=scenario, pilot=chosen, fit={p.path: (p.lo, p.hi) for p in params},
                          budget=int(budget), seeds=int(seeds), series=tuple(chosen.columns))
    if out.user_days > MAX_USER_DAYS:
        raise ScenarioError(f"this calibration is {out.user_days:,} simulated user-days, more than a page run "
                            f"may take ({MAX_USER_DAYS:,}); lower the budget or the users, or use siyu calibrate")
    return out


def run(the_plan: CalibrationPlan, progress: Callable[[str, int, int], None] | None = None,
        store: Any = None) -> cb.Calibration:
    """Run a checked plan (one process, reproducible; recorded in the results store)."""
    return cb.calibrate(the_plan.base, the_plan.pilot, the_plan.fit, series=list(the_plan.series),
                        seeds=the_plan.seeds, budget=the_plan.budget, workers=1, store=store, progress=progress)
