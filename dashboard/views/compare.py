"""Compare page: pick 2–6 scenarios, run them over several seeds, read KPIs, charts and odds."""

from __future__ import annotations

import streamlit as st

from dashboard import runs, state, ui
from dashboard.i18n import current, t
from dashboard.panels import incremental as incremental_panel
from dashboard.panels import market as market_panel
from dashboard.panels import money as money_panel
from sim import KPI_INFO, ScenarioError, figures, prob_beats

st.title(t("cmp.title"))
st.caption(t("cmp.intro"))

# ---- what to compare --------------------------------------------------------------------
with st.container(border=True):
    c_scen, c_users, c_days, c_seeds = st.columns([4, 1.3, 1.2, 1])
    options = list(state.library())
    chosen = ui.choice(c_scen.multiselect, t("cmp.scenarios"), options, key="cmp.scenarios",
                       max_selections=6, text=ui.scenario_label, help=t("cmp.scenarios_help"),
                       persist_state="session")
    n_users = c_users.number_input(t("cmp.n_users"), min_value=100, max_value=200_000, step=1_000,
                                   key="cmp.n_users", help=t("cmp.n_users_help"), persist_state="session")
    horizon = c_days.number_input(t("cmp.horizon"), min_value=30, max_value=3_650, step=30,
                                  key="cmp.horizon", persist_state="session")
    n_seeds = c_seeds.number_input(t("cmp.seeds"), min_value=1, max_value=50, step=1, key="cmp.seeds",
                                   help=t("cmp.seeds_help"), persist_state="session")
    market_panel.panel()  # market and product settings shared by every scenario
    run_clicked = st.button(t("cmp.run"), key="cmp.run_btn", type="primary",
                            disabled=not 2 <= len(chosen) <= 6, icon=":material/play_arrow:")

# ---- run (only what is not cached yet) -----------------------------------------------------
comp = state.results()
if not 2 <= len(chosen) <= 6:
    st.warning(t("cmp.need_two"))
else:
    try:
        wanted = ui.compare_scenarios(chosen, n_users, horizon)
    except ScenarioError as err:
        ui.show_scenario_error(err)
        wanted = None
    if wanted is not None:
        missing = ui.missing_runs(wanted, n_seeds, comp)
        if comp is None or run_clicked or missing == 0:
            comp = ui.run_comparison(chosen, n_users, horizon, n_seeds)
        else:
            st.info(t("cmp.pending", n=missing), icon=":material/info:")
if comp is None:
    st.stop()
if comp.stored:
    st.caption(t("store.cmp_from_store", id=comp.stored))

# ---- results -----------------------------------------------------------------------------
ens = comp.ensembles
if st.session_state.get("cmp.baseline") not in comp.names:
    st.session_state["cmp.baseline"] = "public_only" if "public_only" in comp.names else comp.names[0]
baseline = st.selectbox(t("cmp.baseline"), comp.names, key="cmp.baseline", help=t("cmp.baseline_help"),
                        persist_state="session")

medians = {n: float(e.summaries["cum_profit"].median()) for n, e in ens.items()}
best = max(medians, key=medians.get)
bands = ens[best].summary_bands().loc["cum_profit"]
verdict = t("cmp.verdict", days=comp.horizon, users=comp.n_users, best=best,
            value=ui.fmt("cum_profit", bands["q50"]), lo=ui.fmt("cum_profit", bands["q10"]),
            hi=ui.fmt("cum_profit", bands["q90"]))
if best != baseline:
    verdict += t("cmp.verdict_vs", base=baseline, p=prob_beats(ens[best], ens[baseline]))
st.success(verdict, icon=":material/emoji_events:")

st.subheader(t("cmp.cards"))
ui.kpi_cards(comp, baseline)

st.subheader(t("cmp.charts"))
chart = ui.choice(st.radio, t("cmp.chart"), ui.CHARTS, key="cmp.chart", horizontal=True,
                  text=lambda c: t("chart." + c), label_visibility="collapsed", persist_state="session")
lang = current()
ui.chart(comp.memo(("chart", chart, lang), lambda: ui.time_series_figure(comp, chart)), key="cmp.fig")

left, right = st.columns([1, 1])
with left:
    st.subheader(t("cmp.prob"), help=t("cmp.prob_help"))
    ui.chart(comp.memo(("prob", lang), lambda: figures.prob_matrix_figure(
        ens, "cum_profit", t("cmp.prob_title"), row_title=t("cmp.prob_row"), col_title=t("cmp.prob_col"))),
        key="cmp.prob_fig")
with right:
    st.subheader(t("cmp.export"))
    st.download_button(t("cmp.dl_csv"), data=lambda: runs.daily_csv(ens), file_name="siyu_daily.csv",
                       mime="text/csv", key="cmp.csv_dl", icon=":material/download:", on_click="ignore")
    pick = st.selectbox(t("cmp.dl_yaml_pick"), comp.names, key="cmp.yaml_pick")
    st.download_button(t("cmp.dl_yaml"), data=ens[pick].scenario.to_yaml(), file_name=f"{pick}.yaml",
                       mime="application/x-yaml", key="cmp.yaml_dl", icon=":material/download:",
                       on_click="ignore")
    report_slot = st.container()  # filled below the explanation panel, which may add its result

incremental_panel.render(comp, baseline)  # incremental KPIs, budget warnings, leaves by cause
money_panel.render(comp)  # monthly cash flow, NPV and discounted payback of one scenario

with st.expander(t("cmp.table")):
    st.dataframe(ui.kpi_table(comp, baseline), width="stretch")
    st.caption(" · ".join(f"**{t('kpi.' + k)}**: {t('kpid.' + k)}" for k in KPI_INFO))

from dashboard.panels import explain as explain_panel  # noqa: E402 - the panel renders below the table

explain_panel.render(comp, baseline)

with report_slot:  # the HTML report holds the explanation shown in the panel, if one was computed
    try:
        from sim.report import compare_report_html
    except ImportError:
        st.caption(t("cmp.report_missing"))
    else:
        expl = explain_panel.shown(comp)
        st.download_button(t("cmp.dl_report"),
                           data=lambda: compare_report_html(ens, baseline, lang=lang, explanation=expl).encode("utf-8"),
                           file_name="siyu_comparison.html", mime="text/html", key="cmp.report_dl",
                           icon=":material/description:", on_click="ignore")
        st.caption(explain_panel.report_note(expl))
