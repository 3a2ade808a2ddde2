"""The ``siyu`` command line: list, validate, run and compare scenarios, open the dashboard.

``siyu run content_led --seeds 5 --out results/`` runs a shipped scenario (or a YAML file)
over several seeds, prints the KPIs with their 10–90% bands and writes the results
atomically; ``siyu compare A B --html report.html`` does the same for several scenarios and
writes a self-contained HTML report. Every user error — an invalid scenario or override, a
missing or empty file, an unknown scenario name, a bad option value, an output that already
exists — is printed as ONE line ``error: ...`` on stderr with exit code 2, never a
traceback. Long work shows a rich progress bar on stderr; tables go to stdout.
"""

from __future__ import annotations

import difflib
import os
import subprocess
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
from sim.io import OutputExistsError, existing_results, write_results
from sim.loader import parse_override
from sim.report import display_unit, format_kpi

try:  # typer >= 0.2x vendors click; older versions use click itself
    from typer import _click as _clicklib
except ImportError:  # pragma: no cover - depends on the installed typer
    import click as _clicklib

__all__ = ["app", "dashboard_app_path"]

USAGE_EXIT = 2
IO_EXIT = 1


def _one_line(text: object) -> str:
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
            typer.echo(f"error: {_one_line(err.format_message())}{hint}", err=True)
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


