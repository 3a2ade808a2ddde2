"""Figures of an optimisation: Optuna's own charts of the study, and the re-evaluation beside the shipped plans.

:func:`history_figure`, :func:`importances_figure` and :func:`slice_figure` are
``optuna.visualization``'s ``plot_optimization_history``, ``plot_param_importances`` and
``plot_slice`` of the study rebuilt from the store (:meth:`Optimization.study`), with the page's
labels and titles; :func:`reeval_figure` is a plain chart of the recommended plan, the base and
the shipped scenarios on the same fresh seeds: median and 10–90 % band of one KPI.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go

from sim.figures.style import LAYOUT, PALETTE, label_of, scenario_color

__all__ = ["history_figure", "importances_figure", "reeval_figure", "slice_figure"]


def _target(res: Any) -> tuple[Callable[[Any], float], str]:
    return (lambda t: t.value), label_of(None, res.objective.kpi)


def _tidy(fig: go.Figure, title: str | None, y_title: str | None = None) -> go.Figure:
    fig.update_layout(template=LAYOUT["template"], margin=LAYOUT["margin"])
    if title is not None:
        fig.update_layout(title=title)
    if y_title is not None:
        fig.update_yaxes(title=y_title)
    return fig


def history_figure(res: Any, title: str | None = None, *, y_title: str | None = None,
                   names: Mapping[str, str] | None = None) -> go.Figure:
    """Optuna's optimisation history: every trial's objective and the best so far (infeasible ones greyed by Optuna)."""
    import optuna.visualization as ov

    from sim.planning.optimize import _quiet_optuna

    with _quiet_optuna():
        fig = ov.plot_optimization_history(res.study(), target_name=y_title or res.objective.kpi)
    if names:
        for tr in fig.data:
            if tr.name in names:
                tr.name = names[tr.name]
    return _tidy(fig, title, y_title)


def importances_figure(res: Any, title: str | None = None, *, labels: Mapping[str, str] | None = None,
                       x_title: str | None = None) -> go.Figure:
    """Optuna's parameter importances (fANOVA) of the objective over the completed trials.

    Needs at least two decision variables' worth of completed trials; with one decision
    variable it is that variable alone (importance 1).
    """
    import optuna.visualization as ov

    from sim.planning.optimize import _quiet_optuna

    with _quiet_optuna():
        fig = ov.plot_param_importances(res.study(), target_name=x_title or res.objective.kpi)
    if labels:
        for tr in fig.data:
            if tr.y is not None:
                tr.y = [labels.get(str(p), str(p)) for p in tr.y]
    return _tidy(fig, title)


def slice_figure(res: Any, title: str | None = None, *, labels: Mapping[str, str] | None = None,
                 y_title: str | None = None) -> go.Figure:
    """Optuna's slice plot: the objective against each decision variable, one panel each."""
    import optuna.visualization as ov

    from sim.planning.optimize import _quiet_optuna

    with _quiet_optuna():
        fig = ov.plot_slice(res.study(), target_name=y_title or res.objective.kpi)
    if labels:
        for ax in fig.layout:
            if ax.startswith("xaxis") and fig.layout[ax].title and fig.layout[ax].title.text in labels:
                fig.layout[ax].title.text = labels[fig.layout[ax].title.text]
    return _tidy(fig, title)


def reeval_figure(res: Any, kpi: str | None = None, title: str | None = None, *,
                  names: Mapping[str, str] | None = None, x_title: str | None = None,
                  band_name: str = "10–90 %", fmt: Callable[[float], str] | None = None) -> go.Figure:
    """The recommended plan, the base and the shipped scenarios on the same fresh seeds: median and 10–90 % band.

    One horizontal row per scenario (the recommended plan first), a dot at the median and a bar
    over the 10–90 % range of ``kpi`` (default: the objective's KPI). Undefined medians are left out.
    """
    kpi = kpi or res.objective.kpi
    bands = res.reeval_bands()
    bands = bands[bands["kpi"] == kpi]
    fmt = fmt or (lambda v: f"{v:,.4g}")
    fig = go.Figure()
    ys, x50, lo, hi, colors, texts = [], [], [], [], [], []
    for _, r in bands.iterrows():
        if not math.isfinite(float(r["q50"])):
            continue
        name = str(r["scenario"])
        ys.append(label_of(names, name, name))
        x50.append(float(r["q50"]))
        lo.append(float(r["q50"]) - float(r["q10"]) if math.isfinite(float(r["q10"])) else 0.0)
        hi.append(float(r["q90"]) - float(r["q50"]) if math.isfinite(float(r["q90"])) else 0.0)
        colors.append(PALETTE[0] if name == "recommended" else ("#555555" if name == "base" else scenario_color(name)))
        texts.append(f"{fmt(float(r['q50']))} [{fmt(float(r['q10']))} – {fmt(float(r['q90']))}]")
    fig.add_trace(go.Scatter(x=x50, y=ys, mode="markers", name=band_name,
                             marker={"size": 11, "color": colors},
                             error_x={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo,
                                      "thickness": 3, "width": 6},
                             text=texts, hovertemplate="%{y}: %{text}<extra></extra>"))
    fig.update_layout(**{k: v for k, v in LAYOUT.items() if k != "hovermode"}, hovermode="closest",
                      title=title, showlegend=False, height=max(260, 60 + 34 * len(ys)))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=x_title or label_of(None, kpi))
    return fig
