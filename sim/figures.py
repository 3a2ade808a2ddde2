"""Figures: plain functions from results to Plotly figures, shared by the dashboard and the report.

Every function here takes results (:class:`sim.results.Ensemble` objects keyed by scenario name,
or one run's ``users`` / ``trace`` table) and returns a ``plotly.graph_objects.Figure``. None of
them touches Streamlit, files or the network, so they are unit-tested directly and reused by the
CLI's HTML report. Texts default to English; callers that translate pass ``names`` (a mapping
from the English/internal key to the text to show) and explicit titles. Bands are always the
10–90 % range of the seeds with the median drawn as a line, so uncertainty is never hidden.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.results import COST_COLUMNS, KPI_INFO, Ensemble, prob_beats

__all__ = [
    "PALETTE",
    "PRIVATE_STAGES",
    "band_figure",
    "cascade_size_figure",
    "cascade_tree",
    "cascade_tree_figure",
    "cost_figure",
    "cost_table",
    "flow_counts",
    "funnel_figure",
    "funnel_table",
    "journey_figure",
    "multi_band_figure",
    "prob_matrix",
    "prob_matrix_figure",
    "quantile_band",
    "sankey_figure",
    "scenario_colors",
    "stage_figure",
    "sweep_figure",
]

#: Colours given to scenarios in order (colour-blind-friendly, Okabe-Ito based).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

#: Stage columns of ``RunResult.daily`` that make up the private pool, bottom to top of a stack.
PRIVATE_STAGES = ["followers", "customers", "repeat", "members", "partners", "dormant"]

#: Ladder levels of the value ladder, in order (codes of ``sim.population.Stage``).
_LADDER = ["follower", "customer", "repeat", "member", "partner"]
_FINALS = ["active", "dormant", "churned"]
_SOURCES = ["card", "gift", "cash", "content", "referral"]
_STAGE_ORDER = ["public", "follower", "customer", "repeat", "member", "partner", "dormant", "churned"]
_STAGE_COLORS = {
    "public": "#BBBBBB", "follower": "#56B4E9", "customer": "#0072B2", "repeat": "#009E73",
    "member": "#E69F00", "partner": "#CC79A7", "dormant": "#999999", "churned": "#D55E00",
    "active": "#009E73",
}
_COST_COLORS = dict(zip(COST_COLUMNS, ["#0072B2", "#56B4E9", "#D55E00", "#CC79A7", "#009E73",
                                       "#E69F00", "#999999", "#F0E442"], strict=True))
_LAYOUT = {"template": "plotly_white", "hovermode": "x unified",
           "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
           "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}}


def _name(names: Mapping[str, str] | None, key: str, default: str | None = None) -> str:
    """Return the display text of ``key``: ``names[key]`` if given, else ``default`` or a tidy ``key``."""
    if names and key in names:
        return names[key]
    return default if default is not None else key.replace("_", " ").capitalize()


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def scenario_colors(names: Iterable[str]) -> dict[str, str]:
    """Give each scenario name a stable colour, in the order given (cycling through :data:`PALETTE`)."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def _column_label(column: str) -> str:
    labels = {"cum_profit": "Cumulative profit (RMB)", "gmv": "GMV per day (RMB)",
              "mean_trust": "Mean trust (0-1)", "mean_fatigue": "Mean fatigue",
              "private_pool": "Private pool (users)", "mutes": "Mutes per day",
              "leaves": "Leaves per day", "profit": "Profit per day (RMB)"}
    return labels.get(column, column.replace("_", " ").capitalize())


# --------------------------------------------------------------------------------------------
# time series with uncertainty bands
# --------------------------------------------------------------------------------------------
def quantile_band(ens: Ensemble, column: str, *, cumulative: bool = False, smooth: int = 1,
                  quantiles: Sequence[float] = (0.1, 0.5, 0.9)) -> pd.DataFrame:
    """Quantiles over seeds of a daily column, optionally cumulated or smoothed per seed first.

    Args:
        ens: The runs of one scenario.
        column: A column of ``RunResult.daily``.
        cumulative: Cumulate each seed's series over days before taking quantiles.
        smooth: Width in days of a trailing moving average applied to each seed (1 = none).
        quantiles: Quantiles to return, named ``q10``, ``q50``, ``q90``...

    Returns:
        A DataFrame with ``day`` and one column per quantile.
    """
    arr = ens.stack(column)
    if cumulative:
        arr = np.cumsum(arr, axis=1)
    if smooth > 1:
        arr = pd.DataFrame(arr.T).rolling(int(smooth), min_periods=1).mean().to_numpy().T
    out = {"day": ens.runs[0].daily["day"].to_numpy()}
    for q in quantiles:
        out[f"q{round(q * 100):d}"] = np.quantile(arr, q, axis=0)
    return pd.DataFrame(out)


