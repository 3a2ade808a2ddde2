"""Sensitivity figures: the tornado (each parameter low → high, median and 10–90 % band) and the index bars.

Both take the tables of :class:`sim.planning.sensitivity.Sensitivity` (``tornado``, ``table``)
so they are plain functions of data, unit-tested without running anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from sim.figures.style import LAYOUT, PALETTE

__all__ = ["indices_figure", "tornado_figure"]

LOW_COLOR, HIGH_COLOR = PALETTE[0], PALETTE[1]


def _fmt(fmt: Callable[[float], str] | None) -> Callable[[float], str]:
    if fmt is not None:
        return fmt
    return lambda v: "—" if v is None or not math.isfinite(float(v)) else f"{float(v):,.4g}"


def _label(labels: Mapping[str, str] | None, path: str) -> str:
    return (labels or {}).get(path, path)


def tornado_figure(tornado: pd.DataFrame, base_band: Mapping[str, float], title: str | None = None, *,
                   labels: Mapping[str, str] | None = None, x_title: str | None = None,
                   names: Sequence[str] = ("low end", "high end", "base (median)"),
                   band_name: str = "10–90 % of seeds", fmt: Callable[[float], str] | None = None) -> go.Figure:
    """Tornado: per parameter, the KPI at its low and at its high end (others at base), largest swing on top.

    Each bar runs from the base scenario's median to the median at that end; the error bar is
    the 10–90 % band over the seeds at that end; a vertical line marks the base median.

    Args:
        tornado: One row per parameter (``parameter``, ``lo``, ``hi``, ``low_q10``/``q50``/``q90``,
            ``high_q10``/``q50``/``q90``, ``swing``), as :func:`sim.planning.sensitivity.sensitivity` gives it.
        base_band: The base scenario's ``q10``, ``q50``, ``q90``.
        title: Figure title.
        labels: Parameter path → text shown on the axis.
        x_title: X-axis title (the KPI and its unit).
        names: Legend texts of the low bars, the high bars and the base line.
        band_name: Hover name of the error bars.
        fmt: Formats KPI values in the hover text.

    Returns:
        The figure: two bar traces (low, high) with ``error_x`` and one line trace (base median).
    """
    f = _fmt(fmt)
    df = tornado.sort_values("swing", ascending=True, kind="stable")  # plotly draws the first row at the bottom
    base = float(base_band.get("q50", 0.0))
    ys = [_label(labels, p) for p in df["parameter"]]
    fig = go.Figure()
    for end, name, color in (("low", names[0], LOW_COLOR), ("high", names[1], HIGH_COLOR)):
        med = df[f"{end}_q50"].astype(float)
        values = df["lo" if end == "low" else "hi"]
        hover = [f"{y} = {v:g}: {f(m)} ({band_name} {f(a)} … {f(b)})"
                 for y, v, m, a, b in zip(ys, values, med, df[f"{end}_q10"], df[f"{end}_q90"], strict=True)]
        fig.add_trace(go.Bar(
            y=ys, x=(med - base).tolist(), base=base, orientation="h", name=name, marker_color=color,
            hovertext=hover, hoverinfo="text",
            error_x={"type": "data", "symmetric": False,
                     "array": (df[f"{end}_q90"].astype(float) - med).clip(lower=0).tolist(),
                     "arrayminus": (med - df[f"{end}_q10"].astype(float)).clip(lower=0).tolist(),
                     "thickness": 1.2, "color": "#444"}))
    fig.add_trace(go.Scatter(x=[base, base], y=[ys[0], ys[-1]] if ys else [], mode="lines", name=names[2],
                             line={"color": "#000", "dash": "dash", "width": 1}, hoverinfo="skip"))
    fig.update_layout(title=title or "Tornado", barmode="overlay", xaxis_title=x_title,
                      **{**LAYOUT, "hovermode": "closest"}, height=max(320, 60 + 36 * len(ys)))
    return fig


def indices_figure(table: pd.DataFrame, method: str, title: str | None = None, *,
                   labels: Mapping[str, str] | None = None, y_title: str | None = None,
                   names: Mapping[str, str] | None = None, fmt: Callable[[float], str] | None = None,
                   ci_name: str = "90 % bootstrap interval", seed_name: str = "10–90 % over resampled seeds"
                   ) -> go.Figure:
    """Bar chart of the indices with their intervals, parameters in rank order.

    Sobol': ``S1`` and ``ST`` side by side, error bars = SALib's bootstrap interval. Morris:
    ``mu*`` (error bars = SALib's bootstrap interval) and ``sigma`` (error bars = its range over
    resampled seeds; SALib gives no interval for sigma). The seed range of every index is in the
    hover text.

    Args:
        table: The index table of :class:`sim.planning.sensitivity.Sensitivity`.
        method: ``"morris"`` or ``"sobol"``.
        title: Figure title.
        labels: Parameter path → text shown on the axis.
        y_title: Y-axis title.
        names: Legend texts by index key (``S1``, ``ST``, ``mu_star``, ``sigma``).
        fmt: Formats values in the hover text.
        ci_name: Hover name of SALib's interval.
        seed_name: Hover name of the seed range.

    Returns:
        The figure: two bar traces with ``error_y``.
    """
    f = _fmt(fmt)
    df = table.sort_values("rank", kind="stable")
    xs = [_label(labels, p) for p in df["parameter"]]
    default = {"S1": "S1 (first order)", "ST": "ST (total)", "mu_star": "μ* (mean |effect|)", "sigma": "σ (spread)"}
    names = {**default, **(names or {})}
    keys = ("S1", "ST") if method == "sobol" else ("mu_star", "sigma")
    fig = go.Figure()
    for i, k in enumerate(keys):
        v = df[k].astype(float)
        if f"{k}_lo" in df:
            lo, hi, how = df[f"{k}_lo"].astype(float), df[f"{k}_hi"].astype(float), ci_name
        else:
            lo, hi, how = df[f"{k}_seed_q10"].astype(float), df[f"{k}_seed_q90"].astype(float), seed_name
        hover = [f"{x}: {names[k]} = {f(a)} ({how} {f(b)} … {f(c)}; {seed_name} {f(s1)} … {f(s2)})"
                 for x, a, b, c, s1, s2 in zip(xs, v, lo, hi, df[f"{k}_seed_q10"], df[f"{k}_seed_q90"], strict=True)]
        fig.add_trace(go.Bar(
            x=xs, y=v.tolist(), name=names[k], marker_color=PALETTE[i], hovertext=hover, hoverinfo="text",
            error_y={"type": "data", "symmetric": False, "array": (hi - v).clip(lower=0).tolist(),
                     "arrayminus": (v - lo).clip(lower=0).tolist(), "thickness": 1.2, "color": "#444"}))
    fig.update_layout(title=title or ("Sobol' indices" if method == "sobol" else "Morris screening"),
                      barmode="group", yaxis_title=y_title, **{**LAYOUT, "hovermode": "closest"})
    return fig
