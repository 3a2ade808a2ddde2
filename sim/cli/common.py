"""What every ``siyu`` command shares: the Typer app, one-line errors, options, progress, loading.

Every user error — an invalid scenario or override, a missing or empty file, an unknown
scenario name, a bad option value, an output that already exists — is printed as ONE line
``error: ...`` on stderr with exit code 2 (:func:`fail`, :func:`user_errors`), never a
traceback. Long work shows a rich progress bar on stderr; tables go to stdout. Each command
lives in its own module of this package and registers itself on :data:`app`.
"""

from __future__ import annotations

import errno
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from typer.core import TyperGroup

import sim
from sim.errors import cut, cut_path
from sim.io import OutputExistsError, clean_stale_temps, json_text, results_status
from sim.mechanisms import budget as budget_rule
from sim.overrides import parse_override
from sim.report import format_kpi

try:  # typer >= 0.2x vendors click; older versions use click itself
    from typer import _click as _clicklib
except ImportError:  # pragma: no cover - depends on the installed typer
    import click as _clicklib

USAGE_EXIT = 2
IO_EXIT = 1

#: Largest ``--seeds`` (replicates of one scenario).
MAX_SEEDS = 1_000
#: Largest ``--workers``.
MAX_WORKERS = 256
#: Most work one command may ask for: users × days × seeds, summed over its scenarios, in
#: user-days (1e11 ≈ 25 min at the ≈ 70 M user-days/s one 1M-user run measured on 2 cores).
MAX_USER_DAYS = 100_000_000_000


def one_line(text: object) -> str:
    """Collapse whitespace so a message fits on one line."""
    return " ".join(str(text).split())


class _OneLineErrorGroup(TyperGroup):
    """Typer group whose usage errors (bad option values, unknown options) are one line on stderr."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,  # noqa: D102
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        exc = _clicklib.exceptions
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except exc.NoArgsIsHelpError as err:
            message = err.format_message()
            if message.strip():
                typer.echo(message, err=True)
            sys.exit(err.exit_code)
        except exc.ClickException as err:
            ctx = getattr(err, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            typer.echo(f"error: {one_line(err.format_message())}{hint}", err=True)
            sys.exit(err.exit_code)
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=_OneLineErrorGroup,
    name="siyu",
    help="Siyu (私域): simulate private-domain traffic — run, compare and report scenarios.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


class TableFormat(StrEnum):
    """File format of the daily results table."""

    csv = "csv"
    parquet = "parquet"


# ---------------------------------------------------------------------------- helpers


def fail(message: object, code: int = USAGE_EXIT) -> NoReturn:
    """Print one ``error:`` line on stderr and exit."""
    typer.echo(f"error: {one_line(message)}", err=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into one ``error:`` line and an exit code."""
    try:
        yield
    except sim.ScenarioError as err:
        fail(err)
    except OutputExistsError as err:
        fail(f"{cut_path(err.path)} already exists; pass --force to overwrite it")
    except OSError as err:
        fail(os_error_text(err), USAGE_EXIT if err.errno in _USER_ERRNOS else IO_EXIT)
    except (RecursionError, MemoryError) as err:
        fail(f"input is too large or nested too deeply ({type(err).__name__})")
    except (ValueError, OverflowError) as err:  # a last guard: bad input the checks above missed
        fail(f"invalid input: {cut(err, 200)}")
    except KeyboardInterrupt:
        fail("interrupted", 130)


#: OS errors caused by what the user typed (exit 2, like any bad option), not by the machine.
_USER_ERRNOS = {errno.ENAMETOOLONG, errno.EISDIR, errno.ENOTDIR, errno.EEXIST}


def os_error_text(err: OSError) -> str:
    """One line for an OSError: the file (cut, keeping its end) and what went wrong."""
    where = f"{cut_path(err.filename)}: " if getattr(err, "filename", None) else ""
    what = err.strerror or str(err)
    if err.errno == errno.ENAMETOOLONG:
        what = "name too long (allowed at most 255 bytes per path component, 4,096 in all)"
    return f"{where}{cut(what, 120)}"


def print_json(obj: Any) -> None:
    """Print ``obj`` as ONE strict JSON document on stdout (NaN and ±inf become ``null``)."""
    typer.echo(json_text(obj))


