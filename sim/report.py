"""The self-contained HTML comparison report, and the number formatting shared with the CLI.

:func:`compare_report_html` turns several :class:`sim.Ensemble` objects into one HTML page
that opens offline: plotly.js is embedded inline once (in the first figure), every later
figure reuses it. The page holds the KPI comparison table (median, 10–90% band and the
difference to a baseline scenario), time-series figures with a median line and a 10–90%
band per scenario (shock windows shaded), the median costs by kind, stacked, and the median
leaves by cause, stacked. With a baseline it also holds the incremental KPIs of every other
scenario against it, seed pair by seed pair (:mod:`sim.incremental`), the cumulative
incremental profit over time, and a warning for every scenario whose budget cap bound. A "money
over time" section holds each scenario's monthly cash flow (:mod:`sim.money`; NPV and
discounted payback are in the KPI table). Scenario
names are escaped everywhere. The figures are the dashboard's (:mod:`sim.figures`); they, and plotly, are
imported only when a report is built, so the CLI can use :func:`format_kpi` cheaply.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sim.i18n import LANGS, catalogue, scenario_description, scenario_name, t, unit_text
from sim.results import COST_COLUMNS, KPI_INFO, Ensemble, compare_table, prob_beats

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = [
    "SERIES",
    "compare_report_html",
    "display_unit",
    "explanation_texts",
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


def display_unit(unit: str, lang: str = "en") -> str:
    """Return the unit shown next to values formatted by :func:`format_kpi` (shares become %)."""
    return "%" if unit == "share" else unit_text(unit, lang)


#: 0/1 KPIs shown as a probability over seeds (the "never" companions of payback days)
PAID_BACK_KPIS = ("paid_back", "paid_back_discounted")


def p_paid_back(ensemble: Ensemble, kpi: str = "paid_back") -> float:
    """P(paid back): the share of seeds whose cumulative (``paid_back_discounted``: discounted) profit ended ≥ 0 and stayed there."""
    return float(ensemble.summaries[kpi].mean())


def as_number(value: Any) -> float | None:
    """``value`` as a float, or ``None`` if it is missing, not a number or NaN."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def format_kpi(value: Any, unit: str = "", signed: bool = False, lang: str = "en") -> str:
    """Format one KPI value for people: shares as %, large numbers with thousands separators.

    Args:
        value: The number (``None``/NaN → ``—``, undefined; +inf in days → ``never``,
            other ±inf → ``∞``).
        unit: Its unit from ``sim.KPI_INFO`` (``"share"`` is shown in percent).
        signed: Always show the sign (for differences).
        lang: Language of the words (``never``).

    Returns:
        The formatted text.
    """
    x = as_number(value)
    if x is None:
        return t("fmt.undefined", lang)
    if math.isinf(x) and x > 0 and unit == "day" and not signed:
        return t("fmt.never", lang)
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


def _shock_windows(ensembles: Mapping[str, Ensemble], lang: str = "en") -> tuple[list[tuple[float, float]], str | None]:
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
    return list(windows), t("report.shock", lang, names=", ".join(names))


def _figures(ensembles: Mapping[str, Ensemble], lang: str = "en") -> list[go.Figure]:
    """Build the report's figures with the shared builders of :mod:`sim.figures`.

    Scenario names are HTML-escaped before they reach plotly.js, which renders trace names as
    a subset of HTML; the escaped text shows the name literally.
    """
    from sim import figures

    shown = {html.escape(name): ens for name, ens in ensembles.items()}
    # colours by the real names (as on the dashboard), keyed by the escaped ones
    colors = {html.escape(n): c for n, c in figures.scenario_colors(ensembles).items()}
    windows, label = _shock_windows(shown, lang)
    figs = [
        figures.band_figure(shown, column, t("report.band_title", lang, title=t(f"report.series.{column}", lang)),
                            y_title=display_unit(unit, lang), smooth=smooth, shade=windows, shade_label=label,
                            colors=colors, x_title=t("common.day", lang), band_label=t("common.band", lang),
                            median_label=t("common.median", lang))
        for column, (_title, unit, smooth) in SERIES.items()
    ]
    costs = {c: t(f"cost.{c}", lang) for c in COST_COLUMNS}
    figs.append(figures.cost_figure(shown, t("report.costs_title", lang), names=costs,
                                    y_title=t("chart.costs_y", lang)))
    figs.append(figures.leaves_by_cause_figure(shown, t("report.leaves_title", lang)))
    return figs


