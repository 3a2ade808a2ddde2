"""Compare-page panel: money over time — the monthly cash flow of one scenario, its NPV and discounted payback.

``render(comp)`` lets the user pick one of the compared scenarios and draws its monthly cash
flow (:func:`sim.money.cashflow_bands`, :func:`sim.figures.cashflow_figure`) under one line
with its NPV band, discounted payback day and P(paid back, discounted). The figure and the
line are built by the plain functions :func:`cashflow_chart` and :func:`summary_text`
(unit-tested).
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard import runs, ui
from dashboard.display import display_name, p_paid_back
from dashboard.i18n import current, names, t
from sim import Ensemble, figures
from sim.money import cashflow_bands


def cashflow_chart(ens: Ensemble, name: str, lang: str | None = None) -> go.Figure:
    """The monthly cash-flow figure of one scenario, with texts in ``lang`` (default: the current one)."""
    texts = {**names("money.chart", lang=lang), **names("cost", lang=lang)}
    shown = display_name(name, lang or current())
    return figures.cashflow_figure(cashflow_bands(ens), t("money.chart.title", lang, name=shown), names=texts,
                                   scenario=ens.scenario, phase_text=t("phase.chart_label", lang))


def summary_text(ens: Ensemble, name: str) -> str:
    """One line: NPV median [10–90 %], the discount rate, the discounted payback day (median) and its probability."""
    bands = ens.summary_bands()
    npv = bands.loc["npv"]
    return t("money.summary", name=display_name(name, current()), npv=ui.fmt("npv", npv["q50"]),
             lo=ui.fmt("npv", npv["q10"]), hi=ui.fmt("npv", npv["q90"]),
             rate=ens.scenario.finance.discount_rate,
             day=ui.fmt("discounted_payback_day", bands.loc["discounted_payback_day", "q50"]),
             p=p_paid_back(ens, "paid_back_discounted"))


def render(comp: runs.Comparison) -> None:
    """Draw the panel for the comparison ``comp``."""
    st.subheader(t("money.title"), help=t("money.help"))
    pick = st.selectbox(t("money.pick"), comp.names, key="money.pick")
    ens = comp.ensembles[pick]
    st.caption(summary_text(ens, pick))
    lang = current()
    ui.chart(comp.memo(("cashflow", pick, lang), lambda: cashflow_chart(ens, pick, lang)), key="money.fig")
