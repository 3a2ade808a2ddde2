"""Incremental profit against a baseline over time, seed pair by seed pair (``sim.incremental``)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.figures.phases import add_phases
from sim.figures.style import LAYOUT, scenario_colors
from sim.figures.timeseries import _add_band
from sim.incremental import check_pairable, incremental_cum_profit
from sim.results import Ensemble


def incremental_band(ens: Ensemble, base: Ensemble) -> pd.DataFrame:
    """Quantiles over seed pairs of the cumulative incremental profit: ``day``, ``q10``, ``q50``, ``q90``."""
    check_pairable(ens, base)
    arr = np.vstack([incremental_cum_profit(r, b) for r, b in zip(ens.runs, base.runs, strict=True)])
    out = {"day": ens.runs[0].daily["day"].to_numpy()}
    for q in (0.1, 0.5, 0.9):
        out[f"q{round(q * 100):d}"] = np.quantile(arr, q, axis=0)
    return pd.DataFrame(out)


def incremental_profit_figure(ensembles: Mapping[str, Ensemble], baseline: str, title: str | None = None, *,
                              x_title: str = "Day", y_title: str = "Cumulative incremental profit (RMB)",
                              band_label: str = "10–90% of seed pairs", median_label: str = "median",
                              zero_label: str = "pays back above this line", phase_text: str = "Phase {k}") -> go.Figure:
    """Median and 10–90 % band over seed pairs of every scenario's cumulative profit minus the baseline's (plan phases drawn)."""
    colors = scenario_colors(ensembles)
    fig = go.Figure()
    for name, ens in ensembles.items():
        if name == baseline:
            continue
        _add_band(fig, incremental_band(ens, ensembles[baseline]), name, colors[name],
                  band_label=band_label, median_label=median_label)
    add_phases(fig, ensembles, phase_text=phase_text, colors=colors)
    fig.add_hline(y=0, line={"color": "#444", "width": 1, "dash": "dot"}, annotation_text=zero_label,
                  annotation_position="top left")
    fig.update_layout(title=title or f"Cumulative incremental profit vs {baseline}", xaxis_title=x_title,
                      yaxis_title=y_title, **LAYOUT)
    return fig
