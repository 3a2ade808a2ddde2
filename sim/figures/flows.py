"""Flows of users: the Sankey from source through the value ladder to the final state, and the funnel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.figures.style import PALETTE, STAGE_COLORS, STAGE_ORDER, label_of, rgba, scenario_colors
from sim.results import Ensemble

#: Ladder levels of the value ladder, in order (codes of ``sim.population.Stage``).
_LADDER = ["follower", "customer", "repeat", "member", "partner"]
_FINALS = ["active", "dormant", "churned"]
_SOURCES = ["card", "gift", "cash", "content", "referral"]


def _levels(users: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Return joined users, their ladder level (1 follower … 5 partner) and final state index."""
    joined = users[users["source"].astype(str) != "none"]
    rung = joined["rung"].astype(str).map({s: i for i, s in enumerate(STAGE_ORDER)}).to_numpy()
    level = np.clip(np.where(rung > 5, 1, rung), 1, 5)
    stage = joined["stage"].astype(str).to_numpy()
    final = np.where(stage == "dormant", 1, np.where(stage == "churned", 2, 0))
    return joined, level, final


def flow_counts(users_tables: Sequence[pd.DataFrame]) -> dict[tuple[str, str], float]:
    """Mean (over runs) number of users on each link of the public → ladder flow.

    Links are ``(from, to)`` node keys: ``public → <source>`` for each join channel,
    ``<source> → private``, ``private → customer → repeat → member → partner`` (by the highest
    rung a user reached) and, from every ladder node, to ``active``, ``dormant`` or
    ``churned`` for the users whose climb stopped there. Inflow equals outflow at every
    inner node.
    """
    total: dict[tuple[str, str], float] = {}
    ladder_nodes = ["private", "customer", "repeat", "member", "partner"]
    for users in users_tables:
        joined, level, final = _levels(users)
        src = joined["source"].astype(str).to_numpy()
        links: dict[tuple[str, str], float] = {}
        for s in _SOURCES:
            n = float((src == s).sum())
            links[("public", s)] = n
            links[(s, "private")] = n
        for i, node in enumerate(ladder_nodes, start=1):
            if i < 5:
                links[(node, ladder_nodes[i])] = float((level >= i + 1).sum())
            for f, fin in enumerate(_FINALS):
                links[(node, fin)] = float(((level == i) & (final == f)).sum())
        for k, v in links.items():
            total[k] = total.get(k, 0.0) + v
    n = max(1, len(users_tables))
    return {k: v / n for k, v in total.items()}


def sankey_figure(users_tables: pd.DataFrame | Sequence[pd.DataFrame], title: str | None = None, *,
                  names: Mapping[str, str] | None = None) -> go.Figure:
    """Sankey of users from the public pool, by join channel, up the value ladder, and out.

    Args:
        users_tables: One ``RunResult.users`` table or several (the mean over runs is drawn).
        title: Figure title.
        names: Node key → display text (keys: ``public``, ``card``, ``gift``, ``cash``,
            ``content``, ``referral``, ``private``, ``customer``, ``repeat``, ``member``,
            ``partner``, ``active``, ``dormant``, ``churned``).

    Returns:
        The figure (links with zero users are left out).
    """
    tables = [users_tables] if isinstance(users_tables, pd.DataFrame) else list(users_tables)
    counts = flow_counts(tables)
    defaults = {"public": "Public pool", "private": "Private pool", "card": "via package card",
                "gift": "via gift", "cash": "via cash", "content": "via content",
                "referral": "via referral", "customer": "Customer", "repeat": "Repeat buyer",
                "member": "Member", "partner": "Partner", "active": "Still active",
                "dormant": "Dormant (muted)", "churned": "Churned (left)"}
    nodes = ["public", *_SOURCES, "private", "customer", "repeat", "member", "partner", *_FINALS]
    idx = {k: i for i, k in enumerate(nodes)}
    colors = {"public": "#BBBBBB", "private": "#56B4E9", **STAGE_COLORS,
              "card": "#999999", "gift": "#E69F00", "cash": "#D55E00", "content": "#009E73",
              "referral": "#CC79A7"}
    src, tgt, val, lcol = [], [], [], []
    for (a, b), v in counts.items():
        if v > 0:
            src.append(idx[a])
            tgt.append(idx[b])
            val.append(round(v, 1))
            lcol.append(rgba(colors.get(b, "#888888"), 0.35))
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node={"label": [label_of(names, k, defaults[k]) for k in nodes], "pad": 14, "thickness": 16,
              "color": [colors.get(k, "#888888") for k in nodes]},
        link={"source": src, "target": tgt, "value": val, "color": lcol},
        valueformat=",.0f"))
    fig.update_layout(title=title or "Where users went", template="plotly_white",
                      margin={"l": 10, "r": 10, "t": 50, "b": 10}, height=480)
    return fig


def funnel_table(ensembles: Mapping[str, Ensemble]) -> pd.DataFrame:
    """Users reaching each ladder step (mean over seeds) and the conversion from the step before.

    Returns:
        Long table with columns ``scenario``, ``step`` (``private``, ``customer``, ``repeat``,
        ``member``, ``partner``), ``users`` and ``conversion`` (share of the previous step;
        NaN for the first).
    """
    rows = []
    steps = ["private", "customer", "repeat", "member", "partner"]
    for name, ens in ensembles.items():
        per_run = []
        for run in ens.runs:
            _, level, _ = _levels(run.users)
            per_run.append([float((level >= i).sum()) for i in range(1, 6)])
        means = np.mean(np.array(per_run), axis=0)
        prev = np.nan
        for step, v in zip(steps, means, strict=True):
            conv = v / prev if prev and prev > 0 else np.nan
            rows.append({"scenario": name, "step": step, "users": v, "conversion": conv})
            prev = v
    return pd.DataFrame(rows)


def funnel_figure(ensembles: Mapping[str, Ensemble], title: str | None = None, *,
                  names: Mapping[str, str] | None = None,
                  colors: Mapping[str, str] | None = None) -> go.Figure:
    """Funnel of the private pool up the value ladder, one trace per scenario (mean of seeds)."""
    table = funnel_table(ensembles)
    colors = colors or scenario_colors(ensembles)
    defaults = {"private": "Joined private pool", "customer": "Bought", "repeat": "Bought again",
                "member": "Member", "partner": "Partner"}
    fig = go.Figure()
    several = table["scenario"].nunique() > 1
    for name, part in table.groupby("scenario", sort=False):
        if several and not part["users"].any():
            continue  # nobody joined (e.g. platform only): nothing to draw
        fig.add_trace(go.Funnel(
            connector={"visible": not several},
            name=name, y=[label_of(names, s, defaults[s]) for s in part["step"]], x=part["users"],
            textinfo="value+percent previous", texttemplate="%{value:,.0f} (%{percentPrevious:.0%})",
            marker={"color": colors.get(name, PALETTE[0])}))
    fig.update_layout(title=title or "Value-ladder funnel", template="plotly_white", funnelmode="group",
                      margin={"l": 120, "r": 20, "t": 60, "b": 30},
                      legend={"orientation": "h", "y": 1.05, "x": 0})
    return fig