def _add_band(fig: go.Figure, band: pd.DataFrame, name: str, color: str, *, row: int | None = None,
              col: int | None = None, showlegend: bool = True, band_label: str = "10–90% of seeds",
              median_label: str = "median") -> None:
    kw = {"row": row, "col": col} if row is not None else {}
    x = band["day"]
    fig.add_trace(go.Scatter(x=x, y=band["q10"], mode="lines", line={"width": 0}, legendgroup=name,
                             showlegend=False, hoverinfo="skip", name=f"{name} p10"), **kw)
    fig.add_trace(go.Scatter(x=x, y=band["q90"], mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor=_rgba(color, 0.18), legendgroup=name, showlegend=False,
                             name=f"{name} {band_label}", hoverinfo="skip"), **kw)
    fig.add_trace(go.Scatter(x=x, y=band["q50"], mode="lines", line={"color": color, "width": 2.2},
                             legendgroup=name, showlegend=showlegend, name=name,
                             hovertemplate=f"{name} ({median_label}): %{{y:,.4~g}}<extra></extra>"),
                  **kw)


def _shade(fig: go.Figure, windows: Iterable[tuple[float, float]] | None, label: str | None) -> None:
    for start, end in windows or ():
        fig.add_vrect(x0=start, x1=end, fillcolor="rgba(120,120,120,0.15)", line_width=0,
                      annotation_text=label or "", annotation_position="top left")


def band_figure(ensembles: Mapping[str, Ensemble], column: str, title: str | None = None, *,
                y_title: str | None = None, x_title: str = "Day", cumulative: bool = False,
                smooth: int = 1, colors: Mapping[str, str] | None = None,
                band_label: str = "10–90% of seeds", median_label: str = "median",
                shade: Iterable[tuple[float, float]] | None = None,
                shade_label: str | None = None) -> go.Figure:
    """Median line and 10–90 % band of one daily column, one colour per scenario.

    Args:
        ensembles: Scenario name → its runs.
        column: A column of ``RunResult.daily`` (e.g. ``"cum_profit"``).
        title: Figure title (default: a label of the column).
        y_title: Y-axis title (default: a label of the column).
        x_title: X-axis title.
        cumulative: Plot the running total of the column.
        smooth: Trailing moving-average window in days applied per seed (1 = raw).
        colors: Scenario name → colour (default :func:`scenario_colors`).
        band_label: Legend text for the band.
        median_label: Hover text for the median.
        shade: Day windows ``(start, end)`` to shade (e.g. shocks).
        shade_label: Text on the shaded windows.

    Returns:
        The figure.
    """
    colors = colors or scenario_colors(ensembles)
    fig = go.Figure()
    for name, ens in ensembles.items():
        band = quantile_band(ens, column, cumulative=cumulative, smooth=smooth)
        _add_band(fig, band, name, colors.get(name, PALETTE[0]), band_label=band_label,
                  median_label=median_label)
    label = _column_label(column)
    _shade(fig, shade, shade_label)
    fig.update_layout(title=title if title is not None else label, xaxis_title=x_title,
                      yaxis_title=y_title if y_title is not None else label, **_LAYOUT)
    fig.add_annotation(text=f"— {median_label}   ▇ {band_label}", showarrow=False,
                       xref="paper", yref="paper", x=1, y=-0.16, xanchor="right",
                       font={"size": 10, "color": "#666"})
    return fig


