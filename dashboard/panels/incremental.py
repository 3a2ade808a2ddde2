"""Compare-page panel: incremental KPIs against the baseline, budget warnings, leaves by cause.

``render(comp, baseline)`` draws, for the comparison in the session: a warning for every
scenario whose budget cap bound (its planned spending exceeds the budget); the incremental KPIs
of every scenario against the baseline, seed pair by seed pair (``sim.incremental``), with
P(incremental payback before day D) for a day the user picks; the cumulative incremental
profit over time; and the stacked chart of why users left. The table itself is built by the
plain function :func:`incremental_rows` (unit-tested).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import runs, ui
from dashboard.i18n import current, names, t
from sim import ScenarioError, figures
from sim.incremental import INCREMENTAL_INFO, incremental_summary, payback_probability
from sim.mechanisms import budget as budget_rule
from sim.report import display_unit, format_kpi


def fmt_inc(kpi: str, value: Any) -> str:
    """One incremental KPI value for people ("never" for no payback, "—" when undefined)."""
    x = float(value)
    if math.isnan(x):
        return "—"
    if kpi == "inc_payback_day" and math.isinf(x):
        return t("common.never")
    return format_kpi(x, INCREMENTAL_INFO[kpi][1], signed=kpi in ("inc_profit", "inc_cost"))


def incremental_rows(summary: dict[str, dict[str, Any]], before_day: int) -> pd.DataFrame:
    """Table of the panel: one row per incremental KPI (+ P(payback before day)), one column per scenario."""
    rows: dict[str, dict[str, str]] = {}
    for kpi, (_label, unit, _h, _d) in INCREMENTAL_INFO.items():
        label = f"{t('plan.kpi.' + kpi)} ({display_unit(unit)})"
        rows[label] = {name: f"{fmt_inc(kpi, part['bands'].loc[kpi, 'q50'])} "
                             f"[{fmt_inc(kpi, part['bands'].loc[kpi, 'q10'])} – {fmt_inc(kpi, part['bands'].loc[kpi, 'q90'])}]"
                       for name, part in summary.items()}
    rows[t("plan.inc.p_before", day=before_day)] = {
        name: f"{payback_probability(part['table'], before_day):.0%}" for name, part in summary.items()}
    return pd.DataFrame(rows).T


def budget_notes(comp: runs.Comparison) -> list[str]:
    """One warning text per scenario whose budget cap bound in some seed."""
    out = []
    for name, ens in comp.ensembles.items():
        hit = budget_rule.binding(ens.summaries, ens.scenario.budget)
        if hit is None:
            continue
        first = hit["first_day_median"]
        day = f"{first:.0f}" if math.isfinite(first) else t("common.never")
        out.append(t("plan.budget.warning", name=name, caps=budget_rule.caps_text(ens.scenario.budget),
                     k=int(hit["seeds_bound"]), n=int(hit["seeds"]), day=day))
    return out


def render(comp: runs.Comparison, baseline: str) -> None:
    """Draw the panel for ``comp`` against ``baseline`` (one of ``comp.names``)."""
    for note in budget_notes(comp):
        st.warning(note, icon=":material/account_balance_wallet:")
    st.subheader(t("plan.inc.title", base=baseline), help=t("plan.inc.help"))
    try:
        summary = comp.memo(("incremental", baseline),
                            lambda: incremental_summary(comp.ensembles, baseline, comp.horizon, strict=False))
    except ScenarioError as err:
        st.error(str(err), icon="⚠️")
        return
    before = st.number_input(t("plan.inc.before"), min_value=1, max_value=max(1, comp.horizon),
                             value=min(180, comp.horizon), step=30, key="plan.inc_before",
                             help=t("plan.inc.before_help"))
    st.dataframe(incremental_rows(summary, int(before)), width="stretch")
    lang = current()
    ui.chart(comp.memo(("inc_fig", baseline, lang), lambda: figures.incremental_profit_figure(
        comp.ensembles, baseline, t("plan.inc.chart", base=baseline), x_title=t("common.day"),
        y_title=t("plan.inc.chart_y"), band_label=t("plan.inc.band"), median_label=t("plan.inc.median"),
        zero_label=t("plan.inc.zero"), phase_text=t("phase.chart_label"))), key="plan.inc_fig")
    st.subheader(t("plan.churn.title"), help=t("plan.churn.help"))
    ui.chart(comp.memo(("churn_fig", lang), lambda: figures.leaves_by_cause_figure(
        comp.ensembles, t("plan.churn.chart"), names=names("plan.leaves"), y_title=t("plan.churn.chart_y"))),
        key="plan.churn_fig")
