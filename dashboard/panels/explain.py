"""The "why does A beat B?" panel: pick two compared scenarios and a KPI, see the waterfall.

One call from a page, :func:`render`. It explains the difference with
:func:`sim.planning.explain` on the comparison's own scenarios, size and seeds; the comparison's
runs of A and B are put into the coalition cache first, and every coalition run stays in the
process-wide :data:`sim.planning.CACHE`, so switching the KPI or swapping A and B reruns
nothing. While coalition runs are missing, the panel says how many and waits for the button.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import runs, ui
from dashboard.i18n import current, names, t
from sim import KPI_INFO, ScenarioError, figures, planning

__all__ = ["render", "report_note", "shown"]


def _md(text: str) -> str:
    """Escape Markdown so scenario names print literally."""
    for ch in "\\`*_[]<>#|~$":
        text = text.replace(ch, "\\" + ch)
    return text


def _defaults(comp: runs.Comparison, baseline: str | None) -> None:
    """Start with A = the most profitable scenario, B = the baseline (or the next one)."""
    ss = st.session_state
    b = baseline if baseline in comp.names else comp.names[0]
    medians = {n: float(e.summaries["cum_profit"].median()) for n, e in comp.ensembles.items() if n != b}
    if ss.get("xp.b") not in comp.names:
        ss["xp.b"] = b
    if ss.get("xp.a") not in comp.names:
        ss["xp.a"] = max(medians, key=medians.get) if medians else comp.names[-1]
    if ss.get("xp.kpi") not in KPI_INFO:
        ss["xp.kpi"] = "cum_profit"


def _explain(comp: runs.Comparison, a: str, b: str, kpi: str) -> planning.Explanation:
    sa, sb = comp.ensembles[a].scenario, comp.ensembles[b].scenario
    _total, missing = planning.count_runs(sa, sb, comp.seeds)
    bar = st.progress(0.0, text=t("xp.running", done=0, total=missing)) if missing else None

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.progress(min(1.0, done / max(total, 1)), text=t("xp.running", done=done, total=total))

    try:
        return planning.explain(sa, sb, kpi, comp.seeds, labels=(a, b), progress=progress)
    finally:
        if bar is not None:
            bar.empty()


def _table(expl: planning.Explanation, texts: dict[str, str]) -> pd.DataFrame:
    def f(x: float) -> str:
        return ui.fmt(expl.kpi, x, signed=True)

    rows = []
    for g in [*expl.groups, "total"]:
        values = expl.total if g == "total" else expl.contributions[g]
        b = planning.band(values)
        rows.append({
            t("xp.col.lever"): t("xp.total", a=expl.a, b=expl.b) if g == "total" else expl.lever_label(g, texts),
            t("xp.col.mean"): f(b["mean"]), t("xp.col.median"): f(b["q50"]),
            t("xp.col.band"): f"{f(b['q10'])} … {f(b['q90'])}",
            t("xp.col.fields"): "" if g == "total" else ", ".join(
                f"{p.removeprefix('strategy.')}: {vb} → {va}" for p, (va, vb) in expl.fields[g].items()),
        })
    return pd.DataFrame(rows)


def shown(comp: runs.Comparison, state: Mapping[str, Any] | None = None) -> planning.Explanation | None:
    """The explanation the panel shows now (the pickers' A, B and KPI), if it was computed.

    Never computes one: the HTML report includes an explanation only when the user asked for it.
    ``state`` is the session state (default: this session's).
    """
    ss = st.session_state if state is None else state
    return comp.derived.get(("explain", ss.get("xp.a"), ss.get("xp.b"), ss.get("xp.kpi")))


def report_note(expl: planning.Explanation | None) -> str:
    """One line under the report download: which explanation the report holds, or how to add one."""
    if expl is None:
        return t("xp.report_without")
    return t("xp.report_with", a=_md(expl.a), b=_md(expl.b), kpi=t("kpi." + expl.kpi))


def render(comp: runs.Comparison, baseline: str | None = None) -> None:
    """The panel: scenario A, scenario B and KPI pickers; cost line; waterfall, sentence, table."""
    st.subheader(t("xp.title"), help=t("xp.help"))
    if len(comp.names) < 2:
        return
    _defaults(comp, baseline)
    c_a, c_b, c_kpi = st.columns(3)
    a = ui.choice(c_a.selectbox, t("xp.a"), comp.names, key="xp.a", text=str)
    b = ui.choice(c_b.selectbox, t("xp.b"), comp.names, key="xp.b", text=str)
    kpi = ui.choice(c_kpi.selectbox, t("xp.kpi"), list(KPI_INFO), key="xp.kpi", text=lambda k: t("kpi." + k))
    if a == b:
        st.info(t("xp.same"), icon=":material/info:")
        return
    sa, sb = comp.ensembles[a].scenario, comp.ensembles[b].scenario
    groups = planning.lever_groups(sa, sb)
    if not groups:
        st.info(t("xp.no_diff", a=a, b=b), icon=":material/info:")
        return
    for name in (a, b):
        planning.remember(comp.ensembles[name])
    total, missing = planning.count_runs(sa, sb, comp.seeds)
    st.caption(t("xp.cost", groups=len(groups), coalitions=2 ** len(groups), seeds=len(comp.seeds),
                 runs=total, missing=missing))
    key: Any = ("explain", a, b, kpi)
    expl = comp.derived.get(key)
    if expl is None:
        if missing and not st.button(t("xp.run", n=missing), key="xp.run_btn", icon=":material/calculate:"):
            return
        try:
            expl = comp.memo(key, lambda: _explain(comp, a, b, kpi))
        except ScenarioError:  # the only one left: the KPI is "never"/undefined in some run
            st.warning(t("xp.undefined", kpi=t("kpi." + kpi)), icon="⚠️")
            return
    texts = names("xp.text")
    lang = current()

    def signed(x: float) -> str:
        return ui.fmt(kpi, x, signed=True)

    fig = comp.memo(("explain_fig", a, b, kpi, lang), lambda: figures.explain_figure(
        expl, t("xp.fig_title", a=a, b=b, kpi=t("kpi." + kpi)),
        labels={**{g: expl.lever_label(g, texts) for g in expl.groups}, "a": a, "b": b},
        y_title=t("kpi." + kpi), band_label=t("common.band"), fmt=signed))
    st.plotly_chart(fig, key="xp.fig")
    st.markdown(_md(expl.sentence(texts=texts, fmt=signed, kpi_label=t("kpi." + kpi))))
    st.dataframe(_table(expl, texts), hide_index=True, width="stretch")
    st.caption(t("xp.method"))
