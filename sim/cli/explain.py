"""``siyu explain A B``: why A beats (or trails) B on a KPI, split into lever-group contributions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

import sim
from sim import planning
from sim.cli.common import (
    DaskWorkersOpt,
    DaysOpt,
    ForceOpt,
    SchedulerOpt,
    SetOpt,
    UsersOpt,
    app,
    check_backend,
    check_new_file,
    check_work,
    collect_overrides,
    fail,
    load_with,
    progress_bar,
    scenario_desc,
    simulate_seeds,
    stdout_console,
    user_errors,
)
from sim.experiments import Backend, make_backend
from sim.report import display_unit, format_kpi


def _short(value: object) -> str:
    """A field value for the table: numbers compact, booleans lower-case, lists by length."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return f"[{len(value)} items]"
    return str(value)


def explanation_table(expl: planning.Explanation, title: str) -> Table:
    """The explanation as a rich table: one row per group, then the total and both values."""
    unit = expl.unit
    table = Table(title=escape(title))
    for col, justify in (("lever group", "left"), ("what A changes", "left"), ("fields (B → A)", "left"),
                         ("mean", "right"), ("median [p10–p90]", "right")):
        table.add_column(escape(col), justify=justify)  # type: ignore[arg-type]

    def cells(values: object) -> tuple[str, str]:
        b = planning.band(values)  # type: ignore[arg-type]
        return (format_kpi(b["mean"], unit, signed=True),
                f"{format_kpi(b['q50'], unit, signed=True)} [{format_kpi(b['q10'], unit, signed=True)} – "
                f"{format_kpi(b['q90'], unit, signed=True)}]")

    for g in expl.groups:
        fields = ", ".join(f"{p.removeprefix('strategy.')} {_short(vb)}→{_short(va)}"
                           for p, (va, vb) in expl.fields[g].items())
        table.add_row(*map(escape, (g, expl.lever_label(g), fields, *cells(expl.contributions[g]))))
    table.add_section()
    table.add_row(*map(escape, ("total", f"{expl.a} − {expl.b}", "", *cells(expl.total))))
    for name, values in ((expl.b, expl.value_b), (expl.a, expl.value_a)):
        b = planning.band(values)
        table.add_row(*map(escape, (name, "value", "", format_kpi(b["mean"], unit),
                                    f"{format_kpi(b['q50'], unit)} [{format_kpi(b['q10'], unit)} – "
                                    f"{format_kpi(b['q90'], unit)}]")))
    return table


def run_explanation(a: sim.Scenario, b: sim.Scenario, kpi: str, seeds: int,
                    labels: tuple[str, str] | None = None, backend: Backend | None = None
                    ) -> planning.Explanation:
    """Run an explanation under a progress bar (one-line errors; used by explain and compare).

    ``backend`` is where the coalitions run (default: :func:`sim.planning.local_backend`).
    """
    with user_errors(), progress_bar() as progress:
        total, missing = planning.count_runs(a, b, seeds)
        task = progress.add_task(escape(f"explain: {total // max(seeds, 1)} coalitions × {seeds} seeds"),
                                 total=missing, unit="runs")
        return planning.explain(a, b, kpi, seeds, labels=labels, backend=backend,
                                progress=lambda done, n: progress.update(task, completed=done, total=n))


