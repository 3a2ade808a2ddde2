"""Shared look of every figure: the scenario palette, stage and cost colours, layout, labels."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping

from sim.results import COST_COLUMNS

#: Colours for series without a fixed colour (colour-blind-friendly, Okabe-Ito based).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

#: The shipped scenarios' own colours (Okabe-Ito): the same on every page, report and chart.
SCENARIO_COLORS = {
    "public_only": "#0072B2", "rebate_led": "#E69F00", "content_led": "#009E73",
    "hybrid_referral": "#CC79A7", "spam_blast": "#D55E00", "broadcast_group": "#56B4E9",
    "community_no_sell": "#8C564B", "black_swan": "#000000", "gift_launch_content": "#6A3D9A",
}

#: Colours of other scenarios (Paul Tol's muted scheme, distinct from the fixed ones above);
#: a name's colour is chosen by a hash of the name, never by its position.
EXTRA_COLORS = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77",
                "#CC6677", "#882255", "#AA4499", "#661100", "#6699CC", "#888888"]

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


def scenario_color(name: str) -> str:
    """The colour of one scenario on its own: fixed for a shipped one, else by a hash of its name."""
    return SCENARIO_COLORS.get(name) or EXTRA_COLORS[zlib.crc32(name.encode("utf-8")) % len(EXTRA_COLORS)]


def scenario_colors(names: Iterable[str]) -> dict[str, str]:
    """Give each scenario a colour that does not depend on its position among the others.

    Shipped scenarios keep :data:`SCENARIO_COLORS`; any other name gets the colour of a hash
    of the name (:func:`scenario_color`). Two names of one set that would share a colour are
    separated deterministically: names are settled in sorted order, and a name whose colour is
    taken moves to the next free one of :data:`EXTRA_COLORS`. So the result depends only on
    the *set* of names, never on their order, and a shipped scenario's colour never changes.
    """
    names = list(dict.fromkeys(names))
    out = {n: SCENARIO_COLORS[n] for n in names if n in SCENARIO_COLORS}
    taken = set(out.values())
    for name in sorted(n for n in names if n not in out):
        start = zlib.crc32(name.encode("utf-8")) % len(EXTRA_COLORS)
        for k in range(len(EXTRA_COLORS)):
            color = EXTRA_COLORS[(start + k) % len(EXTRA_COLORS)]
            if color not in taken:
                break
        else:  # more names than colours: reuse the hashed one
            color = EXTRA_COLORS[start]
        out[name] = color
        taken.add(color)
    return {n: out[n] for n in names}


def column_label(column: str) -> str:
    """Axis text (with unit) of a daily column."""
    labels = {"cum_profit": "Cumulative profit (RMB)", "gmv": "GMV per day (RMB)",
              "mean_trust": "Mean trust (0-1)", "mean_fatigue": "Mean fatigue",
              "private_pool": "Private pool (users)", "mutes": "Mutes per day",
              "leaves": "Leaves per day", "profit": "Profit per day (RMB)"}
    return labels.get(column, column.replace("_", " ").capitalize())
