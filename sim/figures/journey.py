"""One user's journey: stage, trust, fatigue, messages and events day by day."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.figures.phases import add_phases
from sim.figures.style import STAGE_ORDER, label_of
from sim.scenario import Scenario

_KEY_EVENTS = ["joined", "bought", "failed", "muted", "reactivated", "left", "promoted",
               "shared", "rewarded", "chat", "red_packet", "promo", "platform_buy"]
_ANNOTATED = {"joined", "muted", "reactivated", "left", "promoted", "failed"}


def journey_figure(trace: pd.DataFrame, title: str | None = None, *,
                   names: Mapping[str, str] | None = None, tolerance: float | None = None,
                   x_title: str = "Day", scenario: Scenario | None = None,
                   phase_text: str = "Phase {k}") -> go.Figure:
    """One user's trust, fatigue, messages, purchases and stage over time, with events marked.

    Args:
        trace: ``RunResult.trace`` rows of one user (``day``, ``stage``, ``trust``, ``fatigue``,
            ``messages``, ``purchases``, ``events``; optional ``cause`` of the day's mute or leave).
        title: Figure title.
        names: Keys ``trust``, ``fatigue``, ``messages_panel``, ``purchases_panel``, ``stage``
            (panel titles), ``trust_y``, ``messages_y``, ``purchases_y`` (axis titles), stage
            names, event names (lower case) and ``cause.<cause>`` (e.g. ``cause.cleanup``) → display
            text.
        tolerance: The user's message tolerance, drawn as a dashed line on the fatigue panel.
        x_title: X-axis title.
        scenario: The user's scenario: its plan phases are shaded on every panel.
        phase_text: Label of a phase without its own label.

    Returns:
        The figure (five panels sharing the day axis: trust, fatigue, messages per day,
        purchases so far, stage; messages and purchases each on their own labelled axis).
        Turning points are labelled at most once per ``horizon / 24`` days, at staggered
        heights, so labels never pile up (every event stays in the hover text).
    """
    t = trace.sort_values("day")
    days = t["day"].to_numpy()
    panels = [label_of(names, "trust", "Trust"), label_of(names, "fatigue", "Fatigue"),
              label_of(names, "messages_panel", "Messages received per day"),
              label_of(names, "purchases_panel", "Purchases (cumulative)"),
              label_of(names, "stage", "Stage")]
    fig = make_subplots(rows=5, cols=1, shared_xaxes=True, vertical_spacing=0.045,
                        subplot_titles=panels, row_heights=[0.27, 0.18, 0.16, 0.16, 0.23])
    fig.add_trace(go.Scatter(x=days, y=t["trust"], name=panels[0], line={"color": "#0072B2"}),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=days, y=t["fatigue"], name=panels[1], line={"color": "#D55E00"}),
                  row=2, col=1)
    if tolerance is not None:
        fig.add_hline(y=tolerance, line_dash="dash", line_color="#D55E00", row=2, col=1,
                      annotation_text=label_of(names, "tolerance", "tolerance"))
    fig.add_trace(go.Bar(x=days, y=t["messages"], name=panels[2], marker_color="#999999"), row=3, col=1)
    fig.update_yaxes(title_text=label_of(names, "messages_y", "messages"), rangemode="tozero", row=3, col=1)
    fig.add_trace(go.Scatter(x=days, y=t["purchases"], name=panels[3],
                             line={"color": "#009E73", "shape": "hv"}), row=4, col=1)
    fig.update_yaxes(title_text=label_of(names, "purchases_y", "orders"), rangemode="tozero", row=4, col=1)
    stage = t["stage"].astype(str)
    order = list(STAGE_ORDER)
    fig.add_trace(go.Scatter(x=days, y=[label_of(names, s, s.capitalize()) for s in stage],
                             name=panels[4], line={"color": "#444", "shape": "hv"}), row=5, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=[label_of(names, s, s.capitalize()) for s in order],
                     row=5, col=1)
    fig.update_yaxes(title_text=label_of(names, "trust_y", "0–1"), range=[0, 1.15], row=1, col=1)
    # events: markers on the trust panel, text labels for the turning points
    ev = t[["day", "events", "trust"]].copy()
    ev["events"] = ev["events"].fillna("").astype(str)
    causes = t["cause"].astype(str) if "cause" in t else pd.Series("none", index=t.index)
    ev = ev[ev["events"] != ""]
    if len(ev):
        def _text(e: str, cause: str) -> str:  # "left (dormant clean-up)": the cause of a mute or leave
            text = label_of(names, e, e.replace("_", " "))
            if e in ("muted", "left") and cause != "none":
                text += f" ({label_of(names, 'cause.' + cause, cause.replace('_', ' '))})"
            return text
        labels = [", ".join(_text(e, causes[i]) for e in s.split("|") if e)
                  for i, s in zip(ev.index, ev["events"], strict=True)]
        fig.add_trace(go.Scatter(x=ev["day"], y=ev["trust"], mode="markers", text=labels,
                                 name=label_of(names, "events", "Events"),
                                 marker={"size": 7, "color": "#CC79A7", "symbol": "diamond"},
                                 hovertemplate="day %{x}: %{text}<extra></extra>"), row=1, col=1)
        cause_on = dict(zip(t["day"].to_numpy().tolist(), causes.tolist(), strict=True))
        for day, text, tr, ay in annotation_plan(ev["day"], ev["events"], ev["trust"], span=len(days)):
            fig.add_annotation(x=day, y=tr, text=_text(text, cause_on.get(day, "none")), row=1, col=1,
                               showarrow=True, arrowhead=2, ay=ay, font={"size": 10})
    fig.update_xaxes(title_text=x_title, row=5, col=1)
    if scenario is not None:
        for r in range(1, 6):
            add_phases(fig, {scenario.name: scenario}, row=r, col=1, phase_text=phase_text, annotate=r == 1)
    fig.update_layout(title=title or "One user's journey", height=860, showlegend=False,
                      template="plotly_white", hovermode="x unified",
                      margin={"l": 60, "r": 20, "t": 60, "b": 50})
    return fig


def annotation_plan(days, events, trust, span: int, max_labels: int = 14) -> list[tuple[int, str, float, int]]:
    """Which turning points get a text label: ``(day, event, trust, arrow offset)``.

    A label is placed only if it is at least ``span / 24`` days after the previous one; the
    arrow offsets cycle through three heights, so neighbouring labels never overlap.
    """
    gap = max(1.0, span / 24)
    out: list[tuple[int, str, float, int]] = []
    last = -1e9
    for day, s, tr in zip(days, events, trust, strict=True):
        key = [e for e in str(s).split("|") if e in _ANNOTATED]
        if not key or day - last < gap or len(out) >= max_labels:
            continue
        out.append((int(day), key[0], float(tr), (-26, -46, -66)[len(out) % 3]))
        last = day
    return out
