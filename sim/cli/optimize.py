"""``siyu optimize SCENARIO``: the best plan under constraints (Optuna TPE), re-evaluated on fresh seeds.

``siyu optimize spam_blast --decide strategy.ad_posts_per_day=0:15 --decide
strategy.content_posts_per_day=0:5 --objective cum_profit --constraint 'cost_total<=20000'
--trials 40 --seeds 3 --out plan.yaml`` searches the plan (:func:`sim.planning.optimize.optimize`)
on the experiment backends (local process pool, ``--workers N`` Dask LocalCluster,
``--scheduler ADDR``), stores it (kind ``optimization``, id ``opt-…``), prints the best trials,
the recommended plan re-evaluated on fresh seeds beside the base and the shipped scenarios
(median [p10–p90]) and writes the plan as a scenario YAML that ``extends`` the base (atomic; an
existing ``--out`` is refused unless ``--force``). Progress on stderr; ``--json``: one JSON
document on stdout. Bad input is one ``error:`` line, exit 2; so is a search in which no trial
met the constraints (after the search, naming the closest plan). See docs/OPTIMIZATION.md.
"""

from __future__ import annotations

from pathlib import Path
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
    check_yaml_out,
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

#: KPIs the re-evaluation table shows (besides the objective and the constrained ones).
SHOWN = ("cum_profit", "roi", "final_private_pool", "churn_rate", "cost_total", "paid_back")


@app.command("optimize")
def optimize_command(
    scenario: Annotated[str, typer.Argument(metavar="SCENARIO", help="Base scenario: shipped name or YAML path.")],
    decide: Annotated[list[str] | None, typer.Option(
        "--decide", metavar="PATH=LO:HI",
        help="Decision variable: a strategy field and its range (a switch or choice alone). Repeatable.")] = None,
    objective: Annotated[str, typer.Option("--objective", metavar="KPI",
                                           help="KPI to optimise (direction from sim.KPI_INFO).")] = "cum_profit",
    risk: Annotated[str | None, typer.Option(
        "--risk", metavar="qNN", help="Optimise the bad tail over seeds (q10: the value beaten in 90 % of seeds).")] = None,
    constraint: Annotated[list[str] | None, typer.Option(
        "--constraint", metavar="'KPI<=X'", help="Constraint on a KPI's median over seeds, or with KPI@q90<=X on its "
        "90th percentile (a chance constraint: met in at least 90 % of seeds). Repeatable.")] = None,
    trials: Annotated[int, typer.Option("--trials", metavar="N", help="Trials of the search.", show_default=True)] = 50,
    seeds: Annotated[int, typer.Option("--seeds", "-n", help="Seeds per trial (common random numbers).",
                                       show_default=True)] = 3,
    fresh_seeds: Annotated[int, typer.Option("--fresh-seeds", metavar="N",
                                             help="Fresh seeds of the re-evaluation (0: none).", show_default=True)] = 10,
    compare: Annotated[list[str] | None, typer.Option(
        "--compare", metavar="NAME", help="Shipped scenarios re-evaluated beside the plan (default: all). Repeatable.")] = None,
    workers: DaskWorkersOpt = None,
    scheduler: SchedulerOpt = None,
    out: Annotated[Path | None, typer.Option("--out", metavar="FILE.yaml",
                                             help="Write the recommended plan here.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file.")] = False,
    store: StoreOpt = None,
    experiment_id: Annotated[str | None, typer.Option(
        "--id", metavar="NAME", help="Experiment id (default: opt-…). An interrupted search under this id, "
        "run again with the same options, resumes where it stopped.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sampler and of the run seeds.")] = 0,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
    users: UsersOpt = None,
    days: DaysOpt = None,
    set_: SetOpt = None,
) -> None:
    """Optimise: the best plan under constraints (Optuna), re-evaluated on fresh seeds; writes it as a scenario."""
    from sim.experiments import make_backend
    from sim.planning import optimize as op

    check_backend(workers, scheduler)
    if seed < 0:
        fail(f"--seed must be non-negative (got {seed})")
    check_yaml_out(out, force, "the recommended scenario")
    with user_errors():
        obj = op.parse_objective(objective, risk)
        cons = op.constraints_of(constraint or [])
        base = load_with(scenario, collect_overrides(set_, users, days))
        if trials < 1:
            raise sim.ScenarioError(f"--trials must be at least 1 (got {trials}); zero trials cannot find a plan")
        decs = op.decisions(base, decide or [])
        if experiment_id is not None:
            from sim.experiments.store import check_id

            check_id(experiment_id)
        names = list(compare) if compare else None
        if names:
            for n in names:
                if n not in sim.list_scenarios():
                    raise sim.ScenarioError(f"--compare {n!r} is not a shipped scenario; shipped: "
                                            f"{', '.join(sim.list_scenarios())}")
        backend = make_backend(workers=workers, scheduler=scheduler)
        if experiment_id is None:  # named here, so an interrupted search can say how to resume it
            from sim.experiments.store import new_id

            experiment_id = new_id("opt")
        try:
            with sweep_progress() as progress:
                task = progress.add_task(escape(f"optimize {base.name}: trials"), total=trials)

                def update(stage: str, done: int, total: int) -> None:
                    word = "trials" if stage == "search" else "re-evaluation runs"
                    progress.update(task, completed=done, total=total,
                                    description=escape(f"optimize {base.name}: {word}"))

                res = op.optimize(base, {d.path: (d.lo, d.hi) if d.kind in ("int", "float") else None for d in decs},
                                  obj, constraints=cons, trials=trials, seeds=seeds, fresh_seeds=fresh_seeds,
                                  compare=names, seed=seed, backend=backend, store=store, id=experiment_id,
                                  progress=update)
        except KeyboardInterrupt:
            fail(f"interrupted; the stored runs are kept ({experiment_id}, partial) and nothing is recommended; "
                 f"run the same command with --id {experiment_id} to resume", 130)
        finally:
            backend.close()
        res.base_ref = _reference(scenario)
        written = res.write_yaml(out, overwrite=force) if out is not None and res.feasible else None
    if json_:
        doc = res.to_dict()
        doc["out"] = str(written) if written is not None else None
        print_json(doc)
    else:
        print_optimization(res, written)
    if not res.feasible:
        fail(res.infeasible_text())


