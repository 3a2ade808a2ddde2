"""Money: cost breakdowns, the monthly cash flow and who beats whom on a KPI."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.figures.phases import add_phases
from sim.figures.style import COST_COLORS, LAYOUT, label_of, rgba
from sim.money import MONTH_DAYS
from sim.results import COST_COLUMNS, KPI_INFO, Ensemble, prob_beats
from sim.scenario import Scenario


def cost_table(ensembles: Mapping[str, Ensemble]) -> pd.DataFrame:
    """Median over seeds of the total cost of each kind over the horizon (scenario × cost kind)."""
    rows = {}
    for name, ens in ensembles.items():
        rows[name] = {c: float(np.median(ens.stack(c).sum(axis=1))) for c in COST_COLUMNS}
    return pd.DataFrame.from_dict(rows, orient="index", columns=COST_COLUMNS)


def cost_figure(ensembles: Mapping[str, Ensemble], title: str | None = None, *,
                names: Mapping[str, str] | None = None, y_title: str = "RMB over the horizon (median of seeds)") -> go.Figure:
    """Stacked bars: median total cost by kind (ads, hooks, rebates...) for each scenario.

    Args:
        ensembles: Scenario name → its runs.
        title: Figure title.
        names: Cost column (e.g. ``"cost_ads"``) → display text.
        y_title: Y-axis title.

    Returns:
        The figure (one bar trace per cost kind, ``barmode="stack"``).
    """
    table = cost_table(ensembles)
    fig = go.Figure()
    for c in COST_COLUMNS:
        fig.add_trace(go.Bar(x=list(table.index), y=table[c], name=label_of(names, c, c.removeprefix("cost_").capitalize()),
                             marker_color=COST_COLORS[c], hovertemplate="%{y:,.0f} RMB"))
    fig.update_layout(barmode="stack", title=title or "Costs by kind", yaxis_title=y_title,
                      **{**LAYOUT, "hovermode": "x"})
    return fig


def prob_matrix(ensembles: Mapping[str, Ensemble], kpi: str = "cum_profit") -> pd.DataFrame:
    """P(row scenario beats column scenario) on a KPI, for every ordered pair (diagonal NaN)."""
    scen = list(ensembles)
    m = pd.DataFrame(np.nan, index=scen, columns=scen)
    for a in scen:
        for b in scen:
            if a != b:
                m.loc[a, b] = prob_beats(ensembles[a], ensembles[b], kpi)
    return m


def prob_matrix_figure(ensembles: Mapping[str, Ensemble], kpi: str = "cum_profit",
                       title: str | None = None, *, row_title: str = "Scenario A",
                       col_title: str = "Scenario B") -> go.Figure:
    """Heatmap of P(A beats B) on a KPI, with the probabilities written in the cells."""
    m = prob_matrix(ensembles, kpi)
    z = m.to_numpy(dtype=float)
    text = [["–" if np.isnan(v) else f"{v:.0%}" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=z, x=list(m.columns), y=list(m.index), text=text, texttemplate="%{text}",
        zmin=0, zmax=1, colorscale="RdBu", reversescale=False,
        colorbar={"title": "P", "tickformat": ".0%"},
        hovertemplate="P(%{y} beats %{x}) = %{z:.0%}<extra></extra>"))
    label = KPI_INFO.get(kpi, (kpi,))[0]
    fig.update_layout(title=title or f"P(A beats B) on {label}", xaxis_title=col_title,
                      yaxis_title=row_title, yaxis_autorange="reversed",
                      template="plotly_white", margin={"l": 60, "r": 20, "t": 60, "b": 50},
                      height=max(300, 90 * len(m) + 120))
    return fig


#: default English texts of :func:`cashflow_figure` (callers that translate pass ``names``)
CASHFLOW_TEXTS = {
    "inflow": "Inflow (margin)", "cumulative": "Cumulative net", "discounted_cumulative": "Discounted cumulative net",
    "band": "10–90 % of seeds", "x": "Month (30 days)", "y": "RMB per month (median of seeds)",
    "y2": "Cumulative RMB (median, 10–90 % band)", "title": "Monthly cash flow",
}
CUMULATIVE_COLORS = {"cumulative": "#000000", "discounted_cumulative": "#882255"}


def cashflow_figure(flows: pd.DataFrame, title: str | None = None, *,
                    names: Mapping[str, str] | None = None, scenario: Scenario | None = None,
                    phase_text: str = "Phase {k}") -> go.Figure:
    """The monthly cash flow of one scenario over seeds (from :func:`sim.money.cashflow_bands`).

    Bars per 30-day month (left axis): the median inflow (margin) above zero and the median
    outflow of every cost kind stacked below zero. Lines (right axis): the cumulative net and
    the discounted cumulative net at each month's end, medians with their 10–90 % bands.

    Args:
        flows: The table of :func:`sim.money.cashflow_bands` (``<column>_q10/_q50/_q90``).
        title: Figure title.
        names: Keys of :data:`CASHFLOW_TEXTS` and cost columns (``"cost_ads"``...) → display text.
        scenario: The scenario of the flows: its plan phases are shaded where their days fall
            on the month axis (:func:`sim.figures.phases.add_phases`; month ``m``, drawn at
            ``m + 1``, holds days ``30m`` to ``30m + 29``).
        phase_text: Label of a phase without its own label (``{k}`` = 1, 2, ...).

    Returns:
        The figure (``barmode="relative"``; one bar trace for the inflow and one per cost kind,
        then a band and a median line for each cumulative series on ``y2``).
    """
    def text(key: str) -> str:
        return label_of(names, key, CASHFLOW_TEXTS.get(key))

    x = (flows["month"] + 1).tolist()
    days = [f"{a}–{b}" for a, b in zip(flows["first_day"], flows["last_day"], strict=True)]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=flows["inflow_q50"], name=text("inflow"), marker_color="#009E73",
                         customdata=days, hovertemplate="%{y:,.0f} RMB (days %{customdata})"))
    for c in COST_COLUMNS:
        fig.add_trace(go.Bar(x=x, y=-flows[f"{c}_q50"], name=label_of(names, c, c.removeprefix("cost_").capitalize()),
                             marker_color=COST_COLORS[c], hovertemplate="%{y:,.0f} RMB"))
    for key, color in CUMULATIVE_COLORS.items():
        name = text(key)
        fig.add_trace(go.Scatter(x=x, y=flows[f"{key}_q10"], mode="lines", line={"width": 0}, yaxis="y2",
                                 legendgroup=key, showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=x, y=flows[f"{key}_q90"], mode="lines", line={"width": 0}, fill="tonexty",
                                 fillcolor=rgba(color, 0.15), yaxis="y2", legendgroup=key,
                                 name=f"{name}: {text('band')}", showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=x, y=flows[f"{key}_q50"], mode="lines+markers", line={"color": color, "width": 2},
                                 yaxis="y2", legendgroup=key, name=name, hovertemplate="%{y:,.0f} RMB"))
    fig.update_layout(barmode="relative", title=title or text("title"), xaxis_title=text("x"),
                      yaxis_title=text("y"), xaxis={"dtick": 1 if len(x) <= 24 else None},
                      yaxis2={"title": text("y2"), "overlaying": "y", "side": "right", "showgrid": False},
                      **{**LAYOUT, "hovermode": "x unified", "margin": {"l": 60, "r": 70, "t": 80, "b": 50}})
    if scenario is not None:
        add_phases(fig, {scenario.name: scenario}, phase_text=phase_text,
                   x_of_day=lambda d: 0.5 + (d + 0.5) / MONTH_DAYS)
    return fig