def multi_band_figure(ensembles: Mapping[str, Ensemble], columns: Mapping[str, str],
                      title: str | None = None, *, x_title: str = "Day", cumulative: bool = False,
                      smooth: int = 1, colors: Mapping[str, str] | None = None,
                      band_label: str = "10–90% of seeds", median_label: str = "median") -> go.Figure:
    """Side-by-side panels, one per daily column (``columns``: column → panel title), with bands."""
    colors = colors or scenario_colors(ensembles)
    cols = list(columns)
    fig = make_subplots(rows=1, cols=len(cols), subplot_titles=[columns[c] for c in cols],
                        horizontal_spacing=0.08)
    for j, column in enumerate(cols, start=1):
        for name, ens in ensembles.items():
            band = quantile_band(ens, column, cumulative=cumulative, smooth=smooth)
            _add_band(fig, band, name, colors.get(name, PALETTE[0]), row=1, col=j,
                      showlegend=j == 1, band_label=band_label, median_label=median_label)
        fig.update_xaxes(title_text=x_title, row=1, col=j)
    fig.update_layout(title=title or ", ".join(columns.values()),
                      **{**_LAYOUT, "margin": {"l": 60, "r": 20, "t": 80, "b": 90},
                         "legend": {"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0}})
    return fig


def stage_figure(ensembles: Mapping[str, Ensemble], stages: Sequence[str] = PRIVATE_STAGES,
                 title: str | None = None, *, names: Mapping[str, str] | None = None,
                 x_title: str = "Day", y_title: str = "Users (median of seeds)") -> go.Figure:
    """Private pool by stage over time: one panel per scenario, stacked medians per stage.

    Churned users are drawn as a dashed line on top (they left the pool).
    """
    scen = list(ensembles)
    ncols = min(3, max(1, len(scen)))
    nrows = int(np.ceil(len(scen) / ncols)) or 1
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=scen, shared_yaxes=True,
                        horizontal_spacing=0.04, vertical_spacing=0.12)
    stage_key = {"followers": "follower", "customers": "customer", "repeat": "repeat",
                 "members": "member", "partners": "partner", "dormant": "dormant",
                 "churned": "churned", "public": "public"}
    for i, name in enumerate(scen):
        r, c = divmod(i, ncols)
        ens = ensembles[name]
        days = ens.runs[0].daily["day"].to_numpy()
        for stage in [*stages, "churned"]:
            key = stage_key.get(stage, stage)
            med = np.median(ens.stack(stage), axis=0)
            dashed = stage == "churned"
            fig.add_trace(go.Scatter(
                x=days, y=med, name=_name(names, key, stage.capitalize()), legendgroup=stage,
                showlegend=i == 0, mode="lines",
                stackgroup=None if dashed else "pool",
                line={"color": _STAGE_COLORS.get(key, "#444"), "width": 1.5,
                      "dash": "dash" if dashed else "solid"},
                hovertemplate="%{y:,.0f}"), row=r + 1, col=c + 1)
        fig.update_xaxes(title_text=x_title if r == nrows - 1 else None, row=r + 1, col=c + 1)
    fig.update_yaxes(title_text=y_title, row=1, col=1)
    fig.update_layout(title=title or "Private pool by stage", height=320 * nrows + 80, **_LAYOUT)
    return fig


# --------------------------------------------------------------------------------------------
# money
# --------------------------------------------------------------------------------------------
def cost_table(ensembles: Mapping[str, Ensemble]) -> pd.DataFrame:
    """Median over seeds of the total cost of each kind over the horizon (scenario × cost kind)."""
    rows = {}
    for name, ens in ensembles.items():
        rows[name] = {c: float(np.median(ens.stack(c).sum(axis=1))) for c in COST_COLUMNS}
    return pd.DataFrame.from_dict(rows, orient="index", columns=COST_COLUMNS)


def cost_figure(ensembles: Mapping[str, Ensemble], title: str | None = None, *,
                names: Mapping[str, str] | None = None, y_title: str = "RMB over the horizon (median of seeds)") -> go.Figure:
    """Stacked bars: median total cost by kind (ads, hooks, rebates...) for each scenario.

    Args:
        ensembles: Scenario name → its runs.
        title: Figure title.
        names: Cost column (e.g. ``"cost_ads"``) → display text.
        y_title: Y-axis title.

    Returns:
        The figure (one bar trace per cost kind, ``barmode="stack"``).
    """
    table = cost_table(ensembles)
    fig = go.Figure()
    for c in COST_COLUMNS:
        fig.add_trace(go.Bar(x=list(table.index), y=table[c], name=_name(names, c, c.removeprefix("cost_").capitalize()),
                             marker_color=_COST_COLORS[c], hovertemplate="%{y:,.0f} RMB"))
    fig.update_layout(barmode="stack", title=title or "Costs by kind", yaxis_title=y_title,
                      **{**_LAYOUT, "hovermode": "x"})
    return fig


def prob_matrix(ensembles: Mapping[str, Ensemble], kpi: str = "cum_profit") -> pd.DataFrame:
    """P(row scenario beats column scenario) on a KPI, for every ordered pair (diagonal NaN)."""
    scen = list(ensembles)
    m = pd.DataFrame(np.nan, index=scen, columns=scen)
    for a in scen:
        for b in scen:
            if a != b:
                m.loc[a, b] = prob_beats(ensembles[a], ensembles[b], kpi)
    return m


def prob_matrix_figure(ensembles: Mapping[str, Ensemble], kpi: str = "cum_profit",
                       title: str | None = None, *, row_title: str = "Scenario A",
                       col_title: str = "Scenario B") -> go.Figure:
    """Heatmap of P(A beats B) on a KPI, with the probabilities written in the cells."""
    m = prob_matrix(ensembles, kpi)
    z = m.to_numpy(dtype=float)
    text = [["–" if np.isnan(v) else f"{v:.0%}" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=z, x=list(m.columns), y=list(m.index), text=text, texttemplate="%{text}",
        zmin=0, zmax=1, colorscale="RdBu", reversescale=False,
        colorbar={"title": "P", "tickformat": ".0%"},
        hovertemplate="P(%{y} beats %{x}) = %{z:.0%}<extra></extra>"))
    label = KPI_INFO.get(kpi, (kpi,))[0]
    fig.update_layout(title=title or f"P(A beats B) on {label}", xaxis_title=col_title,
                      yaxis_title=row_title, yaxis_autorange="reversed",
                      template="plotly_white", margin={"l": 60, "r": 20, "t": 60, "b": 50},
                      height=max(300, 90 * len(m) + 120))
    return fig


# --------------------------------------------------------------------------------------------
# flows: public pool → private pool → value ladder
# --------------------------------------------------------------------------------------------
def _levels(users: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Return joined users, their ladder level (1 follower … 5 partner) and final state index."""
    joined = users[users["source"].astype(str) != "none"]
    rung = joined["rung"].astype(str).map({s: i for i, s in enumerate(_STAGE_ORDER)}).to_numpy()
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
    colors = {"public": "#BBBBBB", "private": "#56B4E9", **_STAGE_COLORS,
              "card": "#999999", "gift": "#E69F00", "cash": "#D55E00", "content": "#009E73",
              "referral": "#CC79A7"}
    src, tgt, val, lcol = [], [], [], []
    for (a, b), v in counts.items():
        if v > 0:
            src.append(idx[a])
            tgt.append(idx[b])
            val.append(round(v, 1))
            lcol.append(_rgba(colors.get(b, "#888888"), 0.35))
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node={"label": [_name(names, k, defaults[k]) for k in nodes], "pad": 14, "thickness": 16,
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
            name=name, y=[_name(names, s, defaults[s]) for s in part["step"]], x=part["users"],
            textinfo="value+percent previous", texttemplate="%{value:,.0f} (%{percentPrevious:.0%})",
            marker={"color": colors.get(name, PALETTE[0])}))
    fig.update_layout(title=title or "Value-ladder funnel", template="plotly_white", funnelmode="group",
                      margin={"l": 120, "r": 20, "t": 60, "b": 30},
                      legend={"orientation": "h", "y": 1.05, "x": 0})
    return fig


# --------------------------------------------------------------------------------------------
# referral cascades
# --------------------------------------------------------------------------------------------
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
                      **{**_LAYOUT, "hovermode": "closest"})
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
    for st in _STAGE_ORDER:
        members = by_stage.get(st)
        if not members:
            continue
        fig.add_trace(go.Scatter(
            x=[pos[n][0] for n in members], y=[pos[n][1] for n in members], mode="markers",
            name=_name(names, st, st.capitalize()),
            marker={"size": [8 + 3 * min(g.nodes[n]["referrals"], 8) for n in members],
                    "color": _STAGE_COLORS.get(st, "#444"),
                    "line": {"width": [3 if n == root else 1 for n in members],
                             "color": ["#222" if n == root else "white" for n in members]}},
            text=[f"user {n}<br>referrals {g.nodes[n]['referrals']}<br>trust {g.nodes[n]['trust']:.2f}"
                  for n in members],
            hovertemplate="%{text}<extra></extra>"))
    fig.add_annotation(x=pos[root][0], y=pos[root][1], text=_name(names, "root", "root"), showarrow=True,
                       arrowhead=0, ay=-30, font={"size": 11})
    depth = max(d["depth"] for _, d in g.nodes(data=True))
    fig.update_layout(title=title or f"Referral cascade of user {root}: {g.number_of_nodes()} users, {depth} generations",
                      template="plotly_white", xaxis={"visible": False}, yaxis={"visible": False},
                      margin={"l": 10, "r": 10, "t": 60, "b": 10}, height=480,
                      legend={"orientation": "h", "y": -0.05})
    fig.add_annotation(text=depth_title + " →", showarrow=False, xref="paper", yref="paper",
                       x=0.5, y=1.0, yanchor="bottom", font={"size": 11, "color": "#666"})
    return fig


# --------------------------------------------------------------------------------------------
# one user's journey
# --------------------------------------------------------------------------------------------
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
    panels = [_name(names, "trust", "Trust"), _name(names, "fatigue", "Fatigue"),
              _name(names, "messages", "Messages received / day · purchases (cumulative)"),
              _name(names, "stage", "Stage")]
    fig = make_subplots(rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.05,
                        subplot_titles=panels, row_heights=[0.3, 0.22, 0.22, 0.26])
    fig.add_trace(go.Scatter(x=days, y=t["trust"], name=panels[0], line={"color": "#0072B2"}),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=days, y=t["fatigue"], name=panels[1], line={"color": "#D55E00"}),
                  row=2, col=1)
    if tolerance is not None:
        fig.add_hline(y=tolerance, line_dash="dash", line_color="#D55E00", row=2, col=1,
                      annotation_text=_name(names, "tolerance", "tolerance"))
    fig.add_trace(go.Bar(x=days, y=t["messages"], name=_name(names, "messages_short", "Messages"),
                         marker_color="#999999"), row=3, col=1)
    fig.add_trace(go.Scatter(x=days, y=t["purchases"], name=_name(names, "purchases", "Purchases"),
                             line={"color": "#009E73", "shape": "hv"}), row=3, col=1)
    stage = t["stage"].astype(str)
    order = list(_STAGE_ORDER)
    fig.add_trace(go.Scatter(x=days, y=[_name(names, s, s.capitalize()) for s in stage],
                             name=panels[3], line={"color": "#444", "shape": "hv"}), row=4, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=[_name(names, s, s.capitalize()) for s in order],
                     row=4, col=1)
    # events: markers on the trust panel, text labels for the turning points
    ev = t[["day", "events", "trust"]].copy()
    ev["events"] = ev["events"].fillna("").astype(str)
    ev = ev[ev["events"] != ""]
    if len(ev):
        labels = [", ".join(_name(names, e, e.replace("_", " ")) for e in s.split("|") if e)
                  for s in ev["events"]]
        fig.add_trace(go.Scatter(x=ev["day"], y=ev["trust"], mode="markers", text=labels,
                                 name=_name(names, "events", "Events"),
                                 marker={"size": 7, "color": "#CC79A7", "symbol": "diamond"},
                                 hovertemplate="day %{x}: %{text}<extra></extra>"), row=1, col=1)
        shown = 0
        for day, s, tr in zip(ev["day"], ev["events"], ev["trust"], strict=True):
            key = [e for e in s.split("|") if e in _ANNOTATED]
            if key and shown < 14:
                fig.add_annotation(x=day, y=tr, text=_name(names, key[0], key[0]), row=1, col=1,
                                   showarrow=True, arrowhead=2, ay=-28, font={"size": 10})
                shown += 1
    fig.update_xaxes(title_text=x_title, row=4, col=1)
    fig.update_layout(title=title or "One user's journey", height=760, showlegend=False,
                      template="plotly_white", hovermode="x unified",
                      margin={"l": 60, "r": 20, "t": 60, "b": 50})
    return fig


# --------------------------------------------------------------------------------------------
# parameter sweeps (Learn page)
# --------------------------------------------------------------------------------------------
def sweep_figure(table: pd.DataFrame, x: str, ys: Mapping[str, str], title: str | None = None, *,
                 x_title: str | None = None, y_title: str | None = None) -> go.Figure:
    """KPIs against a swept parameter: median line with p10–p90 error bars.

    Args:
        table: One row per (parameter value, seed): column ``x`` and the KPI columns of ``ys``.
        x: The swept parameter's column.
        ys: KPI column → legend text.
        title: Figure title.
        x_title: X-axis title (default ``x``).
        y_title: Y-axis title.

    Returns:
        The figure.
    """
    fig = go.Figure()
    for i, (col, label) in enumerate(ys.items()):
        g = table.groupby(x)[col]
        med, lo, hi = g.median(), g.quantile(0.1), g.quantile(0.9)
        fig.add_trace(go.Scatter(
            x=med.index, y=med.to_numpy(), name=label, mode="lines+markers",
            line={"color": PALETTE[i % len(PALETTE)]},
            error_y={"type": "data", "symmetric": False, "array": (hi - med).to_numpy(),
                     "arrayminus": (med - lo).to_numpy(), "thickness": 1}))
    fig.update_layout(title=title or ", ".join(ys.values()), xaxis_title=x_title or x,
                      yaxis_title=y_title, **_LAYOUT)
    return fig
