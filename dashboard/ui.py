"""Shared pieces of the dashboard's pages: sidebar, number formats, progress, KPI cards, fields.

Pages call these so they stay short and read like a description of the UI. Everything
language-dependent goes through :func:`dashboard.i18n.t`; every simulation goes through
:mod:`dashboard.runs` (cached), with a progress bar while uncached runs are simulated.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import pandas as pd
import streamlit as st

from sim import KPI_INFO, Ensemble, Scenario, ScenarioError, compare_table, figures
from sim.i18n import unit_text
from sim.report import as_number, format_kpi

from . import recorded, runs, state
from .display import CARD_CSS, display_name, error_text, finite, p_paid_back
from .editor import FieldSpec, format_number
from .i18n import current, names, param_label, t

__all__ = [
    "CARD_KPIS",
    "CHARTS",
    "chart",
    "ensure_comparison",
    "field_help_text",
    "field_widget",
    "fmt",
    "kpi_cards",
    "missing_runs",
    "PlanSize",
    "Range",
    "plan_size_row",
    "range_row",
    "values_row",
    "run_with_progress",
    "scenario_label",
    "sidebar",
    "time_series_figure",
    "unexpected_error",
]

log = logging.getLogger("siyu.dashboard")

#: Time-series charts of the Compare page, in order.
CHARTS = ["cum_profit", "pool", "trust", "fatigue", "mutes", "gmv", "costs"]

#: KPIs shown as cards on the Compare page, in order.
CARD_KPIS = ["cum_profit", "npv", "roi", "payback_day", "discounted_payback_day", "cac", "ltv",
             "final_private_pool", "repeat_rate", "churn_rate"]

#: day KPIs whose "never" (inf) is a state, and the 0/1 companion giving its probability
PAYBACK_KPIS = {"payback_day": "paid_back", "discounted_payback_day": "paid_back_discounted"}


def sidebar() -> None:
    """Language toggle and what the numbers are (on every page)."""
    ss = st.session_state
    if ss.get("_lang_prev", ss.get("lang")) != ss.get("lang"):
        state.restore_choices()  # before any page reads them
    ss["_lang_prev"] = ss.get("lang")
    with st.sidebar:
        st.radio(t("side.language"), ["en", "zh"], key="lang", horizontal=True,
                 format_func=lambda v: {"en": "English", "zh": "中文"}[v])
        st.caption(t("side.about"))


def chart(fig: Any, *, key: str, name: str | None = None, **kw: Any) -> None:
    """A Plotly chart with its slide-export popover (PNG 1920×1080 / 1280×720, SVG; see ``dashboard.panels.export``)."""
    from .panels.export import chart as _chart

    _chart(fig, key=key, name=name, **kw)


def unexpected_error(err: BaseException) -> None:
    """Show an unexpected error as one readable line (the traceback goes to the server log)."""
    log.exception("dashboard page failed")
    msg = " ".join(str(err).split())[:200]
    st.error(t("err.unexpected", kind=type(err).__name__, msg=msg), icon="⚠️")


def scenario_label(name: str) -> str:
    """A scenario's name with where it came from, for pickers (``mine · edited``)."""
    how = state.origin(name)
    shown = display_name(name, current())
    return shown if how == "shipped" else f"{shown} · {t('common.' + how)}"


def choice(widget: Any, label: str, options: Sequence[Any], *, key: str, text: Any = None, **kw: Any) -> Any:
    """A selectbox, radio or multiselect whose option labels follow the language.

    The browser sends back the *label* of the chosen option; after a language switch that
    label no longer matches, and Streamlit would fall back to another option. So the value
    is remembered after every render (and by :func:`dashboard.state.set_choice` when code sets
    it) and put back by :func:`dashboard.state.restore_choices` on the run after a switch.
    """
    fmt = labeller(options, text) if text is not None else str
    value = widget(label, list(options), key=key, format_func=fmt, **kw)
    st.session_state.setdefault(state.CHOICES_KEY, {})[key] = list(value) if isinstance(value, list) else value
    return value


