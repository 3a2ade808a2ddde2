"""Plan phases on time charts: shaded bands when the scenarios share their phases, dashed lines otherwise.

Every figure with a day axis calls :func:`add_phases` with the scenarios it draws (DOMAIN §7
stages, ``Scenario.phases``). The rule, one for all charts:

- if every scenario on the chart has the same switch days (and labels) — one scenario, or
  several that differ only in other fields — each phase is one light band, from its
  ``from_day`` to the next phase's (or the end of the horizon), labelled with the phase's
  ``label`` (or "Phase k");
- otherwise each scenario with phases gets a dashed vertical line in its own colour on each of
  its switch days, labelled "scenario: label", so differing plans are never drawn as if they
  switched together. Scenarios without phases add nothing.

A chart whose x axis is not the day (the monthly cash flow) passes ``x_of_day``, the x of a
day's centre, so the bands and lines fall where those days are drawn.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go

from sim.figures.style import scenario_colors
from sim.scenario import Scenario

__all__ = ["PHASE_FILLS", "add_phases", "phase_bands", "scenarios_of"]

#: Fills of consecutive phase bands (two light greys, alternating so neighbours stay apart).
PHASE_FILLS = ("rgba(0,114,178,0.07)", "rgba(230,159,0,0.08)")


def scenarios_of(ensembles: Mapping[str, Any]) -> dict[str, Scenario]:
    """Scenario name → scenario, from ensembles (objects with a ``scenario``) or scenarios."""
    return {name: getattr(e, "scenario", e) for name, e in ensembles.items()}


def _label(sc: Scenario, k: int, phase_text: str) -> str:
    ph = sc.phases[k]
    return html.escape(ph.label) if ph.label else phase_text.format(k=k + 1)  # plotly renders HTML tags


def phase_bands(scenario: Scenario, phase_text: str = "Phase {k}") -> list[tuple[int, int, str]]:
    """``(first day, last day, label)`` of each phase of ``scenario`` (the base plan is not a band)."""
    days = [ph.from_day for ph in scenario.phases] + [scenario.horizon_days]
    return [(days[k], days[k + 1] - 1, _label(scenario, k, phase_text)) for k in range(len(scenario.phases))]


def add_phases(fig: go.Figure, scenarios: Mapping[str, Any], *, row: int | str | None = None,
               col: int | str | None = None, phase_text: str = "Phase {k}",
               colors: Mapping[str, str] | None = None, annotate: bool = True,
               x_of_day: Callable[[float], float] | None = None) -> go.Figure:
    """Draw the plan phases of ``scenarios`` (name → scenario or ensemble) on ``fig`` (see the module rule).

    Args:
        fig: A figure whose x axis is the day.
        scenarios: The scenarios drawn on it, by name (ensembles are accepted).
        row: The subplot row to draw on (``"all"`` for every panel; ``None`` for a plain figure).
        col: The subplot column to draw on (as ``row``).
        phase_text: Label of a phase without its own label (``{k}`` = 1, 2, ...), translatable.
        colors: Scenario name → colour of its switch lines (default :func:`scenario_colors`).
        annotate: Write the labels (off for all but one panel of a grid).
        x_of_day: The x coordinate of day ``d``'s centre (default ``d``: a day axis); a band
            spans from the left edge of its first day to the right edge of its last.

    Returns:
        ``fig`` (changed in place).
    """
    scs = {n: s for n, s in scenarios_of(scenarios).items() if s.phases}
    if not scs:
        return fig
    x = x_of_day or (lambda d: d)
    kw = {"row": row, "col": col} if row is not None else {}
    marks = {tuple((b[0], b[2]) for b in phase_bands(s, phase_text)) for s in scenarios_of(scenarios).values()}
    if len(marks) == 1:  # every scenario switches on the same days: shade the phases
        sc = next(iter(scs.values()))
        for k, (start, end, label) in enumerate(phase_bands(sc, phase_text)):
            fig.add_vrect(x0=x(start - 0.5), x1=x(end + 0.5), fillcolor=PHASE_FILLS[k % 2], line_width=0, layer="below",
                          annotation_text=label if annotate else "", annotation_position="top left",
                          annotation_font={"size": 10, "color": "#555"}, name=f"phase {k + 1}", **kw)
        return fig
    colors = colors or scenario_colors(scenarios)
    for name, sc in scs.items():
        for start, _end, label in phase_bands(sc, phase_text):
            fig.add_vline(x=x(start), line={"color": colors.get(name, "#555"), "width": 1.2, "dash": "dash"},
                          annotation_text=f"{name}: {label}" if annotate else "", annotation_position="top right",
                          annotation_font={"size": 10, "color": colors.get(name, "#555")}, name=f"{name} phase", **kw)
    return fig