def _cashflow_figures(ensembles: Mapping[str, Ensemble], lang: str = "en") -> list[go.Figure]:
    """One monthly cash-flow figure per scenario (:func:`sim.figures.cashflow_figure`), texts in ``lang``."""
    from sim import figures
    from sim.figures.money import CASHFLOW_TEXTS
    from sim.money import cashflow_bands

    texts = {k: t(f"money.chart.{k}", lang) for k in CASHFLOW_TEXTS if k != "title"}
    texts.update({c: t(f"cost.{c}", lang) for c in COST_COLUMNS})
    return [figures.cashflow_figure(cashflow_bands(ens), t("money.chart.title", lang, name=html.escape(name)),
                                    names=texts, scenario=ens.scenario)
            for name, ens in ensembles.items()]


def _incremental_html(ensembles: Mapping[str, Ensemble], baseline: str, before_day: float,
                      lang: str = "en") -> tuple[str, list[go.Figure]]:
    """The incremental KPI table against ``baseline`` and its figure (empty if nothing to pair)."""
    from sim import figures
    from sim.incremental import INCREMENTAL_INFO, incremental_summary

    inc = incremental_summary(ensembles, baseline, before_day, strict=False)
    if not inc:
        return "", []
    names = list(inc)
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = []
    for kpi, (label, unit, _higher, desc) in INCREMENTAL_INFO.items():
        cells = []
        for n in names:
            q10, q50, q90 = (_inc_text(kpi, inc[n]["bands"].loc[kpi, q], unit, lang) for q in ("q10", "q50", "q90"))
            cells.append(f"<td><b>{q50}</b><br><span class=band>[{q10} – {q90}]</span></td>")
        label, desc = t(f"report.inc_kpis.{kpi}", lang), t(f"report.inc_kpis.{kpi}_desc", lang)
        rows.append(f"<tr><th title='{html.escape(desc, quote=True)}'>{html.escape(label)}</th>"
                    f"<td class=unit>{html.escape(display_unit(unit, lang))}</td>{''.join(cells)}</tr>")
    cells = "".join(f"<td><b>{inc[n]['p_payback_before']:.0%}</b></td>" for n in names)
    rows.append(f"<tr class=pbeat><th>{html.escape(t('report.inc_p_before', lang, day=f'{before_day:.0f}'))}</th>"
                f"<td class=unit>{html.escape(t('report.probability', lang))}</td>{cells}</tr>")
    table = (f"<table class=kpi><thead><tr><th>{html.escape(t('report.inc_kpi', lang))}</th>"
             f"<th>{html.escape(t('report.unit', lang))}</th>{head}</tr></thead>"
             f"<tbody>{''.join(rows)}</tbody></table>")
    shown = {html.escape(n): e for n, e in ensembles.items()}
    fig = figures.incremental_profit_figure(
        shown, html.escape(baseline),
        t("report.inc_fig", lang, base=html.escape(baseline)))
    return table, [fig]


def _inc_text(kpi: str, value: float, unit: str, lang: str = "en") -> str:
    """An incremental KPI value: "never" for no incremental payback, else :func:`format_kpi`."""
    if kpi == "inc_payback_day" and math.isinf(value):
        return t("fmt.never", lang)
    return format_kpi(value, unit, lang=lang)