def labeller(options: Sequence[str], text: Any) -> Any:
    """A ``format_func`` for widgets: labels computed now (during the script run), looked up later.

    Streamlit may call ``format_func`` outside the script run (AppTest does), where the
    session's language cannot be read; a lookup in a dict made during the run is always right.
    """
    table = {o: text(o) for o in options}
    return lambda o: table.get(o, str(o))


def fmt(kpi: str, value: Any, signed: bool = False, horizon: int | None = None) -> str:
    """Format a KPI value for people: ¥ for money, % for shares, "never" for no payback."""
    unit = KPI_INFO.get(kpi, ("", "", True, ""))[1]
    x = as_number(value)
    if x is None:  # undefined for the run (e.g. churn without a private pool)
        return "—"
    if kpi in PAYBACK_KPIS and math.isinf(x):
        return t("common.never") if not signed else "—"
    if unit.startswith("RMB") and not math.isinf(x):
        sign = "-" if x < 0 else ("+" if signed else "")
        ax = abs(x)
        return f"{sign}¥{ax / 1e6:.2f}M" if ax >= 1e6 else f"{sign}¥{format_kpi(ax, 'RMB')}"
    text = format_kpi(x, unit, signed=signed, lang=current())  # e.g. a budget cap that never binds: "never"
    return t("kpi.day_n", n=text) if kpi in PAYBACK_KPIS and not signed else text


def run_with_progress(scenarios: Mapping[str, Scenario], seeds: Sequence[int]) -> dict[str, Ensemble]:
    """Return the Ensembles, simulating uncached runs under a progress bar."""
    missing = runs.count_missing(scenarios, seeds)
    if not missing:
        return runs.ensembles(scenarios, seeds)
    bar = st.progress(0.0, text=t("common.running", done=0, total=missing))

    def progress(done: float, total: int) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=t("common.running", done=int(done), total=total))

    out = runs.ensembles(scenarios, seeds, progress=progress)
    bar.empty()
    return out


def compare_scenarios(names_: Sequence[str], n_users: int, horizon: int) -> dict[str, Scenario]:
    """The named library scenarios, sized to the comparison and in its market (ScenarioError if one is invalid).

    The market is the Compare page's "Market and product" panel (``dashboard.panels.market``).
    """
    from .panels import market

    return {n: market.apply(runs.sized(state.scenario(n), n_users, horizon)) for n in names_}


def run_comparison(names_: Sequence[str], n_users: int, horizon: int, n_seeds: int,
                   use_store: bool = True) -> runs.Comparison:
    """Run (or fetch from cache or the results store) a comparison and remember it in the session.

    Runs not in the cache are read from a stored comparison when there is one
    (``dashboard.recorded``, unless ``use_store`` is false); the default comparison, once
    simulated, is recorded there so the next cold start shows it at once.
    """
    seeds = list(range(int(n_seeds)))
    scenarios = compare_scenarios(names_, n_users, horizon)
    prev = state.results()
    if use_store and prev is not None and prev.stored and prev.covers(scenarios, seeds):
        return prev
    found = recorded.lookup(scenarios, seeds) if use_store and runs.count_missing(scenarios, seeds) else None
    if found is not None:
        stored, ens = found
    else:
        stored, t0 = None, time.perf_counter()
        ens = run_with_progress(scenarios, seeds)
        if state.is_default(names_, n_users, horizon, n_seeds):
            recorded.remember(ens, wall_seconds=time.perf_counter() - t0)
    comp = runs.Comparison(names=list(names_), n_users=int(n_users), horizon=int(horizon),
                           seeds=seeds, ensembles=ens, stored=stored)
    state.set_results(comp)
    return comp


def missing_runs(scenarios: Mapping[str, Scenario], n_seeds: int, comp: runs.Comparison | None) -> int:
    """Runs still to simulate for these settings (none when ``comp`` already holds them)."""
    seeds = list(range(int(n_seeds)))
    if comp is not None and comp.covers(scenarios, seeds):
        return 0
    return runs.count_missing(scenarios, seeds)


