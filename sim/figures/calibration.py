"""Calibration figures: the posterior of two parameters, the fit to the pilot, the forecast, the marginals.

Each function takes a :class:`sim.planning.calibration.Calibration` and returns a Plotly figure.
Texts default to English; the dashboard passes translated ``names`` and titles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.figures.style import LAYOUT, PALETTE, label_of, rgba

__all__ = ["fit_figure", "forecast_figure", "marginals_figure", "pair_figure"]

OBSERVED = "#000000"
BAND = PALETTE[0]
PRIOR = "#999999"


def _bands(fig: go.Figure, x: np.ndarray, q10: np.ndarray, q50: np.ndarray, q90: np.ndarray,
           names: Mapping[str, str] | None, row: int | None = None, col: int | None = None,
           legend: bool = True) -> None:
    where = {"row": row, "col": col} if row is not None else {}
    fig.add_trace(go.Scatter(x=x, y=q90, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"),
                  **where)
    fig.add_trace(go.Scatter(x=x, y=q10, mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor=rgba(BAND, 0.25), name=label_of(names, "band", "10–90 % band"),
                             showlegend=legend, legendgroup="band"), **where)
    fig.add_trace(go.Scatter(x=x, y=q50, mode="lines", line={"color": BAND, "width": 2},
                             name=label_of(names, "median", "posterior-predictive median"),
                             showlegend=legend, legendgroup="median"), **where)


def pair_figure(cal: Any, x: str, y: str, names: Mapping[str, str] | None = None, title: str | None = None,
                truth: Mapping[str, float] | None = None) -> go.Figure:
    """The joint posterior of two fitted parameters: particles sized by weight, over the prior's box.

    Args:
        cal: The calibration.
        x: A fitted path (horizontal axis).
        y: Another fitted path (vertical axis).
        names: Display texts for paths and for ``prior``, ``particles``, ``median``, ``truth``.
        title: Figure title.
        truth: Known true values (synthetic pilots), drawn as a star.
    """
    paths = cal.paths
    for p in (x, y):
        if p not in paths:
            raise ValueError(f"{p!r} is not a fitted parameter ({', '.join(paths)})")
    if x == y:
        raise ValueError("a pair plot needs two different parameters")
    prior = {p.path: p for p in cal.parameters}
    w = np.asarray(cal.weights, dtype=float)
    size = 6 + 24 * np.sqrt(w / w.max()) if len(w) and w.max() > 0 else 8
    fig = go.Figure()
    fig.add_shape(type="rect", x0=prior[x].lo, x1=prior[x].hi, y0=prior[y].lo, y1=prior[y].hi,
                  line={"color": PRIOR, "dash": "dot"}, fillcolor=rgba(PRIOR, 0.05))
    fig.add_trace(go.Scatter(x=cal.particles[x], y=cal.particles[y], mode="markers",
                             marker={"size": size, "color": rgba(BAND, 0.55), "line": {"width": 0}},
                             name=label_of(names, "particles", "posterior particles (size = weight)"),
                             customdata=w, hovertemplate="%{x:.4g}, %{y:.4g}<br>w=%{customdata:.3g}<extra></extra>"))
    s = cal.summary()
    fig.add_trace(go.Scatter(x=[s[x]["median"]], y=[s[y]["median"]], mode="markers",
                             marker={"size": 14, "symbol": "x", "color": PALETTE[5]},
                             error_x={"type": "data", "symmetric": False, "array": [s[x]["q95"] - s[x]["median"]],
                                      "arrayminus": [s[x]["median"] - s[x]["q05"]]},
                             error_y={"type": "data", "symmetric": False, "array": [s[y]["q95"] - s[y]["median"]],
                                      "arrayminus": [s[y]["median"] - s[y]["q05"]]},
                             name=label_of(names, "median", "median and 90 % intervals")))
    if truth and x in truth and y in truth:
        fig.add_trace(go.Scatter(x=[truth[x]], y=[truth[y]], mode="markers",
                                 marker={"size": 16, "symbol": "star", "color": PALETTE[2]},
                                 name=label_of(names, "truth", "true value")))
    layout = {**LAYOUT, "hovermode": "closest"}
    fig.update_layout(title=title or f"Posterior: {label_of(names, x, x)} × {label_of(names, y, y)}",
                      xaxis_title=label_of(names, x, x), yaxis_title=label_of(names, y, y), **layout)
    fig.update_xaxes(range=[prior[x].lo - 0.02 * prior[x].width, prior[x].hi + 0.02 * prior[x].width])
    fig.update_yaxes(range=[prior[y].lo - 0.02 * prior[y].width, prior[y].hi + 0.02 * prior[y].width])
    return fig


def fit_figure(cal: Any, series: Sequence[str] | None = None, names: Mapping[str, str] | None = None,
               title: str | None = None) -> go.Figure:
    """The pilot's data (dots) and the posterior-predictive median and 10–90 % band on its rows, per series."""
    series = list(series or cal.pilot.columns)
    fig = make_subplots(rows=len(series), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[label_of(names, s, s) for s in series])
    for i, name in enumerate(series, start=1):
        f = cal.fit(name)
        x = f["period"].to_numpy()
        _bands(fig, x, f["q10"].to_numpy(), f["q50"].to_numpy(), f["q90"].to_numpy(), names, row=i, col=1,
               legend=i == 1)
        fig.add_trace(go.Scatter(x=x, y=f["observed"], mode="markers", marker={"color": OBSERVED, "size": 5},
                                 name=label_of(names, "observed", "pilot data"), showlegend=i == 1,
                                 legendgroup="observed"), row=i, col=1)
    unit = label_of(names, cal.pilot.unit, cal.pilot.unit)
    fig.update_layout(title=title or "Fit to the pilot: data and posterior-predictive band",
                      height=max(320, 220 * len(series)), **LAYOUT)
    fig.update_xaxes(title_text=unit, row=len(series), col=1)
    return fig


