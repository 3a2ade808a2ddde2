"""``siyu run``: one scenario over several seeds — KPIs with 10–90 % bands, results written atomically.

A scenario whose budget cap binds gets a warning on stderr (its planned spending exceeds it).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

import sim
from sim.cli.common import (
    DaysOpt,
    ForceOpt,
    SeedsOpt,
    SetOpt,
    TableFormat,
    UsersOpt,
    WorkersOpt,
    app,
    band_text,
    check_out_dir,
    check_seeds,
    check_work,
    check_workers,
    collect_overrides,
    load_with,
    progress_bar,
    scenario_desc,
    simulate_seeds,
    stdout_console,
    user_errors,
    warn_budgets,
)
from sim.cli.recording import NoStoreOpt, StoreOpt, record
from sim.experiments.store import utc_now
from sim.io import write_results
from sim.report import display_unit


def print_phases(console, scenarios: dict[str, sim.Scenario]) -> None:
    """Print each phased scenario's plan phases: what changes on which day (nothing for others)."""
    from sim.diff import phase_text

    for name, sc in scenarios.items():
        if sc.phases:
            console.print(escape(f"{name} plan phases: day 0 the base plan; " + "; ".join(phase_text(sc))))


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
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Run one scenario over several seeds and print its KPIs with 10–90% bands."""
    check_seeds(seeds)
    check_workers(workers)
    started, t0 = utc_now(), time.monotonic()
    with user_errors():
        scn = load_with(scenario, collect_overrides(set_, users, days))
        check_work([scn], seeds)
        if out is not None:
            check_out_dir(out, force)
        with progress_bar() as progress:
            ens = simulate_seeds(scn, seeds, progress, scn.name, workers)

    warn_budgets({scn.name: ens})
    bands = ens.summary_bands()
    table = Table(title=escape(f"{scn.name} — {seeds} seed{'s' if seeds != 1 else ''}, {scenario_desc(scn)}"))
    table.add_column("KPI")
    table.add_column("median", justify="right")
    table.add_column("p10–p90", justify="right")
    table.add_column("unit")
    for kpi, (label, unit, _higher, _desc) in sim.KPI_INFO.items():
        if kpi not in bands.index:
            continue
        med, rng = band_text(*bands.loc[kpi, ["q10", "q50", "q90"]], unit)
        table.add_row(*map(escape, (label, med, rng, display_unit(unit))))
    console = stdout_console()
    console.print(table)
    print_phases(console, {scn.name: scn})
    record("run", {scn.name: ens}, store, no_store, workers, started, time.monotonic() - t0)

    if out is not None:
        with user_errors():
            paths = write_results(ens, out, fmt.value, overwrite=force)
        console.print(escape(f"wrote {', '.join(p.name for p in paths)} to {out}"))
