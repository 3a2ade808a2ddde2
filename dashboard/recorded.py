"""Comparisons kept in the results store, so a cold dashboard shows the default one at once.

A comparison is identified by what decides its results: each scenario's key (which includes
population size and horizon) and the seeds. :func:`lookup` finds a complete stored ``compare``
experiment — the dashboard's own or ``siyu compare``'s — that holds those scenarios with those
seeds *and* their daily tables, and rebuilds the ensembles from it (daily tables and KPIs; no
users tables, so pages that need users run the comparison for real). :func:`remember` records
a computed comparison (the dashboard records its default one) unless the store already has it.
Store problems (unwritable, unreadable) never break a page: they are logged and ignored.
Nothing here imports Streamlit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

from sim import Ensemble, Scenario
from sim import experiments as ex
from sim.experiments.store import scenario_sha

from .sweeps import ensembles as stored_ensembles

__all__ = ["find", "lookup", "remember"]

log = logging.getLogger("siyu.dashboard")

#: Marks the comparisons the dashboard recorded (manifest ``source``).
SOURCE = "dashboard"


def find(scenarios: Mapping[str, Scenario], seeds: Sequence[int], store: ex.Store | None = None) -> str | None:
    """The id of the newest complete stored comparison with these scenarios, seeds and daily tables."""
    try:
        the_store = store if store is not None else ex.Store()
        wanted = {scenario_sha(s.key()) for s in scenarios.values()}
        seeds = [int(s) for s in seeds]
        for entry in the_store.list(kind="compare"):
            if entry.get("status") != "complete":
                continue
            m = the_store.manifest(entry["id"])
            if not m.get("daily") or list(m.get("seeds", {}).get("replicate_seeds") or []) != seeds:
                continue
            have = {p.get("scenario_sha") for p in m.get("points", [])}
            if wanted <= have and int(m.get("runs_total") or 0) == len(have) * len(seeds):
                return str(entry["id"])
    except (OSError, ValueError, ex.StoreError) as err:
        log.warning("results store not usable for the comparison: %s", err)
    return None


def lookup(scenarios: Mapping[str, Scenario], seeds: Sequence[int],
           store: ex.Store | None = None) -> tuple[str, dict[str, Ensemble]] | None:
    """``(id, {name: Ensemble})`` of a stored comparison of ``scenarios`` over ``seeds``, or ``None``."""
    experiment_id = find(scenarios, seeds, store)
    if experiment_id is None:
        return None
    try:
        result = ex.open(experiment_id, store)
        by_sha = {p.get("scenario_sha"): int(p["point"]) for p in result.manifest.get("points", [])}
        points = {by_sha[scenario_sha(s.key())]: s for s in scenarios.values()}
        rebuilt = stored_ensembles(result, points)
        by_point = {int(p["point"]): p.get("label") for p in result.manifest.get("points", [])}
        out = {}
        for name, scn in scenarios.items():
            ens = rebuilt[by_point[by_sha[scenario_sha(scn.key())]]]
            if [r.seed for r in ens.runs] != [int(s) for s in seeds]:
                return None
            out[name] = Ensemble(scenario=scn, runs=ens.runs)
        return experiment_id, out
    except (OSError, ValueError, KeyError, ex.StoreError) as err:
        log.warning("stored comparison %s not usable: %s", experiment_id, err)
        return None


def remember(ensembles: Mapping[str, Ensemble], store: ex.Store | None = None,
             wall_seconds: float | None = None) -> str | None:
    """Record a comparison with its daily tables (unless stored already); its id, or ``None`` on a store error."""
    the_store = store if store is not None else ex.Store()
    scenarios = {name: e.scenario for name, e in ensembles.items()}
    seeds = list(next(iter(ensembles.values())).seeds)
    existing = find(scenarios, seeds, the_store)
    if existing is not None:
        return existing
    try:
        t0 = time.perf_counter()
        experiment_id = the_store.record("compare", dict(ensembles), daily=True, wall_seconds=wall_seconds,
                                         extra={"source": SOURCE})
        log.info("recorded the comparison as %s in %.2f s", experiment_id, time.perf_counter() - t0)
        return experiment_id
    except (OSError, ValueError, ex.StoreError) as err:
        log.warning("could not record the comparison in the results store: %s", err)
        return None
