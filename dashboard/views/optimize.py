"""Optimize page: the best plan under constraints (Optuna), re-evaluated on fresh seeds; Optuna's charts; the YAML.

Thin: the checks and the run are :mod:`dashboard.optimize` (→ :func:`sim.planning.optimize.optimize`,
runs through the experiment layer into the results store); figures are :mod:`sim.figures.optimize`.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard import optimize as logic
from dashboard import results_view, state, ui
from dashboard.editor import format_number
from dashboard.i18n import current, t
from sim import KPI_INFO, ScenarioError
from sim.figures import optimize as figs
from sim.i18n import unit_text

ss = st.session_state

st.title(t("opt.title"))
st.caption(t("opt.intro"))

fields = logic.decidable()
lib = state.library()
for k, v in {"opt.scenario": "spam_blast" if "spam_blast" in lib else next(iter(lib)), "opt.kpi": "cum_profit",
             "opt.params": [p for p in ("strategy.ad_posts_per_day", "strategy.content_posts_per_day") if p in fields],
             "opt.n_users": 2_000, "opt.horizon": 180, "opt.seeds": 3, "opt.trials": 30, "opt.fresh": 10,
             "opt.risk": False, "opt.constraints": ""}.items():
    ss.setdefault(k, v)
if ss["opt.scenario"] not in lib:
    ss["opt.scenario"] = next(iter(lib))

with st.container(border=True):
    c_scen, c_users, c_days, c_seeds = st.columns([3, 1.3, 1.2, 1])
    name = ui.choice(c_scen.selectbox, t("opt.scenario"), list(lib), key="opt.scenario", text=ui.scenario_label,
                     persist_state="session")
    n_users = c_users.number_input(t("cmp.n_users"), min_value=100, max_value=200_000, step=1_000,
                                   key="opt.n_users", persist_state="session")
    horizon = c_days.number_input(t("cmp.horizon"), min_value=30, max_value=3_650, step=30, key="opt.horizon",
                                  persist_state="session")
    n_seeds = c_seeds.number_input(t("cmp.seeds"), min_value=1, max_value=50, step=1, key="opt.seeds",
                                   help=t("opt.seeds_help"), persist_state="session")
    c_kpi, c_risk, c_trials, c_fresh = st.columns([2.4, 1.2, 1, 1])
    kpi = ui.choice(c_kpi.selectbox, t("opt.kpi"), list(KPI_INFO), key="opt.kpi", text=lambda k: t("kpi." + k),
                    help=t("opt.kpi_help"), persist_state="session")
    risk = c_risk.checkbox(t("opt.risk"), key="opt.risk", help=t("opt.risk_help"), persist_state="session")
    trials = c_trials.number_input(t("opt.trials"), min_value=0, max_value=logic.MAX_TRIALS, step=5,
                                   key="opt.trials", persist_state="session")
    fresh = c_fresh.number_input(t("opt.fresh"), min_value=0, max_value=100, step=1, key="opt.fresh",
                                 help=t("opt.fresh_help"), persist_state="session")
    paths = ui.choice(st.multiselect, t("opt.params"), list(fields), key="opt.params",
                      text=results_view.param_text, help=t("opt.params_help"), persist_state="session")
    ranges: dict[str, tuple[float, float]] = {}
    for path in paths:
        spec = fields[path]
        cast = int if spec.kind == "int" else float
        ss.setdefault(f"opt.lo.{path}", cast(spec.lo))
        ss.setdefault(f"opt.hi.{path}", cast(spec.hi))
        c_lab, c_lo, c_hi = st.columns([3, 1.2, 1.2])
        c_lab.markdown(f"**{results_view.param_text(path)}**")
        c_lab.caption(t("ed.range", lo=format_number(spec.lo), hi=format_number(spec.hi),
                        unit=unit_text(spec.unit, current())))
        kw = {"min_value": cast(spec.lo), "max_value": cast(spec.hi), "step": cast(spec.step), "persist_state": "session"}
        if spec.kind == "float":
            kw["format"] = spec.number_format
        lo = c_lo.number_input(t("sw.from"), key=f"opt.lo.{path}", **kw)
        hi = c_hi.number_input(t("sw.to"), key=f"opt.hi.{path}", **kw)
        ranges[path] = (float(lo), float(hi))
    constraints = st.text_area(t("opt.constraints"), key="opt.constraints", help=t("opt.constraints_help"),
                               placeholder="cost_total<=20000\nchurn_rate<=0.3", height=90, persist_state="session")

    ready = None
    if not paths:
        st.info(t("opt.pick"), icon=":material/tune:")
    else:
        try:
            base = lib[name].with_overrides({"population.n_users": int(n_users), "horizon_days": int(horizon)})
            ready = logic.plan(base, ranges, kpi, "q10" if risk else None, constraints, int(trials), int(n_seeds),
                               int(fresh))
            st.caption(t("opt.size", params=len(ready.decisions), trials=ready.trials, seeds=ready.seeds,
                         fresh=ready.fresh_seeds, runs=ready.runs, user_days=ready.user_days))
        except ScenarioError as err:
            ui.show_scenario_error(err)
    run_clicked = st.button(t("opt.run"), key="opt.run_btn", type="primary", disabled=ready is None,
                            icon=":material/play_arrow:")

if run_clicked and ready is not None:
    bar = st.progress(0.0, text=t("opt.progress.search", done=0, total=ready.trials))

    def _progress(stage: str, done: int, total: int) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=t(f"opt.progress.{stage}", done=done, total=total))

    try:
        res = logic.run(ready, _progress)
    except ScenarioError as err:
        bar.empty()
        ss.pop("opt.result", None)
        ui.show_scenario_error(err)
    else:
        bar.empty()
        ss["opt.result"] = res


def _num(v: float) -> str:
    return "—" if v is None or not math.isfinite(float(v)) else f"{float(v):,.4g}"


res = ss.get("opt.result")
if res is not None:
    label = t("kpi." + res.objective.kpi)
    labels = {d.path: results_view.param_text(d.path).split(" · ")[0] for d in res.decisions}
    st.subheader(t("opt.results", kpi=label))
    if not res.feasible:
        st.error(res.infeasible_text(), icon=":material/block:")
    else:
        best = res.trials[res.trials["trial"] == res.best].iloc[0]
        c1, c2, c3 = st.columns(3)
        c1.metric(t("opt.best", stat=res.objective.statistic), ui.fmt(res.objective.kpi, float(best["objective"])),
                  help=t("opt.best_help", trial=res.best, seeds=res.info["seeds"]))
        c2.metric(t("opt.trials_done"), f"{len(res.trials):,}",
                  help=t("opt.trials_help", feasible=int(res.trials["feasible"].sum())))
        c3.metric(t("opt.runs"), f"{res.info['runs']:,}", help=t("opt.runs_help", id=res.id or "—"))
        plan = pd.DataFrame([{t("opt.col.param"): labels[p], t("opt.col.value"): v,
                              t("opt.col.range"): d.range_text()}
                             for (p, v), d in zip(res.plan().items(), res.decisions, strict=True)])
        st.dataframe(plan, hide_index=True, width="stretch")
        names = {"recommended": t("opt.recommended"), "base": t("opt.base", name=res.base.name),
                 **{s: ui.scenario_label(s) for s in res.reevaluation.get("scenario", pd.Series(dtype=str)).unique()
                    if s not in ("recommended", "base")}}
        if not res.reevaluation.empty:
            st.plotly_chart(figs.reeval_figure(res, title=t("opt.reeval_title", kpi=label, n=res.info["fresh_seeds"]),
                                               names=names, x_title=label, band_name=t("common.band"), fmt=_num),
                            key="opt.reeval")
            for chk in res.fresh_check():
                (st.caption if chk["met"] else st.warning)(
                    t("opt.fresh_met" if chk["met"] else "opt.fresh_not_met", constraint=chk["constraint"],
                      median=_num(chk["median"])))
        st.download_button(t("opt.download"), res.recommended_yaml(), file_name=f"{res.base.name}_optimized.yaml",
                           mime="text/yaml", key="opt.download_btn", icon=":material/download:")
    tabs = st.tabs([t("opt.tab.history"), t("opt.tab.importances"), t("opt.tab.slice")])
    with tabs[0]:
        st.plotly_chart(figs.history_figure(res, t("opt.history_title"), y_title=label), key="opt.history")
    with tabs[1]:
        if len(res.decisions) > 1 and (res.trials["state"] == "COMPLETE").sum() >= 2:
            st.plotly_chart(figs.importances_figure(res, t("opt.importances_title"), labels=labels, x_title=label),
                            key="opt.importances")
        else:
            st.caption(t("opt.importances_none"))
    with tabs[2]:
        st.plotly_chart(figs.slice_figure(res, t("opt.slice_title"), labels=labels, y_title=label), key="opt.slice")
    st.caption(t("opt.how_to_read"))
