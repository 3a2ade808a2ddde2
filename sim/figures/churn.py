"""Why users left: leaves by cause (fatigue overload, lost incentive, background, failed order, clean-up)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.figures.phases import add_phases
from sim.figures.style import LAYOUT, label_of
from sim.results import LEAVE_COLUMNS, Ensemble

#: colour of each leave-cause column (Okabe-Ito based)
CAUSE_COLORS = dict(zip(LEAVE_COLUMNS, ["#D55E00", "#E69F00", "#999999", "#CC79A7", "#56B4E9"], strict=True))

#: English text of each leave-cause column
CAUSE_TEXT = {
    "leaves_fatigue": "Fatigue overload", "leaves_incentive": "Incentive memory ran out",
    "leaves_background": "Background churn", "leaves_failed_order": "Failed order",
    "leaves_cleanup": "Dormant clean-up",
}


def leave_cause_table(ensembles: Mapping[str, Ensemble]) -> pd.DataFrame:
    """Median over seeds of the leaves of each cause over the horizon (scenario × cause column)."""
    rows = {name: {c: float(np.median(ens.stack(c).sum(axis=1))) for c in LEAVE_COLUMNS}
            for name, ens in ensembles.items()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=LEAVE_COLUMNS)


def leaves_by_cause_figure(ensembles: Mapping[str, Ensemble], title: str | None = None, *,
                           names: Mapping[str, str] | None = None,
                           y_title: str = "Users who left over the horizon (median of seeds)") -> go.Figure:
    """Stacked bars: median leaves by cause for each scenario (one bar trace per cause)."""
    table = leave_cause_table(ensembles)
    fig = go.Figure()
    for c in LEAVE_COLUMNS:
        fig.add_trace(go.Bar(x=list(table.index), y=table[c], name=label_of(names, c, CAUSE_TEXT[c]),
                             marker_color=CAUSE_COLORS[c], hovertemplate="%{y:,.0f} users"))
    fig.update_layout(barmode="stack", title=title or "Why users left: leaves by cause", yaxis_title=y_title,
                      **{**LAYOUT, "hovermode": "x"})
    return fig


def leaves_over_time_figure(ensemble: Ensemble, title: str | None = None, *,
                            names: Mapping[str, str] | None = None, smooth: int = 7,
                            x_title: str = "Day",
                            y_title: str = "Users leaving per day (median of seeds, 7-day average)",
                            phase_text: str = "Phase {k}") -> go.Figure:
    """Stacked areas of one scenario's daily leaves by cause (median over seeds, trailing average), its plan phases shaded."""
    fig = go.Figure()
    days = ensemble.runs[0].daily["day"].to_numpy()
    for c in LEAVE_COLUMNS:
        arr = ensemble.stack(c)
        if smooth > 1:
            arr = pd.DataFrame(arr.T).rolling(int(smooth), min_periods=1).mean().to_numpy().T
        fig.add_trace(go.Scatter(x=days, y=np.median(arr, axis=0), name=label_of(names, c, CAUSE_TEXT[c]),
                                 mode="lines", stackgroup="causes", line={"width": 0.5, "color": CAUSE_COLORS[c]},
                                 hovertemplate="%{y:,.1f}"))
    add_phases(fig, {ensemble.scenario.name: ensemble}, phase_text=phase_text)
    fig.update_layout(title=title or "Leaves by cause over time", xaxis_title=x_title, yaxis_title=y_title,
                      **LAYOUT)
    return fig
