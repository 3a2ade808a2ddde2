"""Showing one stored experiment (sweep, run or comparison): its status, charts and KPI table.

Shared by the Sweep page (the sweep just run) and the Runs page (any past one). A sweep over
one parameter — or a Latin hypercube — draws each KPI against each parameter, median inside
its 10–90 % band; a grid over two draws a heat map of the median with the band on hover; a
run or comparison draws the Compare page's time series from its stored daily tables. A
partial experiment is marked partial above everything else.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from sim import experiments as ex
from sim import figures
from sim.i18n import unit_text

from . import runs, sweeps, ui
from .i18n import current, param_label, t

__all__ = ["DEFAULT_KPIS", "param_text", "show"]

#: KPIs drawn against a swept parameter until the visitor picks others.
DEFAULT_KPIS = ["cum_profit", "roi", "final_private_pool", "payback_day"]


def param_text(path: str) -> str:
    """A parameter's label with its unit and path (``Ad posts per day (posts per day) · strategy.ad_posts_per_day``)."""
    spec = sweeps.sweepable().get(path)
    name = path.rsplit(".", 1)[-1]
    label = param_label(name)
    unit = unit_text(spec.unit, current()) if spec is not None else ""
    if unit and unit.lower() not in label.lower():
        label = f"{label} ({unit})"
    return f"{label} · {path}"


def _axis(path: str) -> str:
    spec = sweeps.sweepable().get(path)
    label = param_label(path.rsplit(".", 1)[-1])
    unit = unit_text(spec.unit, current()) if spec is not None else ""
    return f"{label} ({unit})" if unit else label


def _fmt(kpi: str) -> Any:
    return lambda v: ui.fmt(kpi, v)


def show(result: ex.SweepResult, key: str) -> None:
    """Status line, charts and the per-point KPI table of ``result`` (widget keys start with ``key``)."""
    m = result.manifest
    done, total = m.get("runs_done"), m.get("runs_total")
    if not result.complete:
        st.warning(t("store.partial", id=result.id, done=done, total=total if total is not None else "?"),
                   icon=":material/warning:")
    else:
        st.caption(t("store.complete", id=result.id, kind=t("store.kind." + result.kind)
                     if result.kind in ("sweep", "run", "compare") else result.kind,
                     done=done, started=(m.get("started") or "")[:19].replace("T", " ")))
    table = result.table
    if table.empty:
        st.info(t("store.no_runs"), icon=":material/info:")
        return
    kpis = [k for k in sweeps.SWEEP_KPIS if k in table.columns]
    plan = sweeps.chart_plan(result)
    ss = st.session_state
    if ss.get(f"{key}.kpi") not in kpis:
        ss[f"{key}.kpi"] = kpis[0]
    ss[f"{key}.kpis"] = [k for k in ss.get(f"{key}.kpis", DEFAULT_KPIS) if k in kpis] or kpis[:1]
    never = t("common.never")
    if plan == "scenarios":
        _scenario_charts(result, key)
    elif plan == "heatmap":
        y, x = result.paths[:2]
        kpi = ui.choice(st.selectbox, t("sw.kpi"), kpis, key=f"{key}.kpi", text=lambda k: t("kpi." + k))
        st.plotly_chart(figures.sweep_heatmap(
            result.band(kpi, by=[x, y]), x, y, t("sw.heat_title", kpi=t("kpi." + kpi)), x_title=_axis(x),
            y_title=_axis(y), z_title=t("common.median"), band_name=t("common.band"), fmt=_fmt(kpi),
            never=never), key=f"{key}.heat")
    else:
        picked = ui.choice(st.multiselect, t("sw.kpis"), kpis, key=f"{key}.kpis", text=lambda k: t("kpi." + k))
        cols = st.columns(2)
        for i, (path, kpi) in enumerate((p, k) for p in result.paths for k in picked):
            with cols[i % 2]:
                st.plotly_chart(figures.sweep_band_figure(
                    result.band(kpi, by=path), path, t("kpi." + kpi), name=t("common.median"),
                    band_name=t("common.band"), x_title=_axis(path), y_title=t("kpi." + kpi),
                    color=figures.PALETTE[i % len(figures.PALETTE)], fmt=_fmt(kpi), never=never),
                    key=f"{key}.line.{path}.{kpi}")
    st.subheader(t("store.table"))
    shown = sweeps.band_table(result, kpis, ui.fmt)
    st.dataframe(shown.rename(columns={**{k: t("kpi." + k) for k in kpis}, "runs": t("store.col.runs"),
                                       "scenario": t("common.scenario")}),
                 width="stretch", hide_index=True)


def _scenario_charts(result: ex.SweepResult, key: str) -> None:
    """A run's or comparison's time series from its stored daily tables (if it kept them)."""
    try:
        ens = sweeps.ensembles(result)
    except ex.StoreError:
        st.caption(t("store.no_daily"))
        return
    if not ens:
        st.caption(t("store.no_daily"))
        return
    first = next(iter(ens.values()))
    comp = runs.Comparison(names=list(ens), n_users=first.scenario.population.n_users,
                           horizon=first.scenario.horizon_days, seeds=list(first.seeds), ensembles=ens,
                           stored=result.id)
    chart = ui.choice(st.radio, t("cmp.chart"), ui.CHARTS, key=f"{key}.chart",
                      horizontal=True, text=lambda c: t("chart." + c), label_visibility="collapsed")
    st.plotly_chart(ui.time_series_figure(comp, chart), key=f"{key}.ts")
