"""``siyu sweep`` and ``siyu runs``: experiments at scale and the results store.

``siyu sweep SCENARIO --vary PATH=V1,V2 --seeds N`` runs a grid (``--vary PATH=LO:HI
--samples N``: a Latin hypercube; ``--design FILE.csv``: an explicit list) through the local
process pool, a Dask LocalCluster (``--workers N``) or an existing Dask cluster
(``--scheduler tcp://HOST:PORT``), streams every run into the store and prints, per point, the
median and 10–90 % band of the main KPIs. ``siyu runs`` lists the store, ``siyu runs show ID``
reopens one experiment, ``siyu runs rm ID`` deletes one. With ``--json`` each prints one JSON
document on stdout. Bad input is one ``error:`` line and exit code 2.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

import sim
from sim.cli.common import (
    DaskWorkersOpt,
    DaysOpt,
    SchedulerOpt,
    SetOpt,
    UsersOpt,
    app,
    check_backend,
    collect_overrides,
    fail,
    load_with,
    print_json,
    print_listing,
    scenario_desc,
    stderr_console,
    stdout_console,
    user_errors,
)
from sim.cli.recording import StoreOpt, shown
from sim.report import display_unit, format_kpi

#: A sweep above either limit needs --yes.
MAX_RUNS = 10_000
MAX_USER_DAYS = 20_000_000_000

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout instead of tables.")]


class _RateColumn(ProgressColumn):
    """Runs per second of the task."""

    def render(self, task) -> Text:  # noqa: D102
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.2f} runs/s" if speed else "– runs/s")


def sweep_progress() -> Progress:
    """A progress bar on stderr: runs done, runs/s, ETA (silent when stderr is not a terminal)."""
    console = stderr_console()
    return Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TextColumn("runs"), _RateColumn(), TextColumn("ETA"),
                    TimeRemainingColumn(), TimeElapsedColumn(), console=console, transient=True,
                    disable=not console.is_terminal)


def _build_design(vary: list[str], samples: int | None, design_file: Path | None, seed: int):
    from sim.experiments import design as dsg

    if design_file is not None:
        if vary:
            fail("give either --vary or --design, not both")
        if samples is not None:
            fail("--samples goes with --vary PATH=LO:HI ranges, not with --design")
        return dsg.from_csv(design_file)
    if not vary:
        fail("give what to vary: --vary PATH=V1,V2,... (grid), --vary PATH=LO:HI with --samples N "
             "(Latin hypercube) or --design FILE.csv")
    parsed = [dsg.parse_vary(v) for v in vary]
    ranges = {k: v for k, v in parsed if isinstance(v, tuple)}
    lists = {k: v for k, v in parsed if isinstance(v, list)}
    if len(ranges) + len(lists) != len(parsed):
        dup = next(k for i, (k, _) in enumerate(parsed) if k in [p for p, _ in parsed[:i]])
        fail(f"--vary {dup} is given twice")
    if ranges and lists:
        fail("--vary: give either value lists (a grid) or LO:HI ranges with --samples (a Latin hypercube), "
             "not both")
    if ranges:
        if samples is None:
            first = next(iter(ranges))
            fail(f"--vary {first}=LO:HI is a range; add --samples N for a Latin hypercube of N points")
        return dsg.latin_hypercube(ranges, samples, seed=seed)
    if samples is not None:
        fail("--samples needs --vary PATH=LO:HI ranges (a list of values is a grid)")
    return dsg.grid(lists)


def _point_table(result, title: str) -> Table:
    table = Table(title=escape(title))
    table.add_column("point", justify="right")
    show_params = result.paths or (["scenario"] if result.kind in ("run", "compare") else [])
    for p in show_params:
        table.add_column(escape(p), justify="right")
    from sim.experiments import MAIN_KPIS

    kpis = [k for k in MAIN_KPIS if k in result.kpis]
    for k in kpis:
        label, unit = sim.KPI_INFO[k][0], sim.KPI_INFO[k][1]
        u = display_unit(unit)
        table.add_column(escape(f"{label} ({u})" if u and u != "ratio" else label), justify="right")
    for entry in result.summary(kpis):
        params = entry["params"] if result.paths else {"scenario": entry["label"]}
        cells = [str(entry["point"]), *[_value(params.get(p)) for p in show_params]]
        for k in kpis:
            b = entry["kpis"][k]
            unit = sim.KPI_INFO[k][1]
            cells.append(f"{kpi_text(b['q50'], unit)} [{kpi_text(b['q10'], unit)} – {kpi_text(b['q90'], unit)}]")
        table.add_row(*map(escape, cells))
    return table


def kpi_text(value: float | None, unit: str) -> str:
    """A KPI for a table: ``never`` for +inf (payback not reached), ``—`` when undefined (NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float) and math.isinf(value) and value > 0:
        return "never"
    return format_kpi(value, unit)


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


