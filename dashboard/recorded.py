"""Comparisons kept in the results store, so a cold dashboard shows the default one at once.

A comparison is identified by what decides its results: each scenario's key (which includes
population size and horizon) and the seeds. :func:`lookup` finds a complete stored ``compare``
experiment — the dashboard's own or ``siyu compare``'s — of those scenarios in that order with
those seeds *and* their daily tables (:meth:`sim.experiments.Store.find`), and rebuilds the ensembles from it (daily tables and KPIs; no
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

from .sweeps import ensembles as stored_ensembles

__all__ = ["find", "lookup", "remember"]

log = logging.getLogger("siyu.dashboard")

#: Marks the comparisons the dashboard recorded (manifest ``source``).
SOURCE = "dashboard"


def find(scenarios: Mapping[str, Scenario], seeds: Sequence[int], store: ex.Store | None = None) -> str | None:
    """The id of the newest complete stored comparison of these scenarios (in order), seeds and daily tables."""
    try:
        the_store = store if store is not None else ex.Store()
        return the_store.find("compare", list(scenarios.values()), seeds=list(seeds), daily=True)
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
        rebuilt = stored_ensembles(result, dict(enumerate(scenarios.values())))  # point i = scenario i
        out = dict(zip(scenarios, rebuilt.values(), strict=True))
        if any([r.seed for r in e.runs] != [int(s) for s in seeds] for e in out.values()):
            return None
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
