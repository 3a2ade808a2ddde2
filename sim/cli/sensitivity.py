"""``siyu sensitivity SCENARIO``: which assumption moves the result (SALib Morris or Sobol', stored).

``siyu sensitivity content_led --method morris --section trust --kpi cum_profit --samples 10
--seeds 3`` screens every number field of a schema section; ``--vary PATH=LO:HI`` (repeatable)
names parameters and narrows their ranges; ``--method sobol`` gives first-order and total
indices of a chosen few. Every run goes through the experiment layer (local pool, ``--workers
N`` Dask LocalCluster, ``--scheduler ADDR``) into the results store under a ``sens-...`` id;
the indices are kept beside the runs. Prints the ranked indices with their intervals, the
seed share and the tornado (``--json``: one JSON document). Bad input: one ``error:`` line,
exit 2. See docs/SENSITIVITY.md.
"""

from __future__ import annotations

import math
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

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
    scenario_desc,
    stdout_console,
    user_errors,
)
from sim.cli.experiments import kpi_text, sweep_progress
from sim.cli.recording import StoreOpt, shown


def _index(v: float) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.3f}"


def indices_table(res, title: str) -> Table:
    """The ranked index table: each index with SALib's 90 % interval and its range over resampled seeds."""
    from sim.report import display_unit

    unit = sim.KPI_INFO[res.kpi][1]
    table = Table(title=escape(title))
    table.add_column("rank", justify="right")
    table.add_column("parameter")
    table.add_column("range", justify="right")
    if res.method == "morris":
        u = display_unit(unit)
        cols = [("mu_star", f"μ* ({u})" if u and u != "ratio" else "μ*"), ("mu", "μ"), ("sigma", "σ")]
    else:
        cols = [("S1", "S1"), ("ST", "ST")]
    for _, head in cols:
        table.add_column(escape(head), justify="right")
    table.add_column("seed range of " + ("μ*" if res.method == "morris" else "S1 / ST"), justify="right")
    fmt = (lambda v: kpi_text(v, unit)) if res.method == "morris" else _index
    for _, row in res.table.iterrows():
        cells = [str(int(row["rank"])), row["parameter"], f"{row['lo']:g} – {row['hi']:g}"]
        for key, _ in cols:
            text = fmt(row[key])
            if f"{key}_lo" in row:
                text += f" [{fmt(row[f'{key}_lo'])} – {fmt(row[f'{key}_hi'])}]"
            cells.append(text)
        if res.method == "morris":
            seeds = f"{fmt(row['mu_star_seed_q10'])} – {fmt(row['mu_star_seed_q90'])}"
        else:
            seeds = (f"{_index(row['S1_seed_q10'])} – {_index(row['S1_seed_q90'])} / "
                     f"{_index(row['ST_seed_q10'])} – {_index(row['ST_seed_q90'])}")
        cells.append(seeds)
        table.add_row(*map(escape, cells))
    return table


def tornado_table(res, title: str) -> Table:
    """The tornado as a table: the KPI at each parameter's low and high end, median [p10–p90], by swing."""
    unit = sim.KPI_INFO[res.kpi][1]
    table = Table(title=escape(title))
    for col in ("parameter", "low", "KPI at low", "high", "KPI at high", "swing"):
        table.add_column(col, justify="left" if col == "parameter" else "right")
    for _, r in res.tornado.iterrows():
        table.add_row(*map(escape, (
            r["parameter"], f"{r['lo']:g}",
            f"{kpi_text(r['low_q50'], unit)} [{kpi_text(r['low_q10'], unit)} – {kpi_text(r['low_q90'], unit)}]",
            f"{r['hi']:g}",
            f"{kpi_text(r['high_q50'], unit)} [{kpi_text(r['high_q10'], unit)} – {kpi_text(r['high_q90'], unit)}]",
            kpi_text(r["swing"], unit))))
    return table