def forecast_figure(cal: Any, series: str, names: Mapping[str, str] | None = None,
                    title: str | None = None) -> go.Figure:
    """One series to the horizon: posterior-predictive median and 10–90 % band, the pilot's data, its end."""
    f = cal.forecast_periods(series)
    x = f["period"].to_numpy()
    fig = go.Figure()
    _bands(fig, x, f["q10"].to_numpy(), f["q50"].to_numpy(), f["q90"].to_numpy(), names)
    obs = f.dropna(subset=["observed"])
    if len(obs):
        fig.add_trace(go.Scatter(x=obs["period"], y=obs["observed"], mode="markers",
                                 marker={"color": OBSERVED, "size": 4}, name=label_of(names, "observed", "pilot data")))
    end = cal.pilot.periods[-1] + cal.pilot.first
    fig.add_vline(x=end + 0.5, line={"color": PRIOR, "dash": "dash"})
    fig.add_annotation(x=end + 0.5, y=1, yref="paper", text=label_of(names, "pilot_end", "end of pilot"),
                       showarrow=False, xanchor="left", yanchor="bottom")
    unit = label_of(names, cal.pilot.unit, cal.pilot.unit)
    fig.update_layout(title=title or f"Forecast of {label_of(names, series, series)} to the horizon "
                                     f"(median, 10–90 % band over posterior draws)",
                      xaxis_title=unit, yaxis_title=label_of(names, series, series), **LAYOUT)
    return fig


def marginals_figure(cal: Any, names: Mapping[str, str] | None = None, title: str | None = None,
                     truth: Mapping[str, float] | None = None, bins: int = 20) -> go.Figure:
    """Per fitted parameter: the uniform prior's density and the weighted posterior histogram (density)."""
    params = cal.parameters
    fig = make_subplots(rows=1, cols=len(params), subplot_titles=[label_of(names, p.path, p.path) for p in params])
    w = np.asarray(cal.weights, dtype=float)
    summary = cal.summary()
    for i, p in enumerate(params, start=1):
        v = cal.particles[p.path].to_numpy(dtype=float)
        edges = np.linspace(p.lo, p.hi, bins + 1)
        dens, _ = np.histogram(v, bins=edges, weights=w, density=True)
        mids = 0.5 * (edges[:-1] + edges[1:])
        fig.add_trace(go.Bar(x=mids, y=dens, width=np.diff(edges), marker={"color": rgba(BAND, 0.6)},
                             name=label_of(names, "posterior", "posterior"), showlegend=i == 1,
                             legendgroup="posterior"), row=1, col=i)
        fig.add_trace(go.Scatter(x=[p.lo, p.lo, p.hi, p.hi], y=[0, 1 / p.width, 1 / p.width, 0], mode="lines",
                                 line={"color": PRIOR, "dash": "dot"}, name=label_of(names, "prior", "prior (uniform)"),
                                 showlegend=i == 1, legendgroup="prior"), row=1, col=i)
        s = summary[p.path]
        for q, dash in ((s["q05"], "dot"), (s["median"], "solid"), (s["q95"], "dot")):
            fig.add_vline(x=q, line={"color": PALETTE[5], "dash": dash, "width": 1.5}, row=1, col=i)
        if truth and p.path in truth:
            fig.add_vline(x=truth[p.path], line={"color": PALETTE[2], "width": 2}, row=1, col=i)
        fig.update_xaxes(range=[p.lo, p.hi], row=1, col=i)
    fig.update_layout(title=title or "Prior and posterior (median and 90 % interval marked)",
                      bargap=0, **{**LAYOUT, "hovermode": "closest"})
    return fig