@app.command("explain")
def explain_command(
    a: Annotated[str, typer.Argument(metavar="A", help="Scenario whose levers explain the difference (name or YAML path).")],
    b: Annotated[str, typer.Argument(metavar="B", help="Scenario it is compared with (name or YAML path).")],
    kpi: Annotated[str, typer.Option("--kpi", metavar="KPI", help="KPI to explain (any of 'siyu' KPIs).")] = "cum_profit",
    seeds: Annotated[int, typer.Option("--seeds", "-n", help=f"Seeds 0..N-1, the same for every coalition (1 to {planning.MAX_SEEDS}).")] = 5,
    users: UsersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document instead of the table.")] = False,
    html: Annotated[Path | None, typer.Option(
        "--html", metavar="FILE", help="Also write a self-contained HTML report (A and B compared, with the waterfall).")] = None,
    force: ForceOpt = False,
    lang: Annotated[str, typer.Option(
        "--lang", metavar="LANG", help="Language of the HTML report: en or zh.")] = "en",
    workers: DaskWorkersOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Why does A beat B? Split KPI(A) − KPI(B) into exact Shapley contributions of lever groups.

    Every coalition (B with some groups' fields taken from A) runs over the same seeds, so per
    seed the parts add up to the whole difference. Cost: 2^k coalitions × seeds runs for k groups,
    on this machine's CPUs, a new Dask LocalCluster (--workers) or a running cluster (--scheduler).
    """
    if a == b:
        fail(f"A and B are the same scenario ({a!r}); name two different scenarios")
    if not 1 <= seeds <= planning.MAX_SEEDS:
        fail(f"--seeds must be 1 to {planning.MAX_SEEDS} (got {seeds})")
    if lang not in ("en", "zh"):
        fail(f"--lang must be en or zh (got {lang!r})")
    check_backend(workers, scheduler)
    with user_errors():
        planning.check_kpi(kpi)
        overrides = collect_overrides(set_, users, days)
        sa, sb = load_with(a, overrides), load_with(b, overrides)
        if not planning.lever_groups(sa, sb):
            fail(f"{a} and {b} have the same parameters (name and description aside); nothing to explain")
        check_work([sa] * 2 ** len(planning.lever_groups(sa, sb)), seeds)  # 2^k coalitions
    if html is not None:
        check_new_file(html, force, "--html")
    labels = (sa.name, sb.name) if sa.name != sb.name else (a, b)
    ensembles: dict[str, sim.Ensemble] = {}
    if html is not None:  # full runs of A and B for the report; their KPI rows seed the cache
        with user_errors(), progress_bar() as progress:
            for label, scn in zip(labels[::-1], (sb, sa), strict=True):
                ensembles[label] = simulate_seeds(scn, seeds, progress, label, None)
                planning.remember(ensembles[label])
    backend = None
    where = {"backend": "local", "workers": None, "scheduler": None}  # local_backend: sized to the work
    if workers is not None or scheduler is not None:
        with user_errors():
            backend = make_backend(workers=workers, scheduler=scheduler)
            where = backend.describe()
    try:
        expl = run_explanation(sa, sb, kpi, seeds, labels, backend)
    finally:
        if backend is not None:
            backend.close()
    if html is not None:
        from sim.io import atomic_write_text
        from sim.report import compare_report_html

        with user_errors():
            atomic_write_text(html, compare_report_html(ensembles, baseline=labels[1], explanation=expl, lang=lang),
                              overwrite=force)
    if json_out:
        doc = expl.to_dict()
        doc["size"] = {"n_users": sa.population.n_users, "horizon_days": sa.horizon_days}
        doc["backend"] = where
        if html is not None:
            doc["html"] = str(html)
        typer.echo(json.dumps(doc, ensure_ascii=False, allow_nan=False))
        return
    console = stdout_console()
    same = sa.population.n_users == sb.population.n_users and sa.horizon_days == sb.horizon_days
    size = f", {scenario_desc(sa)}" if same else ""
    unit = display_unit(expl.unit)
    title = (f"{expl.a} vs {expl.b}: {sim.KPI_INFO[kpi][0]} ({unit}), {len(expl.seeds)} seeds{size}; "
             f"{len(expl.groups)} lever groups, {expl.coalitions} coalitions, {expl.runs} runs "
             f"({expl.simulated} simulated)")
    console.print(explanation_table(expl, title))
    console.print(escape(expl.sentence()))
    if html is not None:
        console.print(escape(f"wrote {html}"))