def _budget_html(ensembles: Mapping[str, Ensemble], lang: str = "en") -> str:
    """Warnings for the scenarios whose budget cap binds (empty if none)."""
    from sim.mechanisms import budget

    notes = []
    for name, ens in ensembles.items():
        hit = budget.binding(ens.summaries, ens.scenario.budget)
        if hit is not None:
            first = hit["first_day_median"]
            when = (t("report.budget_from", lang, day=f"{first:.0f}") if math.isfinite(first)
                    else t("report.budget_some", lang))
            notes.append("<li>" + t("report.budget_line", lang, name=f"<b>{html.escape(name)}</b>",
                                    caps=html.escape(budget.caps_text(ens.scenario.budget)),
                                    bound=f"{hit['seeds_bound']:.0f}", seeds=f"{hit['seeds']:.0f}",
                                    when=when) + "</li>")
    title = html.escape(t("report.budget_title", lang))
    return f"<div class=warn><b>{title}</b><ul>{''.join(notes)}</ul></div>" if notes else ""


def _cell_text(kpi: str, r: Any, unit: str, lang: str) -> str:
    """Median and 10–90 % band of one KPI of one scenario, as HTML."""
    return (f"<b>{format_kpi(r['q50'], unit, lang=lang)}</b>"
            f"<br><span class=band>[{format_kpi(r['q10'], unit, lang=lang)} – "
            f"{format_kpi(r['q90'], unit, lang=lang)}]</span>")


