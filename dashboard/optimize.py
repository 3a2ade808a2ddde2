"""The Optimize page's logic: the fields one may decide, a checked plan, the run. Nothing here imports Streamlit.

:func:`decidable` lists the strategy's bounded number fields, switches and choices (what the
merchant decides; :data:`sim.planning.optimize.DECIDABLE`), :func:`decidable_for` adds a phased
scenario's switch days and the levers each phase sets; :func:`parse_constraints` reads the page's constraint
box (one ``KPI<=X`` per line); :func:`plan` checks everything before a run — decision
variables, objective, constraints, counts and the page's size limits — as one-line
:class:`sim.ScenarioError`; :func:`run` sends the plan to
:func:`sim.planning.optimize.optimize` (local processes, recorded in the results store).

A page search is stored under :func:`page_id`, a name derived from the plan itself, so the
same plan searched again is never run twice: a search that was stopped (the tab closed, the
page left, the app stopped) is resumed where it stopped, and a finished one is reopened from the
store (:func:`stored` says which, before the click).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from sim import Scenario, ScenarioError
from sim.planning import optimize as op

from .editor import FieldSpec, field_specs, flatten_phases, phase_specs
from .sweeps import sweepable

__all__ = ["MAX_RUNS", "MAX_TRIALS", "MAX_USER_DAYS", "OptimizationPlan", "Stored", "decidable", "decidable_for",
           "has_range", "page_id", "parse_constraints", "plan", "run", "stored"]

#: Trials a page search may take; the CLI takes more.
MAX_TRIALS = 300
#: Runs of a page search (trials × seeds + fresh seeds × scenarios re-evaluated).
MAX_RUNS = 3_000
#: Simulated user-days of a page search: a few minutes on 2 cores.
MAX_USER_DAYS = 2_000_000_000
#: Shipped scenarios re-evaluated beside the plan on the page (all of them would double a small search).
COMPARE = ("public_only", "content_led", "hybrid_referral")


def has_range(spec: FieldSpec) -> bool:
    """Whether the search takes a range of the field (a number), not its values (a switch or a choice)."""
    return spec.kind in ("int", "float")


@cache
def decidable() -> dict[str, FieldSpec]:
    """Path → field spec of every bounded number field, switch and choice of the strategy, in schema order."""
    numbers = sweepable()
    return {s.path: s for s in field_specs() if op.DECIDABLE.match(s.path)
            and (s.path in numbers or s.kind in ("bool", "enum"))}


def decidable_for(base: Scenario) -> dict[str, FieldSpec]:
    """:func:`decidable` plus, for each phase of ``base``, its first day and the strategy levers it sets.

    "When should the launch give way to the next phase?" (``phases.N.from_day``, its range
    checked against the horizon by :func:`plan`) and "how hard should that phase push?"
    (``phases.N.strategy.<field>``, for the fields the phase changes) are then decision
    variables like the strategy's own levers.
    """
    out = dict(decidable())
    spec = next(s for s in phase_specs() if s.name == "from_day")
    for i, phase in enumerate(flatten_phases(base)):
        path = f"phases.{i}.from_day"
        out[path] = dataclasses.replace(spec, path=path)
        for field in phase["strategy"]:
            lever = out.get(f"strategy.{field}")
            if lever is not None:
                out[f"phases.{i}.strategy.{field}"] = dataclasses.replace(lever, path=f"phases.{i}.strategy.{field}")
    return out


def parse_constraints(text: str | None) -> list[op.Constraint]:
    """The constraint box: one ``KPI<=X`` or ``KPI>=X`` per line (blank lines ignored)."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return op.constraints_of(lines)


@dataclass(frozen=True)
class OptimizationPlan:
    """A checked page search: what :func:`run` sends to :func:`sim.planning.optimize.optimize`."""

    base: Scenario
    decisions: tuple[op.Decision, ...]
    objective: op.Objective
    constraints: tuple[op.Constraint, ...]
    trials: int
    seeds: int
    fresh_seeds: int
    compare: tuple[str, ...]
    runs: int
    user_days: int


