"""The Dask worker plugin of :class:`sim.experiments.backends.DaskBackend` (imports ``distributed``)."""

from __future__ import annotations

from distributed.diagnostics.plugin import WorkerPlugin

from sim.runner import warm_up


class WarmUp(WorkerPlugin):
    """Load Siyu's compiled rules once in every worker as it starts (and when it restarts)."""

    idempotent = True
    name = "siyu-warm-up"

    def setup(self, worker) -> None:  # noqa: D102
        warm_up()
