"""``siyu run``: one scenario over several seeds — KPIs with 10–90 % bands, results written atomically.

A scenario whose budget cap binds gets a warning on stderr (its planned spending exceeds it).
``--cashflow`` adds the monthly cash flow (``sim.money``): margin in, costs out, net, cumulative
and discounted cumulative, median and 10–90 % band over seeds.
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
        "--out", metavar="DIR", help="Write daily results, the monthly cash flow, summary.json and scenario.yaml here.")] = None,
    fmt: Annotated[TableFormat, typer.Option(
        "--format", case_sensitive=False, help="Format of the daily results table.")] = TableFormat.csv,
    force: ForceOpt = False,
    workers: WorkersOpt = None,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
    cashflow: Annotated[bool, typer.Option(
        "--cashflow", help="Also print the monthly cash flow (30-day months; discounted at finance.discount_rate).")] = False,
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
    if cashflow:
        console.print(cashflow_table(ens))
    record("run", {scn.name: ens}, store, no_store, workers, started, time.monotonic() - t0)

    if out is not None:
        with user_errors():
            paths = write_results(ens, out, fmt.value, overwrite=force)
        console.print(escape(f"wrote {', '.join(p.name for p in paths)} to {out}"))


#: cash-flow columns printed by ``--cashflow``: column of ``sim.money.cashflow_bands`` -> header
CASHFLOW_SHOWN = {"inflow": "inflow (margin)", "outflow": "outflow (costs)", "net": "net",
                  "cumulative": "cumulative", "discounted_cumulative": "discounted cum."}


def cashflow_table(ens: sim.Ensemble) -> Table:
    """The monthly cash flow of a run's seeds as a table: median [p10 – p90] per month, RMB."""
    from sim.money import cashflow_bands

    flows = cashflow_bands(ens)
    rate = ens.scenario.finance.discount_rate
    table = Table(title=escape(f"Monthly cash flow (RMB, 30-day months; discounted at {rate:.0%} a year) — "
                               "median [p10 – p90] over seeds"))
    table.add_column("month")
    table.add_column("days")
    for head in CASHFLOW_SHOWN.values():
        table.add_column(head, justify="right")
    for _, row in flows.iterrows():
        cells = []
        for col in CASHFLOW_SHOWN:
            med, rng = band_text(row[f"{col}_q10"], row[f"{col}_q50"], row[f"{col}_q90"], "RMB")
            cells.append(med if rng == f"{med} – {med}" else f"{med} [{rng}]")
        table.add_row(str(int(row["month"]) + 1), f"{int(row['first_day'])}–{int(row['last_day'])}", *cells)
    return table