def _reference(scenario: str) -> str | None:
    if scenario in sim.list_scenarios():
        return scenario
    return str(Path(scenario)) if Path(scenario).is_file() else None


def print_optimization(res, written: Path | None = None, top: int = 5) -> None:
    """The tables of an optimisation on stdout: best trials, the re-evaluation, what was written."""
    console = stdout_console()
    obj = res.objective
    unit = sim.KPI_INFO[obj.kpi][1]
    cons = ", ".join(c.text for c in res.constraints) or "none"
    table = Table(title=escape(f"{res.id or 'optimize'} — {obj.describe()} on {res.base.name} ({scenario_desc(res.base)}); "
                               f"constraints: {cons}; {len(res.trials)} trials × {res.info['seeds']} seeds; "
                               f"best {min(top, len(res.trials))} trials"))
    table.add_column("trial", justify="right")
    for d in res.decisions:
        table.add_column(escape(d.path), justify="right")
    table.add_column(escape(f"{obj.statistic} {obj.kpi}"), justify="right")
    for c in res.constraints:
        table.add_column(escape(f"{c.kpi} {c.statistic}"), justify="right")
    table.add_column("feasible")
    ok = res.trials[res.trials["state"] == "COMPLETE"]
    ranked = ok.assign(_f=~ok["feasible"]).sort_values(
        ["_f", "objective", "violation"], ascending=[True, not obj.higher_is_better, True], kind="stable")
    for _, r in ranked.head(top).iterrows():
        cells = [str(int(r["trial"])), *[_plan_value(r[d.path], d) for d in res.decisions],
                 kpi_text(float(r["objective"]), unit),
                 *[kpi_text(float(r[c.column]), sim.KPI_INFO[c.kpi][1]) for c in res.constraints],
                 "yes" if r["feasible"] else "no"]
        table.add_row(*map(escape, cells))
    console.print(table)
    if not res.feasible:
        return
    plan = ", ".join(f"{k} = {_plan_value(v, d)}" for (k, v), d in zip(res.plan().items(), res.decisions, strict=True))
    console.print(escape(f"recommended (trial {res.best}): {plan}"))
    bands = res.reeval_bands()
    if len(bands):
        kpis = list(dict.fromkeys([obj.kpi, *(c.kpi for c in res.constraints), *SHOWN]))
        rt = Table(title=escape(f"re-evaluated on {res.info['fresh_seeds']} fresh seeds the search never used: "
                                "median [p10–p90] (P for 0/1 KPIs)"))
        rt.add_column("KPI")
        scenarios = list(dict.fromkeys(bands["scenario"]))
        for s in scenarios:
            rt.add_column(escape(s), justify="right")
        for k in kpis:
            u = sim.KPI_INFO[k][1]
            cells = [sim.KPI_INFO[k][0]]
            for s in scenarios:
                b = bands[(bands["scenario"] == s) & (bands["kpi"] == k)].iloc[0]
                if u == "share" and k in ("paid_back", "budget_binds"):
                    cells.append(f"{b['mean']:.0%}")
                else:
                    cells.append(f"{kpi_text(b['q50'], u)} [{kpi_text(b['q10'], u)} – {kpi_text(b['q90'], u)}]")
            rt.add_row(*map(escape, cells))
        console.print(rt)
        for chk in res.fresh_check():
            console.print(escape(f"on the fresh seeds {chk['constraint']}: {chk['statistic']} "
                                 f"{kpi_text(chk['value'], sim.KPI_INFO[chk['kpi']][1])} — "
                                 f"{'met' if chk['met'] else 'NOT met (the search seeds were lucky; use more --seeds)'}"))
    if written is not None:
        console.print(escape(f"wrote {written}"))
    if res.id is not None:
        console.print(escape(f"stored as {res.id} in {shown(res.store.root)} ({res.info['runs']:,} runs, "
                             f"{res.info['backend'].get('backend')} backend, {res.info['backend'].get('workers')} "
                             f"workers, {res.info['wall_seconds']:.1f} s)"))


def _plan_value(v, d) -> str:
    if d.kind == "int":
        return f"{int(v):,}"
    if d.kind == "float":
        return f"{float(v):.4g}"
    return str(v).lower() if isinstance(v, bool) else str(v)
