"""``siyu compare``: several scenarios side by side, P(beats baseline), incremental KPIs, the HTML report.

With ``--baseline NAME`` (default: the first scenario) the table is followed by the incremental
KPIs of every other scenario against the baseline, seed pair by seed pair
(:mod:`sim.incremental`); ``--json`` prints everything as one JSON document instead of tables.
A scenario whose budget cap binds gets a warning on stderr (its planned spending exceeds it).
"""

from __future__ import annotations

import contextlib
import difflib
import sys
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
    UsersOpt,
    WorkersOpt,
    app,
    band_text,
    budget_warning,
    check_new_file,
    check_seeds,
    check_work,
    check_workers,
    collect_overrides,
    fail,
    load_with,
    print_json,
    progress_bar,
    scenario_desc,
    simulate_seeds,
    stdout_console,
    user_errors,
    warn_budgets,
)
from sim.cli.recording import NoStoreOpt, StoreOpt, record
from sim.cli.run import print_phases
from sim.experiments.store import utc_now
from sim.incremental import INCREMENTAL_INFO, incremental_summary, unpairable
from sim.report import PAID_BACK_KPIS, display_unit, p_paid_back


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
    fail(f"--baseline {baseline!r} is not one of the compared scenarios{extra}")


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
    payback_before: Annotated[int, typer.Option(
        "--payback-before", metavar="DAY",
        help="Report P(incremental payback before this day) against the baseline.")] = 180,
    json_out: Annotated[bool, typer.Option(
        "--json", help="Print one JSON document (KPIs, incremental KPIs, budget, monthly cash flow) instead of tables.")] = False,
    force: ForceOpt = False,
    workers: WorkersOpt = None,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
    lang: Annotated[str, typer.Option(
        "--lang", metavar="LANG", help="Language of the HTML report: en or zh.")] = "en",
) -> None:
    """Compare scenarios: KPI medians with 10–90% bands, P(beats baseline), incremental KPIs vs the baseline."""
    check_seeds(seeds)
    check_workers(workers)
    if payback_before < 1:
        fail(f"--payback-before must be a day ≥ 1 (got {payback_before})")
    started, t0 = utc_now(), time.monotonic()
    if len(scenarios) < 2:
        fail("compare needs at least two scenarios")
    twice = sorted({s for s in scenarios if scenarios.count(s) > 1})
    if twice:
        fail(f"scenario {twice[0]!r} is given twice; compare needs different scenarios")
    if lang not in ("en", "zh"):
        fail(f"--lang must be en or zh (got {lang!r})")
    with user_errors():
        overrides = collect_overrides(set_, users, days)
        loaded = [load_with(name, overrides) for name in scenarios]
        check_work(loaded, seeds)
    labels = _labels(scenarios, loaded)
    base = _pick_baseline(baseline, labels, scenarios)
    if html is not None:
        check_new_file(html, force, "--html")

    ensembles: dict[str, sim.Ensemble] = {}
    with user_errors(), progress_bar() as progress:
        for label, scn in zip(labels, loaded, strict=True):
            ensembles[label] = simulate_seeds(scn, seeds, progress, label, workers)
    with user_errors():
        inc = incremental_summary(ensembles, base, payback_before, strict=False)
    for label, reason in unpairable(ensembles, base).items():
        typer.echo(f"warning: no incremental KPIs for {label}: {reason}", err=True)
    warn_budgets(ensembles)
    if json_out:
        with contextlib.redirect_stdout(sys.stderr):  # stdout holds the one JSON document only
            record("compare", ensembles, store, no_store, workers, started, time.monotonic() - t0)
        print_json(compare_json(ensembles, base, inc))
        if html is not None:
            _write_html(html, ensembles, base, force, None, payback_before, lang)
        return

    first = loaded[0]
    same = all(s.population.n_users == first.population.n_users
               and s.horizon_days == first.horizon_days for s in loaded)
    size = f", {scenario_desc(first)}" if same else ""
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
            if kpi in PAID_BACK_KPIS:  # a probability over seeds, not a band of 0/1
                cells.append(f"{p_paid_back(ensembles[label], kpi):.0%}")
                continue
            med, rng = band_text(*b.loc[kpi, ["q10", "q50", "q90"]], unit) if kpi in b.index else ("—", "—")
            cells.append(med if med == rng.split(" – ")[0] == rng.split(" – ")[-1] else f"{med} [{rng}]")
        shown_unit = "P over seeds" if kpi in PAID_BACK_KPIS else display_unit(unit)
        table.add_row(*map(escape, (name, shown_unit, *cells)))
    beats = ["—" if label == base else f"{sim.prob_beats(ensembles[label], ensembles[base], 'cum_profit'):.0%}"
             for label in labels]
    table.add_section()
    table.add_row("P(beats baseline) on profit", "probability", *beats)
    console = stdout_console()
    console.print(table)
    print_phases(console, {label: ens.scenario for label, ens in ensembles.items()})
    record("compare", ensembles, store, no_store, workers, started, time.monotonic() - t0)
    if inc:
        console.print(_incremental_table(inc, base, payback_before))

    if html is not None:
        _write_html(html, ensembles, base, force, console, payback_before, lang)


