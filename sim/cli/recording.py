"""Recording ``siyu run`` and ``siyu compare`` into the results store (``sim.experiments.store``).

Both commands take ``--store DIR`` (default ``$SIYU_STORE``, else ``./runs``) and ``--no-store``.
After the table is printed, the ensembles are recorded under a new id (kind ``run`` or
``compare``) and one line ``stored as ID in DIR`` follows the table on stdout (like ``wrote ...``).
A store that cannot be written is a warning on stderr, never a failure of the run itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

import sim
from sim.cli.common import stderr_console, stdout_console

StoreOpt = Annotated[Path | None, typer.Option(
    "--store", metavar="DIR", help="Results store (default: $SIYU_STORE, else ./runs).")]
NoStoreOpt = Annotated[bool, typer.Option(
    "--no-store", help="Do not record this in the results store.")]


def shown(path: Path) -> str:
    """A store path as the user would type it: relative to the current directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def record(kind: str, ensembles: Mapping[str, sim.Ensemble], store: Path | None, no_store: bool,
           workers: int | None = None, started: str | None = None, wall_seconds: float | None = None) -> str | None:
    """Record finished ensembles as one experiment; print where; return the id (or None)."""
    if no_store:
        return None
    from rich.markup import escape

    from sim.experiments.store import Store, StoreError

    console = stderr_console()
    try:
        the_store = Store(store)
        experiment_id = the_store.record(kind, ensembles, backend={"backend": "local", "workers": workers,
                                                                   "scheduler": None},
                                         started=started, wall_seconds=wall_seconds)
    except (OSError, StoreError) as err:
        console.print(escape(f"warning: not recorded in the results store: {' '.join(str(err).split())}"))
        return None
    stdout_console().print(escape(f"stored as {experiment_id} in {shown(the_store.root)}"))
    return experiment_id
