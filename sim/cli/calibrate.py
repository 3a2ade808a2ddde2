"""``siyu calibrate``: fit unknown market and behaviour parameters to a pilot CSV (ABC-SMC, pyabc).

``siyu calibrate content_led --data pilot.csv --fit public.platform_conversion
--fit public.organic_reach_per_day=0:0.1 --budget 2000 --out calibrated.yaml`` runs an
ABC-SMC calibration (:func:`sim.planning.calibration.calibrate`), stores it in the results
store (kind ``calibration``, id ``calib-…``), prints per parameter the posterior median and
90 % interval, the posterior-predictive forecast to the scenario's horizon (10–90 % bands), and
writes the calibrated scenario (``extends`` the base, the fitted medians) atomically; an
existing ``--out`` is refused unless ``--force``. With ``--json`` one JSON document goes to
stdout. Bad input (pilot file, fit parameters, budget…) is one ``error:`` line and exit code 2.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

import sim
from sim.cli.common import (
    DaysOpt,
    SchedulerOpt,
    SetOpt,
    UsersOpt,
    app,
    check_backend,
    check_yaml_out,
    collect_overrides,
    fail,
    load_with,
    print_json,
    scenario_desc,
    stderr_console,
    stdout_console,
    user_errors,
)
from sim.cli.recording import StoreOpt, shown


def _num(v: float | None) -> str:
    """A number for a table: 4 significant digits, whole with thousands separators from 1,000."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


@app.command("calibrate")
def calibrate_command(
    scenario: Annotated[str, typer.Argument(metavar="SCENARIO",
                                            help="What the merchant did: shipped name or YAML path.")],
    data: Annotated[Path, typer.Option("--data", metavar="PILOT.csv",
                                       help="Pilot CSV: a day (or week) column and model series.")],
    fit: Annotated[list[str], typer.Option(
        "--fit", metavar="PATH[=LO:HI]",
        help="Parameter to fit; prior uniform on the schema's bounds or on LO:HI. Repeatable.")],
    series: Annotated[list[str] | None, typer.Option(
        "--series", metavar="NAME", help="Compare only these pilot columns (default: all). Repeatable.")] = None,
    seeds: Annotated[int, typer.Option("--seeds", "-n", help="Posterior-predictive forecast runs.",
                                       show_default=True)] = 20,
    budget: Annotated[int, typer.Option("--budget", metavar="RUNS",
                                        help="Simulations the ABC may use (checked between generations).",
                                        show_default=True)] = 2000,
    population: Annotated[int | None, typer.Option(
        "--population", metavar="N", help="Particles per generation (default: budget/10, 20 to 100).")] = None,
    generations: Annotated[int, typer.Option("--generations", metavar="N", help="At most N ABC generations.",
                                             show_default=True)] = 10,
    workers: Annotated[int | None, typer.Option(
        "--workers", metavar="N", help="Local worker processes (default 1: reproducible by --seed).")] = None,
    scheduler: SchedulerOpt = None,
    out: Annotated[Path | None, typer.Option("--out", metavar="FILE.yaml",
                                             help="Write the calibrated scenario here.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file.")] = False,
    store: StoreOpt = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Keep nothing in the results store.")] = False,
    experiment_id: Annotated[str | None, typer.Option("--id", metavar="NAME",
                                                      help="Experiment id (default: calib-…).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the ABC's draws and the forecast.")] = 0,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
    users: UsersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
) -> None:
    """Calibrate: fit parameters to a pilot; posterior medians, 90% intervals, forecast, calibrated YAML."""
    from sim.planning.calibration import calibrate
    from sim.planning.pilot import read_pilot

    check_backend(workers, scheduler, "local processes", "a Dask cluster")
    check_yaml_out(out, force, "the calibrated scenario")
    with user_errors():
        base = load_with(scenario, collect_overrides(set_, users, days))
        pilot = read_pilot(data)
        backend = None
        if scheduler is not None:
            from sim.experiments import DaskBackend

            backend = DaskBackend(scheduler=scheduler)
        try:
            console = stderr_console()
            status = console.status(escape(f"calibrating {base.name} to {data.name} (ABC-SMC)…"))
            if console.is_terminal:
                status.start()

            def progress(stage: str, done: int, total: int) -> None:
                if console.is_terminal:
                    word = "ABC-SMC" if stage == "abc" else f"forecast {done}/{total}"
                    status.update(escape(f"calibrating {base.name}: {word}…"))

            try:
                result = calibrate(base, pilot, fit, series=series, seeds=seeds, budget=budget,
                                   population=population, generations=generations, seed=seed,
                                   workers=workers or 1, backend=backend,
                                   store=False if no_store else store, id=experiment_id, progress=progress)
            finally:
                if console.is_terminal:
                    status.stop()
        except KeyboardInterrupt:
            fail("interrupted; nothing was kept as complete (a stored calibration stays partial)", 130)
        finally:
            if backend is not None:
                backend.close()
        result.base_ref = _reference(scenario)  # extends it; --set/--users/--days are written out
        written = result.write_yaml(out, overwrite=force) if out is not None else None

    if json_:
        doc = result.to_json()
        doc["out"] = str(written) if written is not None else None
        print_json(doc)
        return
    print_calibration(result, budget, written)


