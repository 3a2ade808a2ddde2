"""Parameter sweeps: KPIs against a swept parameter with 10–90 % bars."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from sim.figures.style import LAYOUT, PALETTE


def sweep_figure(table: pd.DataFrame, x: str, ys: Mapping[str, str], title: str | None = None, *,
                 x_title: str | None = None, y_title: str | None = None) -> go.Figure:
    """KPIs against a swept parameter: median line with p10–p90 error bars.

    Args:
        table: One row per (parameter value, seed): column ``x`` and the KPI columns of ``ys``.
        x: The swept parameter's column.
        ys: KPI column → legend text.
        title: Figure title.
        x_title: X-axis title (default ``x``).
        y_title: Y-axis title.

    Returns:
        The figure.
    """
    fig = go.Figure()
    for i, (col, label) in enumerate(ys.items()):
        g = table.groupby(x)[col]
        med, lo, hi = g.median(), g.quantile(0.1), g.quantile(0.9)
        fig.add_trace(go.Scatter(
            x=med.index, y=med.to_numpy(), name=label, mode="lines+markers",
            line={"color": PALETTE[i % len(PALETTE)]},
            error_y={"type": "data", "symmetric": False, "array": (hi - med).to_numpy(),
                     "arrayminus": (med - lo).to_numpy(), "thickness": 1}))
    fig.update_layout(title=title or ", ".join(ys.values()), xaxis_title=x_title or x,
                      yaxis_title=y_title, **LAYOUT)
    return fig