def ensure_comparison() -> runs.Comparison:
    """The session's comparison; runs the Compare page's current settings if there is none yet."""
    res = state.results()
    if res is not None and res.stored is None:
        return res
    if res is not None:  # read from the store: no users tables, so simulate it for real
        return run_comparison(res.names, res.n_users, res.horizon, len(res.seeds), use_store=False)
    chosen = list(st.session_state.get("cmp.scenarios") or state.DEFAULT_SCENARIOS)
    if not 2 <= len(chosen) <= 6:
        chosen = [n for n in state.DEFAULT_SCENARIOS if n in state.library()]
    n_users, horizon, n_seeds = state.settings()
    if runs.count_missing(compare_scenarios(chosen, n_users, horizon), list(range(n_seeds))):
        st.info(t("common.run_first"), icon=":material/info:")
    return run_comparison(chosen, n_users, horizon, n_seeds)


def _compact(kpi: str, value: Any) -> str:
    """Short signed text for a range end (``-8.1k``, ``+12%``)."""
    unit = KPI_INFO.get(kpi, ("", ""))[1]
    x = as_number(value)
    if x is None:
        return "—"
    if unit.startswith("RMB") or unit == "users":
        ax = abs(x)
        body = (f"{ax / 1e6:.1f}M" if ax >= 1e6 else f"{ax / 1e3:.1f}k" if ax >= 1e3
                else f"{ax:.0f}" if ax >= 10 else f"{ax:.2g}")
        return ("-" if x < 0 else "+") + body
    if unit == "share":
        return f"{x * 100:+.0f}%"
    return fmt(kpi, x, signed=True)


def kpi_cards(comp: runs.Comparison, baseline: str | None) -> None:
    """The headline KPIs as a grid of metric cards: one row per KPI, one column per scenario.

    Each card shows the median over seeds; off the baseline it also shows the median
    difference to the baseline (green when better) and, beneath, the 10–90 % range of that
    difference over all seed pairs. The help tooltip holds the definition and value range.
    """
    table = comp.memo(("compare_table", baseline), lambda: compare_table(comp.ensembles, baseline))
    table = table.set_index(["scenario", "kpi"])
    st.html(CARD_CSS)
    lang = current()
    for kpi in CARD_KPIS:
        cols = st.columns([1.2] + [2] * len(comp.names), vertical_alignment="top")
        cols[0].markdown(f"**{t('kpi.' + kpi)}**", help=t("kpid." + kpi))
        higher = KPI_INFO[kpi][2]
        for col, name in zip(cols[1:], comp.names, strict=True):
            row = table.loc[(name, kpi)]
            delta = desc = None
            if baseline and name != baseline and finite(row.get("diff_q50")):
                delta = fmt(kpi, row["diff_q50"], signed=True)
                desc = t("cmp.delta_range", lo=_compact(kpi, row["diff_q10"]), hi=_compact(kpi, row["diff_q90"]))
            if kpi in PAYBACK_KPIS:  # "never" is a state: say how likely paying back is
                companion = PAYBACK_KPIS[kpi]
                key = "cmp.p_paid_back" if companion == "paid_back" else "money.p_paid_back_discounted"
                paid = t(key, p=p_paid_back(comp.ensembles[name], companion))
                desc = f"{paid} · {desc}" if desc else paid
            help_text = t("cmp.value_range", lo=fmt(kpi, row["q10"], horizon=comp.horizon),
                          hi=fmt(kpi, row["q90"], horizon=comp.horizon))
            if desc:
                help_text += "\n\n" + desc
            shown = display_name(name, lang)
            label = f"{shown} · {t('common.baseline')}" if name == baseline else shown
            col.metric(label, fmt(kpi, row["q50"], horizon=comp.horizon), delta=delta,
                       delta_color="normal" if higher else "inverse", help=help_text,
                       delta_description=desc, border=True, height="stretch")