def plan(base: Scenario, ranges: Mapping[str, tuple[float, float] | None], kpi: str, risk: str | None,
         constraints: str | None, trials: int, seeds: int, fresh_seeds: int,
         compare: Sequence[str] = COMPARE) -> OptimizationPlan:
    """Check a page search (one-line ScenarioError), including the page's size limits.

    ``ranges`` maps each decision variable to its ``(low, high)``, or to ``None`` for a switch
    or a choice (the search tries each of its values).
    """
    objective = op.parse_objective(kpi, risk)
    cons = parse_constraints(constraints)
    if int(trials) < 1:
        raise ScenarioError(f"--trials must be at least 1 (got {int(trials)}); zero trials cannot find a plan")
    if int(trials) > MAX_TRIALS:
        raise ScenarioError(f"--trials {int(trials):,} is more than a page search takes (at most {MAX_TRIALS}); "
                            "use 'siyu optimize' for a longer search")
    decs = op.decisions(base, {p: None if r is None else (float(r[0]), float(r[1])) for p, r in ranges.items()})
    shipped = op.shipped_for(base, compare) if fresh_seeds else []
    runs = op.plan_work(base, int(trials), int(seeds), int(fresh_seeds), shipped)
    user_days = runs * base.population.n_users * base.horizon_days
    if runs > MAX_RUNS or user_days > MAX_USER_DAYS:
        raise ScenarioError(f"{runs:,} runs ({user_days:.2g} user-days) is more than a page search takes "
                            f"(at most {MAX_RUNS:,} runs or {MAX_USER_DAYS:.0e} user-days); use fewer trials, seeds, "
                            "users or days, or 'siyu optimize'")
    return OptimizationPlan(base=base, decisions=tuple(decs), objective=objective, constraints=tuple(cons),
                            trials=int(trials), seeds=int(seeds), fresh_seeds=int(fresh_seeds),
                            compare=tuple(s.name for s in shipped), runs=runs, user_days=user_days)


def page_id(p: OptimizationPlan) -> str:
    """The results-store id of a page search: the same for the same plan, different for any other.

    A hash of everything that defines the search's results — the base scenario, the decision
    variables and their ranges, the objective, the constraints, the trials, seeds and fresh
    seeds, and the scenarios re-evaluated beside the plan (the page always searches with seed 0).
    """
    from sim.experiments.store import fingerprint

    definition = {"base": p.base.to_yaml(), "decisions": [d.to_dict() for d in p.decisions],
                  "objective": p.objective.to_dict(), "constraints": [c.to_dict() for c in p.constraints],
                  "trials": p.trials, "seeds": p.seeds, "fresh_seeds": p.fresh_seeds, "compare": list(p.compare)}
    return "opt-page-" + fingerprint(definition)[:16]


@dataclass(frozen=True)
class Stored:
    """What the results store holds of a page search: ``complete`` (reopened) or ``partial`` (resumed)."""

    id: str
    status: str
    runs_done: int
    runs_total: int


def stored(p: OptimizationPlan, store: object = None) -> Stored | None:
    """The stored state of plan ``p``'s search (``None`` if it was never started)."""
    from sim.experiments import Store

    the_store = store if isinstance(store, Store) else Store(store)
    sid = page_id(p)
    if not the_store.exists(sid):
        return None
    m = the_store.manifest(sid)
    return Stored(id=sid, status=str(m.get("status")), runs_done=int(m.get("runs_done") or 0),
                  runs_total=int(m.get("runs_total") or p.runs))


def run(p: OptimizationPlan, progress: Callable[[str, int, int], None] | None = None,
        store: object = None) -> op.Optimization:
    """Run a checked plan on local processes (one for tiny runs) into the results store.

    Under :func:`page_id`: a finished search of the same plan is reopened from the store
    (no run), a stopped one is resumed (only the runs it had not stored are run).
    """
    from sim.experiments import LocalBackend, Store

    the_store = store if isinstance(store, Store) else Store(store)
    sid = page_id(p)
    if the_store.exists(sid) and the_store.manifest(sid).get("status") == "complete":
        return op.load_optimization(sid, the_store)
    small = p.base.population.n_users * p.base.horizon_days < 300_000  # worker processes do not pay off
    with LocalBackend(workers=1 if small else None) as backend:
        decide = {d.path: (d.lo, d.hi) if d.kind in ("int", "float") else None for d in p.decisions}
        res = op.optimize(p.base, decide, p.objective,
                          constraints=list(p.constraints), trials=p.trials, seeds=p.seeds, fresh_seeds=p.fresh_seeds,
                          compare=list(p.compare), backend=backend, store=the_store, id=sid, progress=progress)
    return res