@app.command("sensitivity")
def sensitivity_command(
    scenario: Annotated[str, typer.Argument(metavar="SCENARIO", help="Base scenario: shipped name or YAML path.")],
    method: Annotated[str, typer.Option("--method", metavar="morris|sobol",
                                        help="morris: screen many parameters; sobol: S1 and ST of a few.")] = "morris",
    vary: Annotated[list[str] | None, typer.Option(
        "--vary", metavar="PATH[=LO:HI]",
        help="Parameter to vary, over the schema's range or LO:HI. Repeatable.")] = None,
    section: Annotated[list[str] | None, typer.Option(
        "--section", metavar="NAME", help="Vary every number field of a schema section (e.g. trust). Repeatable.")] = None,
    kpi: Annotated[str, typer.Option("--kpi", metavar="KPI", help="KPI to analyse (see sim.KPI_INFO).")] = "cum_profit",
    samples: Annotated[int | None, typer.Option(
        "--samples", metavar="N", help="Morris trajectories (default 10) or Sobol' base samples, a power of 2 (default 64).")] = None,
    seeds: Annotated[int, typer.Option("--seeds", "-n", help="Replicates per point (2 to 50), common random numbers.")] = 3,
    workers: DaskWorkersOpt = None,
    scheduler: SchedulerOpt = None,
    store: StoreOpt = None,
    experiment_id: Annotated[str | None, typer.Option(
        "--id", metavar="NAME", help="Experiment id (default: new sens-...). The same id resumes; another --kpi of it needs no runs.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sample, the run seeds and the bootstraps.")] = 0,
    no_tornado: Annotated[bool, typer.Option("--no-tornado", help="Skip the low/high runs of the tornado.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout instead of tables.")] = False,
    users: UsersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
) -> None:
    """Which assumption moves the result? Morris screening or Sobol' indices of a KPI, seed noise apart."""
    from sim.experiments import make_backend
    from sim.planning import sensitivity as sa

    if method not in sa.METHODS:
        fail(f"--method {method!r} must be one of {', '.join(sa.METHODS)}")
    check_backend(workers, scheduler)
    if seed < 0:
        fail(f"--seed must be non-negative (got {seed})")
    with user_errors():
        sa.check_kpi(kpi)
        base = load_with(scenario, collect_overrides(set_, users, days))
        facs = sa.factors(base, vary or [], section or [])
        n = sa.DEFAULT_SAMPLES[method] if samples is None else samples
        sa.plan_runs(base, facs, method, n, seeds, not no_tornado)  # every limit before a worker starts
        if experiment_id is not None:
            from sim.experiments.store import check_id

            check_id(experiment_id)
        backend = make_backend(workers=workers, scheduler=scheduler)
        try:
            with sweep_progress() as progress:
                task = progress.add_task(escape(f"{method}: {base.name}"), total=None)
                res = sa.sensitivity(base, method, vary={f.path: (f.lo, f.hi) for f in facs}, kpi=kpi,
                                     samples=n, seeds=seeds, backend=backend, store=store, id=experiment_id,
                                     seed=seed, tornado=not no_tornado,
                                     progress=lambda done, total: progress.update(task, completed=done, total=total))
        except KeyboardInterrupt:
            fail("interrupted; the stored runs are kept (partial) and no index is shown"
                 + (f"; run the same command again to resume {experiment_id}" if experiment_id else ""), 130)
        finally:
            backend.close()
    if json_:
        print_json(res.to_dict())
        return
    console = stdout_console()
    label, unit = sim.KPI_INFO[kpi][0], sim.KPI_INFO[kpi][1]
    what = (f"{res.samples} trajectories" if method == "morris" else f"N = {res.samples}")
    console.print(indices_table(res, f"{res.id or 'sensitivity'} — {method} of {label} on {base.name} "
                                     f"({scenario_desc(base)}): {len(facs)} parameters, {what}, {seeds} seeds, "
                                     f"{res.runs:,} runs; [90 % bootstrap interval]"))
    console.print(escape(f"seed noise: {res.seed_share:.1%} of the KPI's variance over the sample is between seeds "
                         f"of the same point; {res.residual_noise_share:.1%} of the variance of the seed means the "
                         f"indices use is still noise (mean {kpi_text(res.kpi_mean, unit)}, "
                         f"sd {kpi_text(res.kpi_sd, unit)})"))
    if len(res.tornado):
        b = res.base_band
        console.print(tornado_table(res, f"tornado: {label} with one parameter at its low or high end, the others at "
                                         f"base (base {kpi_text(b['q50'], unit)} [{kpi_text(b['q10'], unit)} – "
                                         f"{kpi_text(b['q90'], unit)}]); median [p10–p90] over {seeds} seeds"))
    if res.store is not None:
        from pathlib import Path

        console.print(escape(f"stored as {res.id} in {shown(Path(res.store))} ({res.runs:,} runs, "
                             f"{res.backend.get('backend')} backend, {res.backend.get('workers')} workers, "
                             f"{res.wall_seconds:.1f} s)"))
