"""Shared look of every figure: the scenario palette, stage and cost colours, layout, labels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sim.results import COST_COLUMNS

#: Colours given to scenarios in order (colour-blind-friendly, Okabe-Ito based).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

#: Stage columns of ``RunResult.daily`` that make up the private pool, bottom to top of a stack.
PRIVATE_STAGES = ["followers", "customers", "repeat", "members", "partners", "dormant"]

#: Every stage of ``sim.population.Stage`` in order (public first, churned last).
STAGE_ORDER = ["public", "follower", "customer", "repeat", "member", "partner", "dormant", "churned"]
STAGE_COLORS = {
    "public": "#BBBBBB", "follower": "#56B4E9", "customer": "#0072B2", "repeat": "#009E73",
    "member": "#E69F00", "partner": "#CC79A7", "dormant": "#999999", "churned": "#D55E00",
    "active": "#009E73",
}
COST_COLORS = dict(zip(COST_COLUMNS, ["#0072B2", "#56B4E9", "#D55E00", "#CC79A7", "#009E73",
                                       "#E69F00", "#999999", "#F0E442"], strict=True))
LAYOUT = {"template": "plotly_white", "hovermode": "x unified",
           "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
           "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}}


def label_of(names: Mapping[str, str] | None, key: str, default: str | None = None) -> str:
    """Return the display text of ``key``: ``names[key]`` if given, else ``default`` or a tidy ``key``."""
    if names and key in names:
        return names[key]
    return default if default is not None else key.replace("_", " ").capitalize()


def rgba(hex_color: str, alpha: float) -> str:
    """``#rrggbb`` as a CSS ``rgba()`` colour with opacity ``alpha``."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def scenario_colors(names: Iterable[str]) -> dict[str, str]:
    """Give each scenario name a stable colour, in the order given (cycling through :data:`PALETTE`)."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def column_label(column: str) -> str:
    """Axis text (with unit) of a daily column."""
    labels = {"cum_profit": "Cumulative profit (RMB)", "gmv": "GMV per day (RMB)",
              "mean_trust": "Mean trust (0-1)", "mean_fatigue": "Mean fatigue",
              "private_pool": "Private pool (users)", "mutes": "Mutes per day",
              "leaves": "Leaves per day", "profit": "Profit per day (RMB)"}
    return labels.get(column, column.replace("_", " ").capitalize())