def time_series_figure(comp: runs.Comparison, chart: str) -> Any:
    """The Compare page's chart ``chart`` (one of :data:`CHARTS`) in the current language."""
    ens = comp.ensembles
    colors = figures.scenario_colors(comp.names)
    shocks = sorted({(w.start_day, w.start_day + w.days - 1) for e in ens.values() for w in e.scenario.shocks})
    band_kw = {"x_title": t("common.day"), "colors": colors, "band_label": t("common.band"),
               "median_label": t("common.median"), "shade": shocks, "shade_label": t("common.shock"),
               "phase_text": t("phase.chart_label")}
    if chart == "cum_profit":
        return figures.band_figure(ens, "cum_profit", t("chart.cum_profit"), y_title=t("chart.cum_profit_y"), **band_kw)
    if chart == "pool":
        return figures.stage_figure(ens, title=t("chart.pool"), names=names("stage"), x_title=t("common.day"),
                                    y_title=t("chart.pool_y"), phase_text=t("phase.chart_label"))
    if chart == "trust":
        return figures.band_figure(ens, "mean_trust", t("chart.trust"), y_title=t("chart.trust_y"), **band_kw)
    if chart == "fatigue":
        return figures.band_figure(ens, "mean_fatigue", t("chart.fatigue"), y_title=t("chart.fatigue_y"), **band_kw)
    if chart == "mutes":
        return figures.multi_band_figure(ens, {"mutes": t("chart.mutes_panel"), "leaves": t("chart.leaves_panel")},
                                         t("chart.mutes"), x_title=t("common.day"), cumulative=True, colors=colors,
                                         band_label=t("common.band"), median_label=t("common.median"),
                                         phase_text=t("phase.chart_label"))
    if chart == "gmv":
        return figures.band_figure(ens, "gmv", t("chart.gmv"), y_title=t("chart.gmv_y"), smooth=7, **band_kw)
    return figures.cost_figure(ens, t("chart.costs"), names=names("cost"), y_title=t("chart.costs_y"))


def kpi_table(comp: runs.Comparison, baseline: str | None) -> pd.DataFrame:
    """All KPIs as text: one row per KPI, per scenario "median (p10 … p90)" and "Δ median"."""
    table = comp.memo(("compare_table", baseline), lambda: compare_table(comp.ensembles, baseline))
    table = table.set_index(["scenario", "kpi"])
    rows = []
    for kpi in KPI_INFO:
        row: dict[str, str] = {"KPI": t("kpi." + kpi)}
        for name in comp.names:
            r = table.loc[(name, kpi)]
            if kpi in PAYBACK_KPIS.values():  # a probability over seeds, not a median of 0/1
                key = "cmp.p_paid_back" if kpi == "paid_back" else "money.p_paid_back_discounted"
                row[name] = t(key, p=p_paid_back(comp.ensembles[name], kpi))
                continue
            lo, hi = fmt(kpi, r["q10"], horizon=comp.horizon), fmt(kpi, r["q90"], horizon=comp.horizon)
            med = fmt(kpi, r["q50"], horizon=comp.horizon)
            row[name] = med if med == lo == hi else f"{med} ({t('cmp.range', lo=lo, hi=hi)})"
            if baseline and name != baseline and "diff_q50" in r:
                row[f"Δ {name}"] = (f"{fmt(kpi, r['diff_q50'], signed=True)} ({t('cmp.range', lo=fmt(kpi, r['diff_q10'], signed=True), hi=fmt(kpi, r['diff_q90'], signed=True))})"
                                    if finite(r["diff_q50"]) else "—")
        rows.append(row)
    return pd.DataFrame(rows).set_index("KPI")


def field_help_text(spec: FieldSpec, lang: str | None = None) -> str:
    """A field's ⓘ help in ``lang``: what it means, its range and unit, its source and its path."""
    lang = lang or current()
    unit = unit_text(spec.unit, lang)
    # every schema field has both keys in English (the schema's own text, sim.i18n.schema_texts)
    help_parts = [t(f"field.{spec.schema_path}.help", lang)]
    if spec.kind in ("int", "float"):
        help_parts.append(t("ed.range", lang, lo=format_number(spec.lo), hi=format_number(spec.hi), unit=unit))
    elif unit and spec.kind not in ("str", "text"):
        help_parts.append(unit)
    if spec.source:
        help_parts.append(t("ed.sources", lang, source=t(f"field.{spec.schema_path}.source", lang)))
    return "\n\n".join(p for p in help_parts if p) + f"\n\n`{spec.path}`"