def _fail(message: object, code: int = USAGE_EXIT) -> NoReturn:
    """Print one ``error:`` line on stderr and exit."""
    typer.echo(f"error: {_one_line(message)}", err=True)
    raise typer.Exit(code)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into one ``error:`` line and an exit code."""
    try:
        yield
    except sim.ScenarioError as err:
        _fail(err)
    except OutputExistsError as err:
        _fail(f"{err.path} already exists; pass --force to overwrite it")
    except OSError as err:
        where = f"{err.filename}: " if getattr(err, "filename", None) else ""
        _fail(f"{where}{err.strerror or err}", IO_EXIT)
    except KeyboardInterrupt:
        _fail("interrupted", 130)


def _stdout() -> Console:
    """Return a console for tables; when piped, wide enough that tables do not wrap."""
    console = Console(highlight=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console = Console(highlight=False, width=200)
    return console


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _progress() -> Progress:
    """Return a transient progress display on stderr (silent when stderr is not a terminal)."""
    console = _stderr()
    return Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
        MofNCompleteColumn(), TextColumn("{task.fields[unit]}"), TimeElapsedColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    )


def _overrides(sets: list[str] | None, users: int | None, days: int | None) -> dict[str, Any]:
    """Collect ``--set key=value`` pairs and the ``--users``/``--days`` shortcuts."""
    out: dict[str, Any] = {}
    for text in sets or []:
        key, value = parse_override(text)
        if not key:
            raise sim.ScenarioError(f"override {text!r} must look like section.field=value")
        out[key] = value
    if users is not None:
        out["population.n_users"] = users
    if days is not None:
        out["horizon_days"] = days
    return out


def _load(name: str, overrides: dict[str, Any]) -> sim.Scenario:
    scenario = sim.load_scenario(name)
    return scenario.with_overrides(overrides) if overrides else scenario


def _check_seeds(seeds: int) -> None:
    if seeds < 1:
        _fail(f"--seeds must be at least 1 (got {seeds})")


def _simulate(scenario: sim.Scenario, seeds: int, progress: Progress, label: str,
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


def _check_out_dir(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        _fail(f"--out {out} is a file, not a directory")
    if out.is_dir() and not force:
        present = existing_results(out)
        if present:
            _fail(f"{out} already contains results ({', '.join(present)}); "
                  "pass --force to replace them")


def _check_new_file(path: Path, force: bool, option: str) -> None:
    if path.is_dir():
        _fail(f"{option} {path} is a directory")
    if path.exists() and not force:
        _fail(f"{path} already exists; pass --force to overwrite it")


def _scenario_desc(scenario: sim.Scenario) -> str:
    n = scenario.population.n_users
    return f"{scenario.horizon_days} days × {n:,} users"


def _band_text(q10: float, q50: float, q90: float, unit: str) -> tuple[str, str]:
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


# ---------------------------------------------------------------------------- commands


@app.command("list")
def list_command() -> None:
    """List the shipped scenarios with their one-line description."""
    names = sim.list_scenarios()
    if not names:
        _fail(f"no shipped scenarios found in {sim.loader.SCENARIO_DIR}")
    width = max(len(n) for n in names)
    for name in names:
        try:
            desc = sim.load_scenario(name).description
        except sim.ScenarioError as err:
            desc = f"(invalid: {err})"
        first = next((line for line in desc.splitlines() if line.strip()), "")
        typer.echo(f"{name:<{width}}  {_one_line(first)}".rstrip())


@app.command("validate")
def validate_command(
    file: Annotated[str, typer.Argument(metavar="FILE", help="Scenario YAML file (or shipped name).")],
) -> None:
    """Validate a scenario file: prints "OK: name", or the one-line error and exits 2."""
    with _user_errors():
        scenario = sim.load_scenario(file)
    typer.echo(f"OK: {scenario.name}")


@app.command("run")
def run_command(
    scenario: Annotated[str, typer.Argument(metavar="SCENARIO", help="Shipped scenario name or YAML path.")],
    seeds: SeedsOpt = 5,
    users: UsersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
    out: Annotated[Path | None, typer.Option(
        "--out", metavar="DIR", help="Write daily results, summary.json and scenario.yaml here.")] = None,
    fmt: Annotated[TableFormat, typer.Option(
        "--format", case_sensitive=False, help="Format of the daily results table.")] = TableFormat.csv,
    force: ForceOpt = False,
    workers: WorkersOpt = None,
) -> None:
    """Run one scenario over several seeds and print its KPIs with 10–90% bands."""
    _check_seeds(seeds)
    with _user_errors():
        scn = _load(scenario, _overrides(set_, users, days))
        if out is not None:
            _check_out_dir(out, force)
        with _progress() as progress:
            ens = _simulate(scn, seeds, progress, scn.name, workers)

    bands = ens.summary_bands()
    table = Table(title=escape(f"{scn.name} — {seeds} seed{'s' if seeds != 1 else ''}, {_scenario_desc(scn)}"))
    table.add_column("KPI")
    table.add_column("median", justify="right")
    table.add_column("p10–p90", justify="right")
    table.add_column("unit")
    for kpi, (label, unit, _higher, _desc) in sim.KPI_INFO.items():
        if kpi not in bands.index:
            continue
        med, rng = _band_text(*bands.loc[kpi, ["q10", "q50", "q90"]], unit)
        table.add_row(*map(escape, (label, med, rng, display_unit(unit))))
    console = _stdout()
    console.print(table)

    if out is not None:
        with _user_errors():
            paths = write_results(ens, out, fmt.value, overwrite=force)
        console.print(escape(f"wrote {', '.join(p.name for p in paths)} to {out}"))


def _labels(args: list[str], scenarios: list[sim.Scenario]) -> list[str]:
    """Make unique display labels: the scenario name, disambiguated by its argument if needed."""
    labels: list[str] = []
    for arg, scn in zip(args, scenarios, strict=True):
        label = scn.name
        if label in labels:
            label = f"{scn.name} [{arg}]"
        i = 2
        base = label
        while label in labels:
            label = f"{base} #{i}"
            i += 1
        labels.append(label)
    return labels


def _pick_baseline(baseline: str | None, labels: list[str], args: list[str]) -> str:
    if baseline is None:
        return labels[0]
    if baseline in labels:
        return baseline
    if baseline in args:
        return labels[args.index(baseline)]
    hint = difflib.get_close_matches(baseline, labels, n=1)
    extra = f"; did you mean {hint[0]!r}?" if hint else f"; choose one of: {', '.join(labels)}"
    _fail(f"--baseline {baseline!r} is not one of the compared scenarios{extra}")


@app.command("compare")
def compare_command(
    scenarios: Annotated[list[str], typer.Argument(
        metavar="SCENARIO", help="Two or more shipped scenario names or YAML paths.")],
    seeds: SeedsOpt = 5,
    users: UsersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
    baseline: Annotated[str | None, typer.Option(
        "--baseline", metavar="NAME", help="Scenario the others are compared with (default: the first).")] = None,
    html: Annotated[Path | None, typer.Option(
        "--html", metavar="FILE", help="Write a self-contained HTML report here.")] = None,
    force: ForceOpt = False,
    workers: WorkersOpt = None,
) -> None:
    """Compare scenarios: KPI medians with 10–90% bands and P(beats baseline) on profit."""
    _check_seeds(seeds)
    if len(scenarios) < 2:
        _fail("compare needs at least two scenarios")
    with _user_errors():
        overrides = _overrides(set_, users, days)
        loaded = [_load(name, overrides) for name in scenarios]
    labels = _labels(scenarios, loaded)
    base = _pick_baseline(baseline, labels, scenarios)
    if html is not None:
        _check_new_file(html, force, "--html")

    ensembles: dict[str, sim.Ensemble] = {}
    with _user_errors(), _progress() as progress:
        for label, scn in zip(labels, loaded, strict=True):
            ensembles[label] = _simulate(scn, seeds, progress, label, workers)

    first = loaded[0]
    same = all(s.population.n_users == first.population.n_users
               and s.horizon_days == first.horizon_days for s in loaded)
    size = f", {_scenario_desc(first)}" if same else ""
    table = Table(title=escape(f"{len(labels)} scenarios — {seeds} seed{'s' if seeds != 1 else ''}{size}; "
                               "median [p10–p90]"))
    table.add_column("KPI")
    table.add_column("unit")
    for label in labels:
        table.add_column(escape(label + (" (baseline)" if label == base else "")), justify="right")
    bands = {label: ens.summary_bands() for label, ens in ensembles.items()}
    for kpi, (name, unit, _higher, _desc) in sim.KPI_INFO.items():
        cells = []
        for label in labels:
            b = bands[label]
            med, rng = _band_text(*b.loc[kpi, ["q10", "q50", "q90"]], unit) if kpi in b.index else ("n/a", "n/a")
            cells.append(f"{med} [{rng}]")
        table.add_row(*map(escape, (name, display_unit(unit), *cells)))
    beats = ["—" if label == base else f"{sim.prob_beats(ensembles[label], ensembles[base], 'cum_profit'):.0%}"
             for label in labels]
    table.add_section()
    table.add_row("P(beats baseline) on profit", "probability", *beats)
    console = _stdout()
    console.print(table)

    if html is not None:
        from sim.io import atomic_write_text
        from sim.report import compare_report_html

        with _user_errors():
            page = compare_report_html(ensembles, baseline=base)
            atomic_write_text(html, page, overwrite=force)
        console.print(escape(f"wrote {html}"))


@app.command("dashboard")
def dashboard_command(
    port: Annotated[int, typer.Option("--port", help="Port to serve the dashboard on.")] = 8501,
    headless: Annotated[bool, typer.Option("--headless", help="Do not open a browser.")] = False,
) -> None:
    """Open the interactive dashboard (Streamlit)."""
    if not 1 <= port <= 65535:
        _fail(f"--port must be between 1 and 65535 (got {port})")
    app_path = dashboard_app_path()
    if not app_path.is_file():
        _fail(f"dashboard not found at {app_path}")
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_path),
           "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    if headless:
        cmd += ["--server.headless", "true"]
    try:
        code = subprocess.call(cmd)
    except KeyboardInterrupt:
        code = 130
    except OSError as err:
        _fail(f"cannot start streamlit: {err.strerror or err}", IO_EXIT)
    raise typer.Exit(code)


if __name__ == "__main__":  # pragma: no cover
    app()
