"""Experiments at scale: designs × seeds through a backend into a results store.

Public API (the planning tools and the dashboard build on these names):

- :func:`sweep` — base scenario × :class:`Design` × replicate seeds → :class:`SweepResult`
  (``.table``, ``.manifest``, ``.band(kpi, by=path)``, ``.summary()``, ``.daily()``, ``.ensemble()``).
- :func:`open` — reopen a stored sweep, run or comparison by id.
- Designs: :func:`grid`, :func:`latin_hypercube`, :func:`from_csv`, :func:`explicit`,
  :func:`parameter` (a schema field by dotted path, with its bounds), :func:`sweepable`
  (every parameter a design can vary).
- Seeds: :func:`run_seed`, :func:`seed_table` (SeedSequence keyed by experiment seed, point, replicate).
- Backends: :class:`LocalBackend`, :class:`DaskBackend` — ``backend.run([(scenario, seed), ...])``
  returns KPI dicts in order; ``backend.imap(...)`` streams :class:`RunOutput` as runs finish.
- Store: :class:`Store` (``list``, ``manifest``, ``table``, ``daily``, ``remove``, ``record``, ``find``),
  :func:`resolve_store` (``--store``, ``$SIYU_STORE``, ``./runs``).

One module per concept: ``design``, ``seeds``, ``backends``, ``store``, ``sweep``.
"""

from sim.experiments.backends import Backend, DaskBackend, LocalBackend, RunOutput, make_backend
from sim.experiments.design import (
    Design,
    Parameter,
    explicit,
    from_csv,
    grid,
    latin_hypercube,
    parameter,
    sweepable,
)
from sim.experiments.seeds import run_seed, seed_table
from sim.experiments.store import Store, StoreError, resolve_store
from sim.experiments.sweep import MAIN_KPIS, SweepResult, open, quantiles, sweep

__all__ = [
    "MAIN_KPIS",
    "Backend",
    "DaskBackend",
    "Design",
    "LocalBackend",
    "Parameter",
    "RunOutput",
    "Store",
    "StoreError",
    "SweepResult",
    "explicit",
    "from_csv",
    "grid",
    "latin_hypercube",
    "make_backend",
    "open",
    "parameter",
    "quantiles",
    "resolve_store",
    "run_seed",
    "seed_table",
    "sweep",
    "sweepable",
]