def field_widget(spec: FieldSpec, key: str, error: str | None = None, changed: bool = False) -> Any:
    """One schema field as a widget (toggle, selectbox, number or text input), error beneath it.

    Numbers take any value: the range is in the help text and checked by the schema, so an
    out-of-range entry is shown as an error next to the field (a bounded input would silently
    keep the previous value). Units are shown once, in the page's language. A day whose
    maximum means "never" is a "Never" switch plus a day input.
    """
    from .editor_layout import is_never_field, never_keys, sync_never

    lang = current()
    label = param_label(spec.name)
    if changed:
        label = f"{label} •"
    unit = unit_text(spec.unit, lang)
    help_text = field_help_text(spec, lang)
    kw: dict[str, Any] = {"key": key, "help": help_text, "persist_state": "session"}
    shown = f"{label} ({unit})" if unit and spec.kind in ("int", "float") else label
    if is_never_field(spec):
        never, day = never_keys(key)
        ss = st.session_state
        ss.setdefault(never, int(ss.get(key, spec.default)) >= int(spec.hi or 0))
        ss.setdefault(day, int(ss.get("ed.horizon_days", 360)) // 2 if ss[never] else int(ss.get(key, 0)))
        st.toggle(t("ed.never_day", label=label) + f" · {t('ed.never')}", key=never, help=help_text,
                  on_change=sync_never, args=(ss, key, spec))
        if not ss[never]:
            st.number_input(t("ed.never_day", label=label), step=1, format="%d", key=day,
                            help=t("ed.never_help"), on_change=sync_never, args=(ss, key, spec))
        value = ss.get(key, spec.default)
    elif spec.kind == "bool":
        value = st.toggle(label, **kw)
    elif spec.kind == "enum":
        value = choice(st.selectbox, label, spec.choices, text=lambda v: t("choice." + v), **kw)
    elif spec.kind == "int":
        value = st.number_input(shown, step=int(spec.step), format="%d", **kw)
    elif spec.kind == "float":
        value = st.number_input(shown, step=float(spec.step), format=spec.number_format, **kw)
    elif spec.kind == "text":
        value = st.text_area(label, max_chars=spec.max_length, height=80, **kw)
    else:
        value = st.text_input(label, max_chars=spec.max_length, **kw)
    if error:
        st.error(error_text(error, lang), icon="⚠️")
    return value


def show_scenario_error(err: ScenarioError) -> None:
    """Show a user-input error inline, as its one line (in the page's language)."""
    st.error(error_text(err, current()), icon="⚠️")


def figure_names(prefix: str) -> dict[str, str]:
    """Translated names for a figure's traces (stages, sources, costs, events...)."""
    return names(prefix)


class PlanSize(NamedTuple):
    """What :func:`plan_size_row` returns: the chosen scenario, users, days and seeds (``None`` without)."""

    scenario: str
    n_users: int
    horizon: int
    seeds: int | None


def plan_size_row(prefix: str, lib: Mapping[str, Scenario], *, seeds: tuple[int, int] | None = (1, 50),
                  min_days: int = 30, scenario_help: str | None = None, days_help: str | None = None,
                  seeds_help: str | None = None) -> PlanSize:
    """The top row of a planning page (Sweep, Sensitivity, Calibrate): scenario, users, days and seeds.

    Widget keys are ``<prefix>.scenario``, ``<prefix>.n_users``, ``<prefix>.horizon`` and
    ``<prefix>.seeds``; the page sets their defaults in the session state first (a scenario no
    longer in ``lib`` falls back to the first one). The scenario's label is the catalogue
    key ``<prefix>.scenario``. ``seeds`` is the allowed (min, max) number of seeds, or ``None``
    for a page without the seeds input; ``min_days`` the shortest horizon; the ``*_help``
    texts are the inputs' tooltips. Values persist across pages (``persist_state``).
    """
    ss = st.session_state
    if ss.get(f"{prefix}.scenario") not in lib:
        ss[f"{prefix}.scenario"] = next(iter(lib))
    cols = st.columns([3, 1.3, 1.2, 1] if seeds is not None else [3, 1.3, 1.2])
    keep: dict[str, Any] = {"persist_state": "session"}
    name = choice(cols[0].selectbox, t(f"{prefix}.scenario"), list(lib), key=f"{prefix}.scenario",
                  text=scenario_label, help=scenario_help, **keep)
    n_users = cols[1].number_input(t("cmp.n_users"), min_value=100, max_value=200_000, step=1_000,
                                   key=f"{prefix}.n_users", **keep)
    horizon = cols[2].number_input(t("cmp.horizon"), min_value=int(min_days), max_value=3_650, step=30,
                                   key=f"{prefix}.horizon", help=days_help, **keep)
    n_seeds = None
    if seeds is not None:
        n_seeds = int(cols[3].number_input(t("cmp.seeds"), min_value=int(seeds[0]), max_value=int(seeds[1]), step=1,
                                           key=f"{prefix}.seeds", help=seeds_help, **keep))
    return PlanSize(name, int(n_users), int(horizon), n_seeds)


class Range(NamedTuple):
    """What :func:`range_row` returns: the chosen low and high ends and the number of points (``None`` without)."""

    lo: float
    hi: float
    points: int | None


def values_row(spec: FieldSpec) -> None:
    """A switch's or a choice's row in a list of ranges: its name (ⓘ its help) and the values a search tries."""
    from .results_view import param_text  # results_view imports this module

    values = [t("ed.no"), t("ed.yes")] if spec.kind == "bool" else [str(c) for c in spec.choices]
    cols = st.columns([3, 2.4])
    cols[0].markdown(f"**{param_text(spec.path)}**", help=t(f"field.{spec.schema_path}.help"))
    cols[1].caption(t("opt.tries", values=" | ".join(values)))


def range_row(prefix: str, spec: FieldSpec, *, labels: tuple[str, str] = ("sw.from", "sw.to"),
              points: tuple[int, int] | None = None) -> Range:
    """One parameter's range row: its name (ⓘ its help) and schema range, then low and high inputs.

    Keys are ``<prefix>.lo.<path>`` and ``<prefix>.hi.<path>``, starting at the schema's whole
    range (integers for an int field); ``labels`` are the two inputs' catalogue keys. With
    ``points`` = (default, max) a fourth input ``<prefix>.points.<path>`` takes the number of
    points (2 to max). The inputs stay inside the schema's bounds; whether the range is empty
    or reversed is for the page's plan to say.
    """
    from .results_view import param_text  # results_view imports this module

    ss = st.session_state
    path = spec.path
    cast = int if spec.kind == "int" else float
    ss.setdefault(f"{prefix}.lo.{path}", cast(spec.lo))
    ss.setdefault(f"{prefix}.hi.{path}", cast(spec.hi))
    cols = st.columns([3, 1.2, 1.2, 1] if points is not None else [3, 1.2, 1.2])
    cols[0].markdown(f"**{param_text(path)}**", help=t(f"field.{spec.schema_path}.help"))
    cols[0].caption(t("ed.range", lo=format_number(spec.lo), hi=format_number(spec.hi),
                      unit=unit_text(spec.unit, current())))
    kw: dict[str, Any] = {"min_value": cast(spec.lo), "max_value": cast(spec.hi), "step": cast(spec.step),
                          "persist_state": "session"}
    if spec.kind == "float":
        kw["format"] = spec.number_format
    lo = cols[1].number_input(t(labels[0]), key=f"{prefix}.lo.{path}", **kw)
    hi = cols[2].number_input(t(labels[1]), key=f"{prefix}.hi.{path}", **kw)
    n = None
    if points is not None:
        ss.setdefault(f"{prefix}.points.{path}", int(points[0]))
        n = int(cols[3].number_input(t("sw.points"), min_value=2, max_value=int(points[1]), step=1,
                                     key=f"{prefix}.points.{path}", persist_state="session"))
    return Range(lo, hi, n)
