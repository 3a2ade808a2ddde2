"""The referral threshold: simulated share reached against the epidemic-threshold theory curve."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from sim.figures.style import LAYOUT, PALETTE


def threshold_figure(points: pd.DataFrame, curve: pd.DataFrame, title: str | None = None, *,
                     x_title: str = "Mean referrals per joiner T × k",
                     y_title: str = "Share of users reached by referral",
                     theory_label: str = "Theory: S = 1 − e^(−TkS)",
                     seeds_label: str = "Each seed", median_label: str = "Median, 10–90 % of seeds",
                     threshold_label: str = "Threshold T × k = 1") -> go.Figure:
    """Simulated cascades (every seed, median with 10–90 % bars) beside the theory curve.

    Args:
        points: One row per (run, seed) with columns ``r`` and ``reached`` (``dashboard.learn.threshold_table``).
        curve: Columns ``r`` and ``reached`` of the theory (``dashboard.learn.threshold_curve``).
        title: Figure title.
        x_title: X-axis title.
        y_title: Y-axis title.
        theory_label: Legend text of the theory curve.
        seeds_label: Legend text of the per-seed points.
        median_label: Legend text of the medians.
        threshold_label: Text of the vertical line at ``T × k = 1``.

    Returns:
        The figure (y as a share, 0–1).
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=curve["r"], y=curve["reached"], name=theory_label, mode="lines",
                             line={"color": "#000000", "width": 2}))
    fig.add_trace(go.Scatter(x=points["r"], y=points["reached"], name=seeds_label, mode="markers",
                             marker={"color": PALETTE[0], "size": 7, "opacity": 0.45}))
    g = points.groupby("r")["reached"]
    med, lo, hi = g.median(), g.quantile(0.1), g.quantile(0.9)
    fig.add_trace(go.Scatter(
        x=med.index, y=med.to_numpy(), name=median_label, mode="markers",
        marker={"color": PALETTE[5], "size": 10, "symbol": "diamond"},
        error_y={"type": "data", "symmetric": False, "array": (hi - med).to_numpy(),
                 "arrayminus": (med - lo).to_numpy(), "thickness": 1.5}))
    fig.add_vline(x=1.0, line_dash="dot", line_color="#D55E00", annotation_text=threshold_label,
                  annotation_position="top left")
    fig.update_layout(title=title or y_title, xaxis_title=x_title, yaxis_title=y_title, **LAYOUT)
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(range=[-0.02, 1.0], tickformat=".0%")
    return fig