def print_listing(doc: Any, rows: Sequence[Any], *, json_out: bool, title: str, empty: str,
                  columns: Sequence[str], cells: Callable[[Any], Sequence[str]], right: Sequence[str] = ()) -> None:
    """Print ``doc`` as one JSON document (``--json``), else ``rows`` as a table on stdout.

    ``cells(row)`` gives a row's texts in the order of ``columns`` (those in ``right`` are
    right-aligned); without rows, the one line ``empty`` is printed instead of the table. All
    text is printed literally (no Rich markup).
    """
    if json_out:
        print_json(doc)
        return
    console = stdout_console()
    if not rows:
        console.print(escape(empty))
        return
    table = Table(title=escape(title))
    for col in columns:
        table.add_column(escape(col), justify="right" if col in right else "left")
    for row in rows:
        table.add_row(*map(escape, cells(row)))
    console.print(table)


def budget_warning(label: str, ens: sim.Ensemble) -> str | None:
    """One line if the scenario's budget cap bound in any seed (its planned spending exceeds the budget)."""
    hit = budget_rule.binding(ens.summaries, ens.scenario.budget)
    if hit is None:
        return None
    first = hit["first_day_median"]
    when = f"from day {first:.0f} (median)" if math.isfinite(first) else "in some seeds"
    return (f"{label}: planned spending exceeds the budget ({budget_rule.caps_text(ens.scenario.budget)}): "
            f"the cap binds in {hit['seeds_bound']:.0f}/{hit['seeds']:.0f} seeds {when}; the operator stops {', '.join(budget_rule.CUT_ORDER).replace('_', ' ')} "
            "in that order, then new joins (docs/MODEL.md, budget cap rule)")


def warn_budgets(ensembles: dict[str, sim.Ensemble]) -> None:
    """Print a ``warning:`` line on stderr for every scenario whose budget cap bound."""
    for label, ens in ensembles.items():
        note = budget_warning(label, ens)
        if note:
            typer.echo(f"warning: {note}", err=True)


def stdout_console() -> Console:
    """Return a console for tables; when piped, wide enough that tables do not wrap."""
    console = Console(highlight=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console = Console(highlight=False, width=200)
    return console


def stderr_console() -> Console:
    """Return a console on stderr (progress and warnings)."""
    return Console(stderr=True, highlight=False)


def progress_bar() -> Progress:
    """Return a transient progress display on stderr (silent when stderr is not a terminal)."""
    console = stderr_console()
    return Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
        MofNCompleteColumn(), TextColumn("{task.fields[unit]}"), TimeElapsedColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    )


#: Shortcut options and the field each one sets.
SHORTCUTS = {"--users": "population.n_users", "--days": "horizon_days"}


def collect_overrides(sets: list[str] | None, users: int | None, days: int | None) -> dict[str, Any]:
    """Collect ``--set key=value`` pairs and the ``--users``/``--days`` shortcuts.

    A key given twice, or a shortcut together with a ``--set`` of the same field, is refused
    (one-line ScenarioError) rather than one value silently winning.
    """
    out: dict[str, Any] = {}
    for text in sets or []:
        key, value = parse_override(text)
        if key in out:
            raise sim.ScenarioError(f"--set {cut(key, 60)} is given twice; give it once")
        out[key] = value
    for option, value in (("--users", users), ("--days", days)):
        if value is None:
            continue
        field = SHORTCUTS[option]
        if field in out:
            raise sim.ScenarioError(f"{option} {value} conflicts with --set {field}={cut(out[field], 40)}; "
                                    "give only one of them")
        out[field] = value
    return out


def load_with(name: str, overrides: dict[str, Any]) -> sim.Scenario:
    """Load a scenario by name or path and apply dotted overrides."""
    scenario = sim.load_scenario(name)
    return scenario.with_overrides(overrides) if overrides else scenario


def check_seeds(seeds: int, option: str = "--seeds") -> None:
    """Refuse a seed count outside 1..:data:`MAX_SEEDS` (one ``error:`` line, exit 2)."""
    if not 1 <= seeds <= MAX_SEEDS:
        fail(f"{option} must be between 1 and {MAX_SEEDS:,} (got {cut(f'{seeds:,}', 40)})")


def check_workers(workers: int | None, option: str = "--workers") -> None:
    """Refuse a worker count outside 1..:data:`MAX_WORKERS` (``None`` = automatic is fine)."""
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        fail(f"{option} must be between 1 and {MAX_WORKERS} (got {cut(f'{workers:,}', 40)})")


def check_backend(workers: int | None, scheduler: str | None, workers_are: str = "a new local Dask cluster",
                  scheduler_is: str = "an existing one") -> None:
    """Refuse a bad ``--workers`` count, and ``--workers`` given together with ``--scheduler``."""
    check_workers(workers)
    if workers is not None and scheduler is not None:
        fail(f"give either --workers ({workers_are}) or --scheduler ({scheduler_is}), not both")


