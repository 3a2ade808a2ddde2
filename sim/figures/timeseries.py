"""Time series with uncertainty bands: any daily column per scenario, stages, several columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.figures.phases import add_phases
from sim.figures.style import (
    LAYOUT,
    PALETTE,
    PRIVATE_STAGES,
    STAGE_COLORS,
    column_label,
    label_of,
    rgba,
    scenario_colors,
)
from sim.results import Ensemble


def quantile_band(ens: Ensemble, column: str, *, cumulative: bool = False, smooth: int = 1,
                  quantiles: Sequence[float] = (0.1, 0.5, 0.9)) -> pd.DataFrame:
    """Quantiles over seeds of a daily column, optionally cumulated or smoothed per seed first.

    Args:
        ens: The runs of one scenario.
        column: A column of ``RunResult.daily``.
        cumulative: Cumulate each seed's series over days before taking quantiles.
        smooth: Width in days of a trailing moving average applied to each seed (1 = none).
        quantiles: Quantiles to return, named ``q10``, ``q50``, ``q90``...

    Returns:
        A DataFrame with ``day`` and one column per quantile.
    """
    arr = ens.stack(column)
    if cumulative:
        arr = np.cumsum(arr, axis=1)
    if smooth > 1:
        arr = pd.DataFrame(arr.T).rolling(int(smooth), min_periods=1).mean().to_numpy().T
    out = {"day": ens.runs[0].daily["day"].to_numpy()}
    for q in quantiles:
        out[f"q{round(q * 100):d}"] = np.quantile(arr, q, axis=0)
    return pd.DataFrame(out)


def _add_band(fig: go.Figure, band: pd.DataFrame, name: str, color: str, *, row: int | None = None,
              col: int | None = None, showlegend: bool = True, band_label: str = "10–90% of seeds",
              median_label: str = "median") -> None:
    kw = {"row": row, "col": col} if row is not None else {}
    x = band["day"]
    fig.add_trace(go.Scatter(x=x, y=band["q10"], mode="lines", line={"width": 0}, legendgroup=name,
                             showlegend=False, hoverinfo="skip", name=f"{name} p10"), **kw)
    fig.add_trace(go.Scatter(x=x, y=band["q90"], mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor=rgba(color, 0.18), legendgroup=name, showlegend=False,
                             name=f"{name} {band_label}", hoverinfo="skip"), **kw)
    fig.add_trace(go.Scatter(x=x, y=band["q50"], mode="lines", line={"color": color, "width": 2.2},
                             legendgroup=name, showlegend=showlegend, name=name,
                             hovertemplate=f"{name} ({median_label}): %{{y:,.4~g}}<extra></extra>"),
                  **kw)


def _shade(fig: go.Figure, windows: Iterable[tuple[float, float]] | None, label: str | None) -> None:
    for start, end in windows or ():
        fig.add_vrect(x0=start, x1=end, fillcolor="rgba(120,120,120,0.15)", line_width=0,
                      annotation_text=label or "", annotation_position="top left")


def band_figure(ensembles: Mapping[str, Ensemble], column: str, title: str | None = None, *,
                y_title: str | None = None, x_title: str = "Day", cumulative: bool = False,
                smooth: int = 1, colors: Mapping[str, str] | None = None,
                band_label: str = "10–90% of seeds", median_label: str = "median",
                shade: Iterable[tuple[float, float]] | None = None,
                shade_label: str | None = None, phase_text: str = "Phase {k}") -> go.Figure:
    """Median line and 10–90 % band of one daily column, one colour per scenario.

    Args:
        ensembles: Scenario name → its runs.
        column: A column of ``RunResult.daily`` (e.g. ``"cum_profit"``).
        title: Figure title (default: a label of the column).
        y_title: Y-axis title (default: a label of the column).
        x_title: X-axis title.
        cumulative: Plot the running total of the column.
        smooth: Trailing moving-average window in days applied per seed (1 = raw).
        colors: Scenario name → colour (default :func:`scenario_colors`).
        band_label: Legend text for the band.
        median_label: Hover text for the median.
        shade: Day windows ``(start, end)`` to shade (e.g. shocks).
        shade_label: Text on the shaded windows.
        phase_text: Label of a plan phase without its own label (the phases are drawn by
            :func:`sim.figures.phases.add_phases`).

    Returns:
        The figure.
    """
    colors = colors or scenario_colors(ensembles)
    fig = go.Figure()
    for name, ens in ensembles.items():
        band = quantile_band(ens, column, cumulative=cumulative, smooth=smooth)
        _add_band(fig, band, name, colors.get(name, PALETTE[0]), band_label=band_label,
                  median_label=median_label)
    label = column_label(column)
    _shade(fig, shade, shade_label)
    add_phases(fig, ensembles, phase_text=phase_text, colors=colors)
    fig.update_layout(title=title if title is not None else label, xaxis_title=x_title,
                      yaxis_title=y_title if y_title is not None else label, **LAYOUT)
    fig.add_annotation(text=f"— {median_label}   ▇ {band_label}", showarrow=False,
                       xref="paper", yref="paper", x=1, y=-0.16, xanchor="right",
                       font={"size": 10, "color": "#666"})
    return fig


def multi_band_figure(ensembles: Mapping[str, Ensemble], columns: Mapping[str, str],
                      title: str | None = None, *, x_title: str = "Day", cumulative: bool = False,
                      smooth: int = 1, colors: Mapping[str, str] | None = None,
                      band_label: str = "10–90% of seeds", median_label: str = "median",
                      y_titles: Mapping[str, str] | None = None, phase_text: str = "Phase {k}") -> go.Figure:
    """Side-by-side panels, one per daily column (``columns``: column → panel title), with bands.

    ``y_titles`` (column → axis title with its unit) labels each panel's y axis; plan phases
    are drawn on every panel (:func:`sim.figures.phases.add_phases`).
    """
    colors = colors or scenario_colors(ensembles)
    cols = list(columns)
    fig = make_subplots(rows=1, cols=len(cols), subplot_titles=[columns[c] for c in cols],
                        horizontal_spacing=0.08)
    for j, column in enumerate(cols, start=1):
        for name, ens in ensembles.items():
            band = quantile_band(ens, column, cumulative=cumulative, smooth=smooth)
            _add_band(fig, band, name, colors.get(name, PALETTE[0]), row=1, col=j,
                      showlegend=j == 1, band_label=band_label, median_label=median_label)
        fig.update_xaxes(title_text=x_title, row=1, col=j)
        if y_titles and column in y_titles:
            fig.update_yaxes(title_text=y_titles[column], row=1, col=j)
        add_phases(fig, ensembles, row=1, col=j, phase_text=phase_text, colors=colors, annotate=j == 1)
    fig.update_layout(title=title or ", ".join(columns.values()),
                      **{**LAYOUT, "margin": {"l": 60, "r": 20, "t": 80, "b": 90},
                         "legend": {"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0}})
    return fig


def stage_figure(ensembles: Mapping[str, Ensemble], stages: Sequence[str] = PRIVATE_STAGES,
                 title: str | None = None, *, names: Mapping[str, str] | None = None,
                 x_title: str = "Day", y_title: str = "Users (median of seeds)",
                 phase_text: str = "Phase {k}") -> go.Figure:
    """Private pool by stage over time: one panel per scenario, stacked medians per stage.

    Churned users are drawn as a dashed line on top (they left the pool); each panel shades its
    own scenario's plan phases (:func:`sim.figures.phases.add_phases`).
    """
    scen = list(ensembles)
    ncols = min(3, max(1, len(scen)))
    nrows = int(np.ceil(len(scen) / ncols)) or 1
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=scen, shared_yaxes=True,
                        horizontal_spacing=0.04, vertical_spacing=0.12)
    stage_key = {"followers": "follower", "customers": "customer", "repeat": "repeat",
                 "members": "member", "partners": "partner", "dormant": "dormant",
                 "churned": "churned", "public": "public"}
    for i, name in enumerate(scen):
        r, c = divmod(i, ncols)
        ens = ensembles[name]
        days = ens.runs[0].daily["day"].to_numpy()
        for stage in [*stages, "churned"]:
            key = stage_key.get(stage, stage)
            med = np.median(ens.stack(stage), axis=0)
            dashed = stage == "churned"
            fig.add_trace(go.Scatter(
                x=days, y=med, name=label_of(names, key, stage.capitalize()), legendgroup=stage,
                showlegend=i == 0, mode="lines",
                stackgroup=None if dashed else "pool",
                line={"color": STAGE_COLORS.get(key, "#444"), "width": 1.5,
                      "dash": "dash" if dashed else "solid"},
                hovertemplate="%{y:,.0f}"), row=r + 1, col=c + 1)
        fig.update_xaxes(title_text=x_title if r == nrows - 1 else None, row=r + 1, col=c + 1)
        add_phases(fig, {name: ens}, row=r + 1, col=c + 1, phase_text=phase_text)
    fig.update_yaxes(title_text=y_title, row=1, col=1)
    # the legend sits right of the panels: above them it ran into the title and subplot titles
    fig.update_layout(title=title or "Private pool by stage", height=320 * nrows + 80,
                      **{**LAYOUT, "margin": {"l": 60, "r": 20, "t": 80, "b": 50},
                         "legend": {"orientation": "v", "yanchor": "top", "y": 1.0, "x": 1.02, "xanchor": "left"}})
    return fig
