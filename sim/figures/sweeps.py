"""Parameter sweeps: KPIs against one swept parameter (median and 10–90 % band), or a heat map over two."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.figures.style import LAYOUT, PALETTE, rgba


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


def _finite(values: Sequence[float] | np.ndarray) -> list[float | None]:
    """Values for Plotly: ±inf and NaN become gaps (``None``)."""
    return [float(v) if v is not None and math.isfinite(float(v)) else None for v in values]


def _num_text(value: float) -> str:
    return f"{value:,.4g}"


def band_text(lo: float, med: float, hi: float, fmt: Callable[[float], str] | None = None,
              never: str = "never", undefined: str = "—") -> tuple[str, str, str]:
    """``(median, 10 %, 90 %)`` as texts: ``inf`` is ``never``, NaN is ``undefined``."""
    f = fmt or _num_text

    def one(v: float) -> str:
        v = float(v)
        return undefined if math.isnan(v) else never if math.isinf(v) else f(v)

    return one(med), one(lo), one(hi)


def sweep_band_figure(bands: pd.DataFrame, x: str, title: str | None = None, *, name: str = "median",
                      band_name: str = "10–90 %", x_title: str | None = None, y_title: str | None = None,
                      color: str | None = None, fmt: Callable[[float], str] | None = None,
                      never: str = "never") -> go.Figure:
    """One KPI against one swept parameter: the median line inside its 10–90 % band over seeds.

    Args:
        bands: One row per parameter value: column ``x`` and ``q10``, ``q50``, ``q90`` (as
            :meth:`sim.experiments.SweepResult.band` returns); ``n`` (runs) is shown on hover.
        x: The parameter column.
        title: Figure title.
        name: Legend text of the median line.
        band_name: Legend text of the band.
        x_title: X-axis title (default ``x``).
        y_title: Y-axis title.
        color: Line colour (default the first of the palette).
        fmt: Formats a KPI value for the hover (default 4 significant digits).
        never: Hover text of an infinite value ("never" paid back); such points are gaps.

    Returns:
        The figure: a filled band trace (q10 to q90) and the median line with markers.
    """
    df = bands.sort_values(x, kind="stable")
    colour = color or PALETTE[0]
    xs = df[x].tolist()
    hover = []
    for lo, med, hi, n in zip(df["q10"], df["q50"], df["q90"], df["n"] if "n" in df else [None] * len(df),
                              strict=True):
        m, lo_t, hi_t = band_text(lo, med, hi, fmt, never)
        hover.append(f"{m} ({band_name}: {lo_t} … {hi_t})" + (f" · n={int(n)}" if n is not None else ""))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs + xs[::-1], y=_finite(df["q90"]) + _finite(df["q10"])[::-1],
                             fill="toself", fillcolor=rgba(colour, 0.18), line={"width": 0},
                             hoverinfo="skip", name=band_name, showlegend=True))
    fig.add_trace(go.Scatter(x=xs, y=_finite(df["q50"]), mode="lines+markers", name=name,
                             line={"color": colour}, hovertext=hover,
                             hovertemplate="%{x}: %{hovertext}<extra></extra>"))
    layout = {**LAYOUT, "hovermode": "closest"}
    fig.update_layout(title=title, xaxis_title=x_title or x, yaxis_title=y_title, **layout)
    return fig


def sweep_heatmap(bands: pd.DataFrame, x: str, y: str, title: str | None = None, *,
                  x_title: str | None = None, y_title: str | None = None, z_title: str | None = None,
                  band_name: str = "10–90 %", fmt: Callable[[float], str] | None = None,
                  never: str = "never", colorscale: str = "Viridis") -> go.Figure:
    """One KPI over two swept parameters: a heat map of the median; the hover shows the band.

    Args:
        bands: One row per (``x``, ``y``) pair with ``q10``, ``q50``, ``q90`` (and ``n``), as
            :meth:`sim.experiments.SweepResult.band` with ``by=[x, y]`` returns.
        x: Parameter on the horizontal axis.
        y: Parameter on the vertical axis.
        title: Figure title.
        x_title: X-axis title (default ``x``).
        y_title: Y-axis title (default ``y``).
        z_title: Colour-bar title.
        band_name: Hover text before the band.
        fmt: Formats a KPI value for the hover.
        never: Hover text of an infinite value; such cells are left blank.
        colorscale: Plotly colour scale of the medians.

    Returns:
        The figure: one ``Heatmap`` trace, ``z[i][j]`` the median at ``y`` value ``i`` and
        ``x`` value ``j`` (both ascending), ``None`` where no run or the median is not finite.
    """
    xs = sorted(bands[x].unique().tolist())
    ys = sorted(bands[y].unique().tolist())
    z: list[list[float | None]] = [[None] * len(xs) for _ in ys]
    text: list[list[str]] = [[""] * len(xs) for _ in ys]
    col, row = {v: j for j, v in enumerate(xs)}, {v: i for i, v in enumerate(ys)}
    for vx, vy, lo, med, hi, n in zip(bands[x], bands[y], bands["q10"], bands["q50"], bands["q90"],
                                      bands["n"] if "n" in bands else [None] * len(bands), strict=True):
        i, j = row[vy], col[vx]
        z[i][j] = _finite([med])[0]
        m, lo_t, hi_t = band_text(lo, med, hi, fmt, never)
        text[i][j] = f"{m}<br>{band_name}: {lo_t} … {hi_t}" + (f"<br>n={int(n)}" if n is not None else "")
    xt, yt = x_title or x, y_title or y
    fig = go.Figure(go.Heatmap(
        x=xs, y=ys, z=z, text=text, colorscale=colorscale, colorbar={"title": {"text": z_title or ""}},
        hovertemplate=f"{xt} = %{{x}}<br>{yt} = %{{y}}<br>%{{text}}<extra></extra>"))
    layout = {**LAYOUT, "hovermode": "closest"}
    fig.update_layout(title=title, xaxis_title=xt, yaxis_title=yt, **layout)
    return fig