def _kpi_table_html(ensembles: Mapping[str, Ensemble], baseline: str | None, lang: str = "en") -> str:
    table = compare_table(dict(ensembles), baseline).set_index(["kpi", "scenario"])
    names = list(ensembles)
    base_tag = html.escape(t("report.baseline", lang))
    head = "".join(
        f"<th>{html.escape(n)}{f' <span class=base>{base_tag}</span>' if n == baseline else ''}</th>"
        for n in names)
    rows = []
    for kpi, (label, unit, higher, desc) in KPI_INFO.items():
        if lang != "en":
            label, desc = t(f"kpi.{kpi}", lang), t(f"kpid.{kpi}", lang)
        cells = []
        for n in names:
            r = table.loc[(kpi, n)]
            if kpi in PAID_BACK_KPIS:  # a probability over seeds, not a median of 0/1
                text = f"<b>{p_paid_back(ensembles[n], kpi):.0%}</b>"
            else:
                text = _cell_text(kpi, r, unit, lang)
            if kpi == "payback_day":
                text += f"<br><span class=band>{html.escape(t('fmt.p_paid_back', lang, p=f'{p_paid_back(ensembles[n]):.0%}'))}</span>"
            d50 = as_number(r.get("diff_q50")) if baseline and n != baseline and kpi not in PAID_BACK_KPIS else None
            if d50 is not None:  # no delta where it is undefined (e.g. across "never")
                good = (d50 > 0) == higher if d50 != 0 else None
                cls = {True: "good", False: "bad", None: "flat"}[good]
                text += (f"<br><span class='diff {cls}'>Δ {format_kpi(d50, unit, signed=True, lang=lang)}"
                         f" [{format_kpi(r['diff_q10'], unit, signed=True, lang=lang)},"
                         f" {format_kpi(r['diff_q90'], unit, signed=True, lang=lang)}]</span>")
            cells.append(f"<td>{text}</td>")
        arrow = "↑" if higher else "↓"
        rows.append(
            f"<tr><th title='{html.escape(desc, quote=True)}'>{html.escape(label)} "
            f"<span class=arrow>{arrow}</span></th><td class=unit>{html.escape(display_unit(unit, lang))}</td>"
            f"{''.join(cells)}</tr>")
    if baseline:
        cells = "".join(
            "<td>—</td>" if n == baseline
            else f"<td><b>{prob_beats(ensembles[n], ensembles[baseline], 'cum_profit'):.0%}</b></td>"
            for n in names)
        rows.append(f"<tr class=pbeat><th>{html.escape(t('report.p_beats', lang))}</th>"
                    f"<td class=unit>{html.escape(t('report.probability', lang))}</td>{cells}</tr>")
    return (f"<table class=kpi><thead><tr><th>{html.escape(t('report.kpi', lang))}</th>"
            f"<th>{html.escape(t('report.unit', lang))}</th>{head}</tr></thead>"
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
.fig{margin:1.5rem 0} .warn{background:#fff4e5;border-left:4px solid #E69F00;padding:.5rem 1rem}
"""


def explanation_texts(lang: str = "en") -> dict[str, str]:
    """The templates of :meth:`sim.planning.Explanation.sentence` and its lever words in ``lang``.

    They are the dashboard panel's (``xp.text.*``), so the report and the panel read alike.
    """
    prefix = "xp.text."
    return {k[len(prefix):]: v for k, v in catalogue(lang).items() if k.startswith(prefix)}


def _explanation_html(expl: Any, lang: str = "en") -> str:
    """The "why does A beat B?" section in ``lang``: waterfall, sentence and the parts' table.

    The waterfall's plotly.js is already on the page. In English the sentence is the CLI's
    (``siyu explain`` prints the same words).
    """
    from sim.figures import explain_figure
    from sim.planning import band

    a, b, unit = expl.a, expl.b, expl.unit
    kpi = t(f"kpi.{expl.kpi}", lang)
    texts = explanation_texts(lang)
    suffix = {"RMB": t("report.explain.rmb", lang), "users": t("report.explain.users", lang)}.get(
        "RMB" if unit.startswith("RMB") else unit, "")

    def signed(x: float) -> str:
        return format_kpi(x, unit, signed=True, lang=lang)

    fig = explain_figure(expl, t("report.explain.fig_title", lang, a=html.escape(a), b=html.escape(b), kpi=kpi),
                         labels={**{g: expl.lever_label(g, texts) for g in expl.groups},
                                 "a": html.escape(a), "b": html.escape(b)},
                         y_title=f"{kpi} ({display_unit(unit, lang)})", band_label=t("report.explain.band", lang),
                         fmt=signed)
    div = fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})
    sentence = expl.sentence() if lang == "en" else expl.sentence(
        texts=texts, fmt=lambda x: signed(x) + suffix, kpi_label=kpi)

    def cells(values: Any) -> str:
        q = band(values)
        return (f"<td>{html.escape(signed(q['mean']))}</td><td><b>{html.escape(signed(q['q50']))}</b>"
                f"<br><span class=band>[{html.escape(signed(q['q10']))} – {html.escape(signed(q['q90']))}]</span></td>")

    rows = "".join(f"<tr><th>{html.escape(expl.lever_label(g, texts))}</th>{cells(expl.contributions[g])}</tr>"
                   for g in expl.groups)
    rows += (f"<tr class=pbeat><th>{html.escape(t('report.explain.total', lang, a=a, b=b))}</th>"
             f"{cells(expl.total)}</tr>")
    head = "".join(f"<th>{html.escape(t(f'report.explain.{c}', lang))}</th>" for c in ("lever", "mean", "median"))
    seeds = len(expl.seeds)
    return (f"<h2>{html.escape(t('report.explain.title', lang, a=a, b=b))}</h2>"
            f"<p>{html.escape(sentence)}</p><div class=fig>{div}</div>"
            f"<table class=kpi><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            f"<p class=meta>{html.escape(t('report.explain.method', lang, coalitions=expl.coalitions, seeds=seeds))}</p>")


def compare_report_html(ensembles: Mapping[str, Ensemble], baseline: str | None = None,
                        title: str | None = None, lang: str = "en", explanation: Any = None,
                        payback_before: float = 180) -> str:
    """One self-contained HTML page comparing several scenarios.

    Args:
        ensembles: Scenario label → its ensemble (labels are shown, escaped, as given).
        baseline: Label of the scenario the others are compared with; defaults to the first.
        title: Page title (default: "Siyu scenario comparison" in ``lang``).
        lang: Language of the page (``"en"`` or ``"zh"``; ``<html lang=...>`` follows).
        explanation: A :class:`sim.planning.Explanation` of two of the scenarios, shown (in
            ``lang``) as a waterfall, its sentence and a table of the parts after the figures
            (optional).
        payback_before: Day D of P(incremental payback before day D).

    Returns:
        The complete HTML document (plotly.js embedded once, no external resources).

    Raises:
        ValueError: No ensembles, an unknown language, or a baseline that is not one of them.
    """
    if not ensembles:
        raise ValueError("compare_report_html needs at least one ensemble")
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)} (got {lang!r})")
    names = list(ensembles)
    if baseline is None:
        baseline = names[0] if len(names) > 1 else None
    elif baseline not in ensembles:
        raise ValueError(f"baseline {baseline!r} is not one of {', '.join(map(repr, names))}")
    title = title if title is not None else t("report.title", lang)

    from sim.io import package_version

    inc_table, inc_figs = _incremental_html(ensembles, baseline, payback_before, lang) if baseline else ("", [])
    money_figs = _cashflow_figures(ensembles, lang)
    divs = []
    for i, fig in enumerate(_figures(ensembles, lang) + inc_figs + money_figs):
        divs.append(fig.to_html(full_html=False, include_plotlyjs="inline" if i == 0 else False,
                                include_mathjax=False, config={"displaylogo": False}))
    money_html = "".join(f"<div class=fig>{d}</div>" for d in divs[len(divs) - len(money_figs):])
    divs = divs[:len(divs) - len(money_figs)]
    runs = "; ".join(
        html.escape(t("report.runs", lang, name=n, seeds=len(e.runs), users=f"{e.scenario.population.n_users:,}",
                      days=e.scenario.horizon_days)) for n, e in ensembles.items())
    descs = "".join(f"<li>{_describe(n, e, lang)}</li>" for n, e in ensembles.items())
    base_txt = t("report.diff_intro", lang, base=html.escape(baseline)) if baseline else ""
    n_inc = len(inc_figs)
    figs = "".join(f"<div class=fig>{d}</div>" for d in (divs[:-n_inc] if n_inc else divs))
    inc_figs_html = "".join(f"<div class=fig>{d}</div>" for d in divs[len(divs) - n_inc:]) if n_inc else ""
    inc_section = (f"<h2>{html.escape(t('report.inc_title', lang, base=baseline))}</h2>"
                   f"<p>{html.escape(t('report.inc_intro', lang))}</p>{inc_table}{inc_figs_html}") if inc_table else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}">
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
<h2>{html.escape(t("report.key_figures", lang))}</h2>
<p>{html.escape(t("report.key_intro", lang))} {base_txt}</p>
{_budget_html(ensembles, lang)}
{_kpi_table_html(ensembles, baseline, lang)}
{inc_section}
<h2>{html.escape(t("report.over_time", lang))}</h2>
{figs}
<h2>{html.escape(t("money.title", lang))}</h2>
<p>{html.escape(t("money.report_intro", lang))}</p>
{money_html}
{_explanation_html(explanation, lang) if explanation is not None else ""}
<p class=meta>{html.escape(t("report.footer", lang, version=package_version()))}</p>
</body>
</html>
"""


def _describe(label: str, ens: Ensemble, lang: str) -> str:
    """``<b>label</b> (display name) — description`` of one compared scenario, as HTML."""
    scn = ens.scenario
    shown = scenario_name(scn.name, lang)
    name = f"<b>{html.escape(label)}</b>" + (f" ({html.escape(shown)})" if shown and lang != "en" else "")
    desc = scenario_description(scn.name, scn.description.strip() or scn.name, lang)
    return f"{name} — {html.escape(desc)}{_phases_html(scn, lang)}"


def _phases_html(scn: Any, lang: str) -> str:
    """The plan phases of a scenario as a nested list (empty without phases): what changes on which day."""
    from sim.diff import phase_changes

    if not scn.phases:
        return ""
    items = [f"<li>{html.escape(t('phases.base', lang))}</li>"]
    for p in phase_changes(scn):
        changes = ", ".join(f"<code>{html.escape(c['field'].removeprefix('strategy.'))}</code> "
                            f"{html.escape(_value(c['a']))} → {html.escape(_value(c['b']))}" for c in p["changes"])
        head = t("phases.from_day", lang, day=p["from_day"]) + (f" ({p['label']})" if p["label"] else "")
        items.append(f"<li>{html.escape(head)}: {changes or html.escape(t('phases.no_change', lang))}</li>")
    return f"<br>{html.escape(t('phases.title', lang))}<ul class=phases>{''.join(items)}</ul>"


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    return f"{v:g}" if isinstance(v, float) else str(v)