def check_yaml_out(out: Path | None, force: bool, what: str) -> None:
    """Refuse an ``--out`` scenario file that is not ``.yaml``/``.yml``, or exists without ``force``."""
    if out is None:
        return
    if out.suffix.lower() not in (".yaml", ".yml"):
        fail(f"--out {out} must be a .yaml file ({what})")
    check_new_file(out, force, "--out")


def work_user_days(scenarios: Sequence[sim.Scenario], seeds: int) -> int:
    """Users × days × seeds summed over ``scenarios``: the work a command asks for, in user-days."""
    return sum(s.population.n_users * s.horizon_days for s in scenarios) * seeds


def check_work(scenarios: Sequence[sim.Scenario], seeds: int) -> None:
    """Refuse more than :data:`MAX_USER_DAYS` of work (users × days × seeds, over all scenarios)."""
    total = work_user_days(scenarios, seeds)
    if total > MAX_USER_DAYS:
        what = "--users × --days × --seeds" + (" × scenarios" if len(scenarios) > 1 else "")
        fail(f"{what} = {total:,} user-days is too much work (allowed at most {MAX_USER_DAYS:,}); "
             "reduce --users, --days or --seeds")


def simulate_seeds(scenario: sim.Scenario, seeds: int, progress: Progress, label: str,
              workers: int | None) -> sim.Ensemble:
    """Run seeds 0..seeds-1 with a progress task (days for one seed, runs for several)."""
    if seeds == 1:
        task = progress.add_task(escape(label), total=scenario.horizon_days, unit="days")
        run = sim.simulate(scenario, seed=0,
                           progress=lambda done, total: progress.update(task, completed=done, total=total))
        return sim.Ensemble(scenario=scenario, runs=[run])
    task = progress.add_task(escape(label), total=seeds, unit="runs")
    update: Callable[[int, int], None] = lambda done, total: progress.update(  # noqa: E731
        task, completed=done, total=total)
    return sim.simulate_many(scenario, seeds=list(range(seeds)), progress=update, workers=workers)


def check_out_dir(out: Path, force: bool) -> None:
    """Refuse an output directory that is a file, or holds results (complete or not), unless ``force``.

    Temporaries left by a killed writer are removed first; an interrupted set is reported as
    incomplete, never as "results".
    """
    try:
        if out.exists() and not out.is_dir():
            fail(f"--out {cut_path(out)} is a file, not a directory")
        if out.is_dir():
            clean_stale_temps(out)
            status = results_status(out)
            if status.present and not force:
                fail(f"{status.describe(out)}; pass --force to replace "
                     f"{'them' if status.complete else 'it'}")
    except OSError as err:
        fail(f"--out {os_error_text(err)}")


def check_new_file(path: Path, force: bool, option: str) -> None:
    """Refuse an output file that is a directory, or exists, unless ``force``."""
    try:
        if path.is_dir():
            fail(f"{option} {cut_path(path)} is a directory")
        if path.exists() and not force:
            fail(f"{cut_path(path)} already exists; pass --force to overwrite it")
    except OSError as err:
        fail(f"{option} {os_error_text(err)}")


def scenario_desc(scenario: sim.Scenario) -> str:
    """Return "365 days × 20,000 users"."""
    n = scenario.population.n_users
    return f"{scenario.horizon_days} days × {n:,} users"


def band_text(q10: float, q50: float, q90: float, unit: str) -> tuple[str, str]:
    """Format a median and its 10–90 % range."""
    return format_kpi(q50, unit), f"{format_kpi(q10, unit)} – {format_kpi(q90, unit)}"


def dashboard_app_path() -> Path:
    """Where the Streamlit dashboard lives: ``<repo>/dashboard/app.py`` next to the package."""
    return Path(sim.__file__).resolve().parent.parent / "dashboard" / "app.py"


# ---------------------------------------------------------------------------- options

SeedsOpt = Annotated[int, typer.Option("--seeds", "-n", help="Replicates: seeds 0..N-1.", show_default=True)]
UsersOpt = Annotated[int | None, typer.Option("--users", help="Override population.n_users.")]
DaysOpt = Annotated[int | None, typer.Option("--days", help="Override horizon_days.")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", metavar="KEY=VALUE",
    help="Override any parameter, e.g. --set strategy.ad_posts_per_day=5 (repeatable).")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", help="Worker processes (default: automatic).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace existing output files.")]
DaskWorkersOpt = Annotated[int | None, typer.Option(
    "--workers", metavar="N", help="Run on a Dask LocalCluster of N worker processes.")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", metavar="ADDR", help="Run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786.")]