def print_calibration(result, budget: int, written: Path | None = None) -> None:
    """The tables of a calibration on stdout: parameters, the ABC run, the forecast, what was written."""
    base, pilot = result.base, result.pilot
    console = stdout_console()
    summary = result.summary()
    table = Table(title=escape(f"{base.name} calibrated to {Path(pilot.source).name} ({pilot.rows} {pilot.unit}s, "
                               f"{', '.join(pilot.columns)}) — {scenario_desc(base)}"))
    for col in ("parameter", "prior", "median", "90% interval", "interval / prior", "unit"):
        table.add_column(col, justify="left" if col in ("parameter", "unit") else "right")
    for p in result.parameters:
        s = summary[p.path]
        table.add_row(*map(escape, (p.path, f"{_num(p.lo)} – {_num(p.hi)}", _num(s["median"]),
                                    f"{_num(s['q05'])} – {_num(s['q95'])}", f"{s['shrinkage']:.0%}", p.unit)))
    console.print(table)
    eps = result.generations["epsilon"].dropna()
    console.print(escape(f"ABC-SMC: {result.runs:,} simulations (budget {budget:,}), "
                         f"{int((result.generations['t'] >= 0).sum())} generations of "
                         f"{result.info['population']} particles, final distance threshold "
                         f"{_num(float(eps.iloc[-1])) if len(eps) else '—'}; sampler {result.info['sampler']}"))
    draws = int(result.forecast_kpis["draw"].nunique())
    ftable = Table(title=escape(f"posterior-predictive forecast to day {base.horizon_days} ({draws} draws): "
                                "median [p10–p90]"))
    for col in ("series", "over the horizon", "forecast", f"pilot ({pilot.span_days} days)"):
        ftable.add_column(col, justify="left" if col == "series" else "right")
    for name, r in result.outlook().items():
        ftable.add_row(*map(escape, (name, "total" if r["measure"] == "total" else f"on day {base.horizon_days}",
                                     f"{_num(r['q50'])} [{_num(r['q10'])} – {_num(r['q90'])}]",
                                     _num(r["pilot"]) if "pilot" in r else "—")))
    console.print(ftable)
    if written is not None:
        console.print(escape(f"wrote {written}"))
    if result.id is not None:
        console.print(escape(f"stored as {result.id} in {shown(result.store.root)} ({result.info['status']})"))


def _reference(scenario: str) -> str | None:
    """What the calibrated YAML extends: the shipped name or the file given on the command line."""
    if scenario in sim.list_scenarios():
        return scenario
    return str(Path(scenario)) if Path(scenario).is_file() else None