@app.command("sweep")
def sweep_command(
    scenario: Annotated[str, typer.Argument(metavar="SCENARIO", help="Base scenario: shipped name or YAML path.")],
    vary: Annotated[list[str] | None, typer.Option(
        "--vary", metavar="PATH=V1,V2|PATH=LO:HI",
        help="Parameter to vary: a list of values (grid) or a range LO:HI (with --samples). Repeatable.")] = None,
    samples: Annotated[int | None, typer.Option(
        "--samples", metavar="N", help="Latin hypercube points over the --vary ranges.")] = None,
    design_file: Annotated[Path | None, typer.Option(
        "--design", metavar="FILE.csv", help="Explicit design: one column per dotted path, one row per point.")] = None,
    seeds: Annotated[int, typer.Option("--seeds", "-n", help="Replicates per point.", show_default=True)] = 5,
    workers: DaskWorkersOpt = None,
    scheduler: SchedulerOpt = None,
    store: StoreOpt = None,
    experiment_id: Annotated[str | None, typer.Option(
        "--id", metavar="NAME", help="Experiment id (default: new). An existing id with the same experiment resumes.")] = None,
    daily: Annotated[bool, typer.Option("--daily", help="Also store every run's daily table.")] = False,
    json_: JsonOpt = False,
    yes: Annotated[bool, typer.Option("--yes", help=f"Run designs above {MAX_RUNS:,} runs.")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Experiment seed (root of all run seeds).")] = 0,
    independent: Annotated[bool, typer.Option(
        "--independent-seeds", help="Different seeds at every point (default: common random numbers).")] = False,
    users: UsersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
) -> None:
    """Sweep parameters: a design × seeds, stored; per point, the median and 10–90% band of the main KPIs."""
    from sim.experiments import Store, make_backend
    from sim.experiments import sweep as run_sweep
    from sim.experiments.store import check_id

    if seeds < 1:
        fail(f"--seeds must be at least 1 (got {seeds})")
    if samples is not None and samples < 1:
        fail(f"--samples must be at least 1 (got {samples})")
    check_backend(workers, scheduler)
    if seed < 0:
        fail(f"--seed must be non-negative (got {seed})")
    with user_errors():
        if experiment_id is not None:
            check_id(experiment_id)
        base = load_with(scenario, collect_overrides(set_, users, days))
        design = _build_design(vary or [], samples, design_file, seed)
        n_runs = len(design) * seeds
        user_days = n_runs * base.population.n_users * base.horizon_days
        if (n_runs > MAX_RUNS or user_days > MAX_USER_DAYS) and not yes:
            fail(f"the design is {n_runs:,} runs ({len(design):,} points × {seeds} seeds, "
                 f"{user_days:.2g} user-days), above the limit of {MAX_RUNS:,} runs or "
                 f"{MAX_USER_DAYS:.0e} user-days for this machine; pass --yes to run it anyway")
        the_store = Store(store)
        resuming = experiment_id is not None and the_store.exists(experiment_id)
        backend = make_backend(workers=workers, scheduler=scheduler)
        err_console = stderr_console()
        try:
            with sweep_progress() as progress:
                task = progress.add_task(escape(base.name), total=n_runs)
                first = [True]

                def update(done: int, total: int) -> None:
                    if first[0]:  # the first call, before any run: how many are stored already
                        progress.reset(task, total=total, completed=done)
                        first[0] = False
                        if resuming:
                            err_console.print(escape(f"resuming {experiment_id}: {done:,} of {total:,} runs "
                                                     "already stored"))
                    else:
                        progress.update(task, completed=done, total=total)

                result = run_sweep(base, design, seeds, backend=backend, store=the_store, id=experiment_id,
                                   daily=daily, experiment_seed=seed, common_random_numbers=not independent,
                                   progress=update)
        except KeyboardInterrupt:
            msg = "interrupted; the stored runs are kept (partial)"
            if experiment_id is not None:
                msg += f"; run the same command again to resume {experiment_id}"
            fail(msg, 130)
        finally:
            backend.close()

    if json_:
        print_json(result.to_dict())
        return
    title = (f"{result.id} — {len(design):,} points × {seeds} seed{'s' if seeds != 1 else ''}, "
             f"{scenario_desc(base)}; median [p10–p90]")
    console = stdout_console()
    console.print(_point_table(result, title))
    m = result.manifest
    rate = (m.get("timings") or {}).get("runs_per_second")
    speed = f", {rate:.2f} runs/s" if rate else ""
    console.print(escape(f"stored as {result.id} in {shown(the_store.root)} ({result.status}, "
                         f"{m['runs_done']:,} of {m['runs_total']:,} runs{speed}; "
                         f"{m['backend']['backend']} backend, {m['backend']['workers']} workers)"))


# ---------------------------------------------------------------------------- siyu runs

runs_app = typer.Typer(help="The results store: list, show and remove stored experiments.",
                       no_args_is_help=False, add_completion=False)
app.add_typer(runs_app, name="runs")


def _date(text: str | None) -> str:
    return (text or "")[:16].replace("T", " ")


@runs_app.callback(invoke_without_command=True)
def runs_command(
    ctx: typer.Context,
    store: StoreOpt = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind: sweep, run, compare, calibration or optimization.")] = None,
    json_: JsonOpt = False,
) -> None:
    """List the results store: id, kind, scenario, runs, status, date (newest first)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"store": store}
        return
    from sim.experiments.store import KINDS, Store

    if kind is not None and kind not in KINDS:
        fail(f"--kind {kind!r} must be one of {', '.join(KINDS)}")
    with user_errors():
        the_store = Store(store)
        entries = the_store.list(kind)
    n = len(entries)

    def cells(e: dict) -> tuple[str, ...]:
        total = e.get("runs_total")
        runs = f"{e.get('runs_done') or 0:,}" + (f" / {total:,}" if total is not None and total != e.get("runs_done") else "")
        return (e["id"], str(e.get("kind")), str(e.get("scenario") or ""), runs, str(e.get("status")),
                _date(e.get("started")))

    print_listing({"store": str(the_store.root), "experiments": entries}, entries, json_out=json_, cells=cells,
                  title=f"{n} experiment{'s' if n != 1 else ''} in {shown(the_store.root)}",
                  empty=f"no experiments in {shown(the_store.root)}",
                  columns=("id", "kind", "scenario", "runs", "status", "date (UTC)"), right=("runs",))


def _store_of(ctx: typer.Context, store: Path | None) -> Path | None:
    return store if store is not None else (ctx.obj or {}).get("store")


@runs_app.command("show")
def runs_show(
    ctx: typer.Context,
    experiment_id: Annotated[str, typer.Argument(metavar="ID", help="Experiment id (see 'siyu runs').")],
    store: StoreOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show one stored experiment: what was run, how, and per point the KPI medians and bands."""
    from sim.experiments import open as open_experiment

    with user_errors():
        result = open_experiment(experiment_id, _store_of(ctx, store))
        if json_:
            print_json(result.to_dict())
            return
        m = result.manifest
        console = stdout_console()
        backend = m.get("backend") or {}
        lines = [
            ("id", m.get("id", experiment_id)), ("kind", m.get("kind")), ("scenario", m.get("scenario")),
            ("status", f"{result.status} ({m.get('runs_done', 0):,} of {m.get('runs_total') or 0:,} runs)"),
            ("design", f"{(m.get('design') or {}).get('kind', '—')} over {', '.join(result.paths) or '—'}"),
            ("seeds", f"{(m.get('seeds') or {}).get('replicates', '—')} per point, experiment seed "
                      f"{(m.get('seeds') or {}).get('experiment_seed')}"),
            ("backend", f"{backend.get('backend', '—')}, {backend.get('workers') or '—'} workers"
                        + (f", scheduler {backend['scheduler']}" if backend.get("scheduler") else "")),
            ("started", _date(m.get("started"))), ("finished", _date(m.get("finished")) or "—"),
            ("wall time", f"{(m.get('timings') or {}).get('wall_seconds', math.nan):.1f} s"),
            ("version", f"siyu {m.get('siyu_version')}, commit {(m.get('git_commit') or '—')[:12]}"),
        ]
        if m.get("error"):
            lines.append(("note", m["error"]))
        info = Table(show_header=False, box=None)
        info.add_column(style="bold")
        info.add_column()
        for k, v in lines:
            info.add_row(escape(k), escape(str(v)))
        console.print(info)
        if len(result.table):
            console.print(_point_table(result, f"{result.id}: per point, median [p10–p90]"))


@runs_app.command("rm")
def runs_rm(
    ctx: typer.Context,
    experiment_id: Annotated[str, typer.Argument(metavar="ID", help="Experiment id to delete.")],
    store: StoreOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Delete one stored experiment."""
    from sim.experiments.store import Store

    with user_errors():
        the_store = Store(_store_of(ctx, store))
        the_store.remove(experiment_id)
    if json_:
        print_json({"removed": experiment_id, "store": str(the_store.root)})
    else:
        stdout_console().print(escape(f"removed {experiment_id} from {shown(the_store.root)}"))
