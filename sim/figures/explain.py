"""Explanation: the waterfall from B's value through each lever group's contribution to A's value."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from sim.figures.style import LAYOUT, PALETTE
from sim.results import KPI_INFO, quantile

if TYPE_CHECKING:
    from sim.planning.explain import Explanation

#: Colours of the waterfall: the two scenarios' totals, a part that helps A, one that hurts it.
WATERFALL_COLORS = {"total": "#7F7F7F", "good": PALETTE[2], "bad": PALETTE[5]}


def explain_figure(expl: Explanation, title: str | None = None, *,
                   labels: Mapping[str, str] | None = None, y_title: str | None = None,
                   band_label: str = "10–90 % of seeds", fmt: Callable[[float], str] | None = None) -> go.Figure:
    """Waterfall: mean KPI of B → mean contribution of each group (seed band as error bars) → A.

    Means are drawn because they add up exactly (mean B + Σ mean parts = mean A); each error
    bar is the 10–90 % band over seeds of that bar (a contribution's band sits at its bar's end).

    Args:
        expl: The explanation (:func:`sim.planning.explain`).
        title: Figure title (default: "Why A differs from B on <KPI>").
        labels: Bar labels: group → text (default: the explanation's English lever words);
            the keys ``"a"`` and ``"b"`` replace the scenario bars' labels.
        y_title: Y-axis title (default: the KPI and its unit).
        band_label: Hover name of the error bars.
        fmt: Formats the signed contribution written on each bar (default
            :func:`sim.report.format_kpi`).

    Returns:
        The figure: one bar trace (floating bars) with ``error_y``, bars in waterfall order.
    """
    label, unit, higher, _ = KPI_INFO[expl.kpi]
    labels = labels or {}
    if fmt is None:
        from sim.report import format_kpi

        def fmt(x: float) -> str:
            return format_kpi(x, unit, signed=True)

    def bar(name: str, base: float, values: np.ndarray, color: str, text: str) -> dict:
        """One floating bar: its mean over seeds from ``base``, the seed band at its end."""
        m = float(values.mean())
        return {"name": name, "base": base, "height": m, "color": color, "text": text,
                "minus": max(0.0, m - quantile(values, 0.1)), "plus": max(0.0, quantile(values, 0.9) - m)}

    bars = [bar(labels.get("b", expl.b), 0.0, expl.value_b, WATERFALL_COLORS["total"], "")]
    level = bars[0]["height"]
    for g in expl.groups:
        part = expl.contributions[g]
        m = float(part.mean())
        bars.append(bar(labels.get(g) or expl.lever_label(g), level, part,
                        WATERFALL_COLORS["good" if (m >= 0) == higher else "bad"], fmt(m)))
        level += m
    bars.append(bar(labels.get("a", expl.a), 0.0, expl.value_a, WATERFALL_COLORS["total"], ""))
    fig = go.Figure(go.Bar(
        x=[b["name"] for b in bars], y=[b["height"] for b in bars], base=[b["base"] for b in bars],
        marker_color=[b["color"] for b in bars], text=[b["text"] for b in bars], textposition="outside",
        error_y={"type": "data", "symmetric": False, "array": [b["plus"] for b in bars],
                 "arrayminus": [b["minus"] for b in bars], "color": "#333", "thickness": 1.2, "width": 6},
        customdata=[[b["base"] + b["height"]] for b in bars], name=band_label,
        hovertemplate="%{x}: %{y:,.4g} → %{customdata[0]:,.4g}<extra></extra>"))
    unit_text = "%" if unit == "share" else unit
    fig.update_layout(title=title or f"Why {expl.a} differs from {expl.b} on {label}",
                      yaxis_title=y_title or f"{label} ({unit_text})", showlegend=False,
                      **{**LAYOUT, "hovermode": "closest"})
    if unit == "share":
        fig.update_yaxes(tickformat=".0%")
    return fig
