"""Referral cascades: the size distribution and one cascade's tree."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.figures.style import LAYOUT, PALETTE, STAGE_COLORS, STAGE_ORDER, label_of, scenario_colors

_SIZE_BINS = [1, 2, 3, 5, 9, 17, 33, 65, 129, 257, 513, 1025, 10**12]


def _bin_labels() -> list[str]:
    out = []
    for lo, hi in zip(_SIZE_BINS[:-1], _SIZE_BINS[1:], strict=True):
        hi -= 1
        out.append(str(lo) if lo == hi else (f"{lo}+" if hi > 10**9 else f"{lo}–{hi}"))
    return out


def cascade_size_figure(cascades: Mapping[str, Sequence[pd.DataFrame]], title: str | None = None, *,
                        x_title: str = "Cascade size (users brought in by one root, all generations)",
                        y_title: str = "Cascades per run (mean of seeds)",
                        colors: Mapping[str, str] | None = None, log_y: bool = True) -> go.Figure:
    """Distribution of referral-cascade sizes, binned in powers of two, one bar group per scenario.

    Args:
        cascades: Scenario name → the ``RunResult.cascades()`` tables of its runs.
        title: Figure title.
        x_title: X-axis title.
        y_title: Y-axis title.
        colors: Scenario name → colour.
        log_y: Log-scale the counts (cascade sizes are heavy-tailed).

    Returns:
        The figure.
    """
    colors = colors or scenario_colors(cascades)
    labels = _bin_labels()
    fig = go.Figure()
    for name, tables in cascades.items():
        n = max(1, len(tables))
        sizes = np.concatenate([t["size"].to_numpy() for t in tables]) if tables else np.array([])
        counts, _ = np.histogram(sizes, bins=_SIZE_BINS)
        fig.add_trace(go.Bar(x=labels, y=counts / n, name=name, marker_color=colors.get(name, PALETTE[0]),
                             hovertemplate="%{x}: %{y:.2f}<extra>" + name + "</extra>"))
    fig.update_layout(title=title or "Referral cascade sizes", barmode="group", xaxis_title=x_title,
                      yaxis_title=y_title, yaxis_type="log" if log_y else "linear",
                      yaxis_dtick=1 if log_y else None,
                      **{**LAYOUT, "hovermode": "closest"})
    return fig


def cascade_tree(users: pd.DataFrame, root: int, max_nodes: int = 300) -> nx.DiGraph:
    """Build the referral tree under ``root`` (breadth first, at most ``max_nodes`` users), from ``referrer``.

    Node attributes: ``stage``, ``referrals``, ``trust``, ``depth``.
    """
    ref = users["referrer"].to_numpy()
    children: dict[int, list[int]] = {}
    for child in np.flatnonzero(ref >= 0):
        children.setdefault(int(ref[child]), []).append(int(child))
    g = nx.DiGraph()
    stage = users["stage"].astype(str).to_numpy()
    trust = users["trust"].to_numpy()
    refs = users["referrals"].to_numpy()

    def add(node: int, depth: int) -> None:
        g.add_node(node, stage=stage[node], trust=float(trust[node]), referrals=int(refs[node]),
                   depth=depth)

    add(int(root), 0)
    queue = deque([int(root)])
    while queue and g.number_of_nodes() < max_nodes:
        node = queue.popleft()
        for child in children.get(node, []):
            if g.number_of_nodes() >= max_nodes:
                break
            add(child, g.nodes[node]["depth"] + 1)
            g.add_edge(node, child)
            queue.append(child)
    return g


def cascade_tree_figure(users: pd.DataFrame, root: int | None = None, title: str | None = None, *,
                        max_nodes: int = 300, names: Mapping[str, str] | None = None,
                        depth_title: str = "Generation (0 = root)") -> go.Figure:
    """One referral cascade drawn as a tree (generations left to right), nodes coloured by stage.

    Args:
        users: One run's ``RunResult.users`` table.
        root: Root user id (default: the root of the largest cascade).
        title: Figure title.
        max_nodes: Draw at most this many users (breadth first).
        names: Stage name → display text.
        depth_title: X-axis title.

    Returns:
        The figure (empty with a note when the run has no referrals).
    """
    if root is None:
        from sim.results import cascade_table

        table = cascade_table(users)
        if table.empty:
            fig = go.Figure()
            fig.add_annotation(text="No referral cascades in this run", showarrow=False,
                               xref="paper", yref="paper", x=0.5, y=0.5)
            fig.update_layout(title=title or "Referral cascade", template="plotly_white",
                              xaxis_visible=False, yaxis_visible=False)
            return fig
        root = int(table["root"].iloc[0])
    g = cascade_tree(users, root, max_nodes)
    if g.number_of_nodes() == 1:
        pos = {root: np.array([0.0, 0.0])}
    else:
        nx.set_node_attributes(g, {n: d["depth"] for n, d in g.nodes(data=True)}, "layer")
        pos = nx.multipartite_layout(g, subset_key="layer")
    ex, ey = [], []
    for a, b in g.edges():
        ex += [pos[a][0], pos[b][0], None]
        ey += [pos[a][1], pos[b][1], None]
    fig = go.Figure(go.Scatter(x=ex, y=ey, mode="lines", line={"color": "#BBBBBB", "width": 1},
                               hoverinfo="skip", showlegend=False))
    by_stage: dict[str, list[int]] = {}
    for n, d in g.nodes(data=True):
        by_stage.setdefault(d["stage"], []).append(n)
    for st in STAGE_ORDER:
        members = by_stage.get(st)
        if not members:
            continue
        fig.add_trace(go.Scatter(
            x=[pos[n][0] for n in members], y=[pos[n][1] for n in members], mode="markers",
            name=label_of(names, st, st.capitalize()),
            marker={"size": [8 + 3 * min(g.nodes[n]["referrals"], 8) for n in members],
                    "color": STAGE_COLORS.get(st, "#444"),
                    "line": {"width": [3 if n == root else 1 for n in members],
                             "color": ["#222" if n == root else "white" for n in members]}},
            text=[f"user {n}<br>referrals {g.nodes[n]['referrals']}<br>trust {g.nodes[n]['trust']:.2f}"
                  for n in members],
            hovertemplate="%{text}<extra></extra>"))
    fig.add_annotation(x=pos[root][0], y=pos[root][1], text=label_of(names, "root", "root"), showarrow=True,
                       arrowhead=0, ay=-30, font={"size": 11})
    depth = max(d["depth"] for _, d in g.nodes(data=True))
    fig.update_layout(title=title or f"Referral cascade of user {root}: {g.number_of_nodes()} users, {depth} generations",
                      template="plotly_white", xaxis={"visible": False}, yaxis={"visible": False},
                      margin={"l": 10, "r": 10, "t": 60, "b": 10}, height=480,
                      legend={"orientation": "h", "y": -0.05})
    fig.add_annotation(text=depth_title + " →", showarrow=False, xref="paper", yref="paper",
                       x=0.5, y=1.0, yanchor="bottom", font={"size": 11, "color": "#666"})
    return fig


def cascade_sunburst_figure(users: pd.DataFrame, root: int, title: str | None = None, *,
                            max_nodes: int = 400, names: Mapping[str, str] | None = None,
                            user_label: str = "user", referrals_label: str = "referrals",
                            trust_label: str = "trust") -> go.Figure:
    """One referral cascade as a sunburst: the root in the centre, each generation one ring.

    Every user is a sector inside the sector of the friend who brought them in, sized by the
    users under it (itself included), coloured by stage; so a root with 88 direct referrals is
    one readable ring of 88 sectors instead of a column of 88 dots. At most ``max_nodes`` users
    are drawn (breadth first); :func:`cascade_tree` gives the same nodes.

    Args:
        users: One run's ``RunResult.users`` table.
        root: Root user id.
        title: Figure title.
        max_nodes: Draw at most this many users.
        names: Stage name → display text (legend).
        user_label: Word for "user" in hover texts.
        referrals_label: Word for "referrals" in hover texts.
        trust_label: Word for "trust" in hover texts.

    Returns:
        The figure (a sunburst trace plus one legend entry per stage present).
    """
    g = cascade_tree(users, root, max_nodes)
    order = list(nx.bfs_tree(g, root)) if g.number_of_nodes() > 1 else [root]
    size = {n: 1 for n in order}
    for n in reversed(order):  # subtree sizes, leaves first
        for p in g.predecessors(n):
            size[p] += size[n]
    parents = {n: next(iter(g.predecessors(n)), None) for n in order}
    stages = [g.nodes[n]["stage"] for n in order]
    fig = go.Figure(go.Sunburst(
        ids=[str(n) for n in order], labels=[str(n) for n in order],
        parents=["" if parents[n] is None else str(parents[n]) for n in order],
        values=[size[n] for n in order], branchvalues="total",
        marker={"colors": [STAGE_COLORS.get(s, "#444") for s in stages], "line": {"color": "white", "width": 0.5}},
        customdata=[[label_of(names, s, s), g.nodes[n]["referrals"], g.nodes[n]["trust"]]
                    for n, s in zip(order, stages, strict=True)],
        hovertemplate=(f"{user_label} %{{label}}<br>%{{customdata[0]}}<br>{referrals_label} %{{customdata[1]}}"
                       f"<br>{trust_label} %{{customdata[2]:.2f}}<extra></extra>"),
        textinfo="none", insidetextorientation="radial", maxdepth=-1, sort=False))
    for st in STAGE_ORDER:  # a legend of the stage colours (sunbursts have none of their own)
        if st in stages:
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=label_of(names, st, st.capitalize()),
                                     marker={"color": STAGE_COLORS.get(st, "#444"), "size": 10}, hoverinfo="skip"))
    fig.update_layout(title=title or f"Referral cascade of user {root}", template="plotly_white",
                      xaxis={"visible": False}, yaxis={"visible": False}, height=560,
                      margin={"l": 10, "r": 10, "t": 60, "b": 10},
                      legend={"orientation": "h", "y": -0.02, "yanchor": "top"})
    return fig
