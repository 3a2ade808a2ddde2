"""One user's journey: stage, trust, fatigue, messages and events day by day."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.figures.style import STAGE_ORDER, label_of

_KEY_EVENTS = ["joined", "bought", "failed", "muted", "reactivated", "left", "promoted",
               "shared", "rewarded", "chat", "red_packet", "promo", "platform_buy"]
_ANNOTATED = {"joined", "muted", "reactivated", "left", "promoted", "failed"}


def journey_figure(trace: pd.DataFrame, title: str | None = None, *,
                   names: Mapping[str, str] | None = None, tolerance: float | None = None,
                   x_title: str = "Day") -> go.Figure:
    """One user's trust, fatigue, messages, purchases and stage over time, with events marked.

    Args:
        trace: ``RunResult.trace`` rows of one user (``day``, ``stage``, ``trust``, ``fatigue``,
            ``messages``, ``purchases``, ``events``).
        title: Figure title.
        names: Keys ``trust``, ``fatigue``, ``messages``, ``purchases``, ``stage``, stage names
            and event names (lower case) → display text.
        tolerance: The user's message tolerance, drawn as a dashed line on the fatigue panel.
        x_title: X-axis title.

    Returns:
        The figure (four panels sharing the day axis).
    """
    t = trace.sort_values("day")
    days = t["day"].to_numpy()
    panels = [label_of(names, "trust", "Trust"), label_of(names, "fatigue", "Fatigue"),
              label_of(names, "messages", "Messages received / day · purchases (cumulative)"),
              label_of(names, "stage", "Stage")]
    fig = make_subplots(rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.05,
                        subplot_titles=panels, row_heights=[0.3, 0.22, 0.22, 0.26])
    fig.add_trace(go.Scatter(x=days, y=t["trust"], name=panels[0], line={"color": "#0072B2"}),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=days, y=t["fatigue"], name=panels[1], line={"color": "#D55E00"}),
                  row=2, col=1)
    if tolerance is not None:
        fig.add_hline(y=tolerance, line_dash="dash", line_color="#D55E00", row=2, col=1,
                      annotation_text=label_of(names, "tolerance", "tolerance"))
    fig.add_trace(go.Bar(x=days, y=t["messages"], name=label_of(names, "messages_short", "Messages"),
                         marker_color="#999999"), row=3, col=1)
    fig.add_trace(go.Scatter(x=days, y=t["purchases"], name=label_of(names, "purchases", "Purchases"),
                             line={"color": "#009E73", "shape": "hv"}), row=3, col=1)
    stage = t["stage"].astype(str)
    order = list(STAGE_ORDER)
    fig.add_trace(go.Scatter(x=days, y=[label_of(names, s, s.capitalize()) for s in stage],
                             name=panels[3], line={"color": "#444", "shape": "hv"}), row=4, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=[label_of(names, s, s.capitalize()) for s in order],
                     row=4, col=1)
    # events: markers on the trust panel, text labels for the turning points
    ev = t[["day", "events", "trust"]].copy()
    ev["events"] = ev["events"].fillna("").astype(str)
    ev = ev[ev["events"] != ""]
    if len(ev):
        labels = [", ".join(label_of(names, e, e.replace("_", " ")) for e in s.split("|") if e)
                  for s in ev["events"]]
        fig.add_trace(go.Scatter(x=ev["day"], y=ev["trust"], mode="markers", text=labels,
                                 name=label_of(names, "events", "Events"),
                                 marker={"size": 7, "color": "#CC79A7", "symbol": "diamond"},
                                 hovertemplate="day %{x}: %{text}<extra></extra>"), row=1, col=1)
        shown = 0
        for day, s, tr in zip(ev["day"], ev["events"], ev["trust"], strict=True):
            key = [e for e in s.split("|") if e in _ANNOTATED]
            if key and shown < 14:
                fig.add_annotation(x=day, y=tr, text=label_of(names, key[0], key[0]), row=1, col=1,
                                   showarrow=True, arrowhead=2, ay=-28, font={"size": 10})
                shown += 1
    fig.update_xaxes(title_text=x_title, row=4, col=1)
    fig.update_layout(title=title or "One user's journey", height=760, showlegend=False,
                      template="plotly_white", hovermode="x unified",
                      margin={"l": 60, "r": 20, "t": 60, "b": 50})
    return fig