def _incremental_table(inc: dict, base: str, payback_before: int) -> Table:
    table = Table(title=escape(f"Incremental vs {base} — same-seed pairs (common random numbers); "
                               "median [p10–p90]"))
    table.add_column("KPI")
    table.add_column("unit")
    for label in inc:
        table.add_column(escape(label), justify="right")
    for kpi, (name, unit, _higher, _desc) in INCREMENTAL_INFO.items():
        cells = []
        for part in inc.values():
            med, rng = band_text(*part["bands"].loc[kpi, ["q10", "q50", "q90"]], unit)
            cells.append(f"{med} [{rng}]")
        table.add_row(*map(escape, (name, display_unit(unit), *cells)))
    table.add_section()
    table.add_row(escape(f"P(incremental payback before day {payback_before})"), "probability",
                  *[f"{part['p_payback_before']:.0%}" for part in inc.values()])
    return table


def _write_html(html: Path, ensembles: dict[str, sim.Ensemble], base: str, force: bool, console,
                payback_before: int, lang: str = "en") -> None:
    from sim.io import atomic_write_text
    from sim.report import compare_report_html

    with user_errors():
        page = compare_report_html(ensembles, baseline=base, payback_before=payback_before, lang=lang)
        atomic_write_text(html, page, overwrite=force)
    if console is not None:
        console.print(escape(f"wrote {html}"))
    else:
        typer.echo(f"wrote {html}", err=True)


def compare_json(ensembles: dict[str, sim.Ensemble], base: str, inc: dict) -> dict:
    """The comparison as one JSON-ready document (``inf``/NaN become ``null`` when printed)."""
    from sim.io import package_version
    from sim.money import cashflow_bands

    out: dict = {"siyu_version": package_version(), "baseline": base,
                 "kpi_info": {k: dict(zip(("label", "unit", "higher_is_better", "description"), v, strict=True))
                              for k, v in sim.KPI_INFO.items()},
                 "incremental_info": {k: dict(zip(("label", "unit", "higher_is_better", "description"), v,
                                                  strict=True)) for k, v in INCREMENTAL_INFO.items()},
                 "scenarios": {}}
    for label, ens in ensembles.items():
        bands = ens.summary_bands()
        entry = {
            "scenario": ens.scenario.model_dump(mode="json"),
            "seeds": [int(s) for s in ens.seeds],
            "kpis": [{"seed": int(seed), **row} for seed, row in ens.summaries.to_dict("index").items()],
            "bands": {kpi: bands.loc[kpi].to_dict() for kpi in bands.index},
            "p_beats_baseline": None if label == base else sim.prob_beats(ens, ensembles[base], "cum_profit"),
            "budget_warning": budget_warning(label, ens),
            # the monthly cash flow (sim.money.cashflow_bands): inflow, outflows by kind, net, cumulative
            "cashflow": cashflow_bands(ens).to_dict("records"),
        }
        if label in inc:
            part = inc[label]
            entry["incremental"] = {
                "per_seed": [{"seed": int(seed), **row} for seed, row in part["table"].to_dict("index").items()],
                "bands": {kpi: part["bands"].loc[kpi].to_dict() for kpi in part["bands"].index},
                "p_payback_before": part["p_payback_before"], "before_day": part["before_day"],
            }
        out["scenarios"][label] = entry
    return out
