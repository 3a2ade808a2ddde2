"""The self-contained HTML comparison report, and the number formatting shared with the CLI.

:func:`compare_report_html` turns several :class:`sim.Ensemble` objects into one HTML page
that opens offline: plotly.js is embedded inline once (in the first figure), every later
figure reuses it. The page holds the KPI comparison table (median, 10–90% band and the
difference to a baseline scenario), time-series figures with a median line and a 10–90%
band per scenario (shock windows shaded), and the median costs by kind, stacked. Scenario
names are escaped everywhere. The figures are the dashboard's (:mod:`sim.figures`); they, and plotly, are
imported only when a report is built, so the CLI can use :func:`format_kpi` cheaply.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sim.results import KPI_INFO, Ensemble, compare_table, prob_beats

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = [
    "SERIES",
    "compare_report_html",
    "display_unit",
    "format_kpi",
]

#: Daily columns shown as band figures: column -> (title, unit, smoothing window in days).
SERIES: dict[str, tuple[str, str, int]] = {
    "private_pool": ("Private pool", "users", 1),
    "mean_trust": ("Mean trust", "0-1", 1),
    "mean_fatigue": ("Mean fatigue", "ad-equivalents", 1),
    "gmv": ("GMV per day, 7-day average", "RMB per day", 7),
    "cum_profit": ("Cumulative profit", "RMB", 1),
}


def display_unit(unit: str) -> str:
    """Return the unit shown next to values formatted by :func:`format_kpi` (shares become %)."""
    return "%" if unit == "share" else unit


def as_number(value: Any) -> float | None:
    """``value`` as a float, or ``None`` if it is missing, not a number or NaN."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def format_kpi(value: Any, unit: str = "", signed: bool = False) -> str:
    """Format one KPI value for people: shares as %, large numbers with thousands separators.

    Args:
        value: The number (``None``/NaN → ``n/a``, ±inf → ``∞``).
        unit: Its unit from ``sim.KPI_INFO`` (``"share"`` is shown in percent).
        signed: Always show the sign (for differences).

    Returns:
        The formatted text.
    """
    x = as_number(value)
    if x is None:
        return "n/a"
    if math.isinf(x):
        return ("+∞" if signed else "∞") if x > 0 else "−∞"
    sign = "+" if signed else ""
    if unit == "share":
        return f"{x * 100:{sign}.1f}%"
    if unit == "day":
        return f"{x:{sign},.0f}"
    if unit == "users":  # counts: whole numbers unless a quantile fell between two
        return f"{x:{sign},.0f}" if x.is_integer() or abs(x) >= 100 else f"{x:{sign},.1f}"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:{sign},.0f}"
    if ax >= 100:
        return f"{x:{sign}.0f}"
    if ax >= 10:
        return f"{x:{sign}.1f}"
    return f"{x:{sign}.2f}"


def _shock_windows(ensembles: Mapping[str, Ensemble]) -> tuple[list[tuple[float, float]], str | None]:
    """Day windows of the shocks in any compared scenario, and a label naming those scenarios."""
    windows: dict[tuple[float, float], list[str]] = {}
    for name, ens in ensembles.items():
        scn = ens.scenario
        if not scn.mechanisms.shocks:
            continue
        for shock in scn.shocks:
            start, end = shock.start_day, min(shock.start_day + shock.days, scn.horizon_days)
            if start < scn.horizon_days:
                windows.setdefault((float(start), float(end)), []).append(name)
    if not windows:
        return [], None
    names = list(dict.fromkeys(n for ns in windows.values() for n in ns))
    return list(windows), f"shock ({', '.join(names)})"


def _figures(ensembles: Mapping[str, Ensemble]) -> list[go.Figure]:
    """Build the report's figures with the shared builders of :mod:`sim.figures`.

    Scenario names are HTML-escaped before they reach plotly.js, which renders trace names as
    a subset of HTML; the escaped text shows the name literally.
    """
    from sim import figures

    shown = {html.escape(name): ens for name, ens in ensembles.items()}
    windows, label = _shock_windows(shown)
    figs = [
        figures.band_figure(shown, column, f"{title} — median and 10–90% band over seeds",
                            y_title=unit, smooth=smooth, shade=windows, shade_label=label)
        for column, (title, unit, smooth) in SERIES.items()
    ]
    figs.append(figures.cost_figure(shown, "Costs by kind over the horizon (median of seeds)"))
    return figs


def _kpi_table_html(ensembles: Mapping[str, Ensemble], baseline: str | None) -> str:
    table = compare_table(dict(ensembles), baseline).set_index(["kpi", "scenario"])
    names = list(ensembles)
    head = "".join(
        f"<th>{html.escape(n)}{' <span class=base>(baseline)</span>' if n == baseline else ''}</th>"
        for n in names)
    rows = []
    for kpi, (label, unit, higher, desc) in KPI_INFO.items():
        cells = []
        for n in names:
            r = table.loc[(kpi, n)]
            text = (f"<b>{format_kpi(r['q50'], unit)}</b>"
                    f"<br><span class=band>[{format_kpi(r['q10'], unit)} – {format_kpi(r['q90'], unit)}]</span>")
            if baseline and n != baseline and "diff_q50" in r:
                d50 = r["diff_q50"]
                good = (d50 > 0) == higher if d50 == d50 and d50 != 0 else None
                cls = {True: "good", False: "bad", None: "flat"}[good]
                text += (f"<br><span class='diff {cls}'>Δ {format_kpi(d50, unit, signed=True)}"
                         f" [{format_kpi(r['diff_q10'], unit, signed=True)},"
                         f" {format_kpi(r['diff_q90'], unit, signed=True)}]</span>")
            cells.append(f"<td>{text}</td>")
        arrow = "↑" if higher else "↓"
        rows.append(
            f"<tr><th title='{html.escape(desc, quote=True)}'>{html.escape(label)} "
            f"<span class=arrow>{arrow}</span></th><td class=unit>{html.escape(display_unit(unit))}</td>"
            f"{''.join(cells)}</tr>")
    if baseline:
        cells = "".join(
            "<td>—</td>" if n == baseline
            else f"<td><b>{prob_beats(ensembles[n], ensembles[baseline], 'cum_profit'):.0%}</b></td>"
            for n in names)
        rows.append(f"<tr class=pbeat><th>P(beats baseline), cumulative profit</th>"
                    f"<td class=unit>probability</td>{cells}</tr>")
    return (f"<table class=kpi><thead><tr><th>KPI</th><th>unit</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;
margin:2rem auto;max-width:1200px;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem} .meta{color:#666;margin-top:0}
table.kpi{border-collapse:collapse;margin:1rem 0;font-size:.92rem}
table.kpi th,table.kpi td{border-bottom:1px solid #ddd;padding:.35rem .7rem;text-align:right;vertical-align:top}
table.kpi tbody th{text-align:left;font-weight:600} table.kpi thead th{border-bottom:2px solid #999}
table.kpi td.unit{color:#777;text-align:left}
table.kpi thead th:nth-child(-n+2){text-align:left} .band{color:#666;font-size:.85em} .base{color:#888;font-weight:400}
.diff{font-size:.85em} .good{color:#1a7f37} .bad{color:#c62828} .flat{color:#666} .arrow{color:#999}
tr.pbeat th,tr.pbeat td{border-top:2px solid #999}
.fig{margin:1.5rem 0}
"""


def _explanation_html(expl: Any) -> str:
    """The "why does A beat B?" section: waterfall (plotly.js already on the page) and sentence."""
    from sim.figures import explain_figure

    fig = explain_figure(expl, f"Why {html.escape(expl.a)} differs from {html.escape(expl.b)} "
                               f"on {KPI_INFO[expl.kpi][0]}: mean over seeds, bars 10–90% of seeds",
                         labels={"a": html.escape(expl.a), "b": html.escape(expl.b)})
    div = fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})
    return (f"<h2>Why does {html.escape(expl.a)} differ from {html.escape(expl.b)}?</h2>"
            f"<p>{html.escape(expl.sentence())}</p><div class=fig>{div}</div>"
            "<p class=meta>Exact Shapley values over the lever groups in which the two differ, every "
            "coalition simulated on the same seeds; per seed the parts add up to the difference.</p>")


def compare_report_html(ensembles: Mapping[str, Ensemble], baseline: str | None = None,
                        title: str = "Siyu scenario comparison", explanation: Any = None) -> str:
    """One self-contained HTML page comparing several scenarios.

    Args:
        ensembles: Scenario label → its ensemble (labels are shown, escaped, as given).
        baseline: Label of the scenario the others are compared with; defaults to the first.
        title: Page title.
        explanation: A :class:`sim.planning.Explanation` of two of the scenarios, shown as a
            waterfall and its sentence after the figures (optional).

    Returns:
        The complete HTML document (plotly.js embedded once, no external resources).

    Raises:
        ValueError: No ensembles, or a baseline that is not one of them.
    """
    if not ensembles:
        raise ValueError("compare_report_html needs at least one ensemble")
    names = list(ensembles)
    if baseline is None:
        baseline = names[0] if len(names) > 1 else None
    elif baseline not in ensembles:
        raise ValueError(f"baseline {baseline!r} is not one of {', '.join(map(repr, names))}")

    from sim.io import package_version

    divs = []
    for i, fig in enumerate(_figures(ensembles)):
        divs.append(fig.to_html(full_html=False, include_plotlyjs="inline" if i == 0 else False,
                                include_mathjax=False, config={"displaylogo": False}))
    runs = "; ".join(
        f"{html.escape(n)}: {len(e.runs)} seeds × {e.scenario.population.n_users:,} users × "
        f"{e.scenario.horizon_days} days" for n, e in ensembles.items())
    descs = "".join(
        f"<li><b>{html.escape(n)}</b> — {html.escape(e.scenario.description.strip() or e.scenario.name)}</li>"
        for n, e in ensembles.items())
    base_txt = (f"Differences (Δ) are to the baseline <b>{html.escape(baseline)}</b>, as the median "
                "[10%, 90%] over all seed pairs; green is better." if baseline else "")
    figs = "".join(f"<div class=fig>{d}</div>" for d in divs)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Siyu {html.escape(package_version())}">
<title>{html.escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p class=meta>{runs}</p>
<ul>{descs}</ul>
<h2>Key figures</h2>
<p>Median over seeds, with the 10–90% band below it. {base_txt}</p>
{_kpi_table_html(ensembles, baseline)}
<h2>Over time</h2>
{figs}
{_explanation_html(explanation) if explanation is not None else ""}
<p class=meta>Generated by Siyu {html.escape(package_version())}. Self-contained: opens offline.</p>
</body>
</html>
"""
