"""Optimize page: the best plan under constraints (Optuna), re-evaluated on fresh seeds; Optuna's charts; the YAML.

Thin: the checks and the run are :mod:`dashboard.optimize` (→ :func:`sim.planning.optimize.optimize`,
runs through the experiment layer into the results store); figures are :mod:`sim.figures.optimize`.
"""

from __future__ import annotations

import streamlit as st

from dashboard import optimize as logic
from dashboard import results_view, state, ui
from dashboard.i18n import t
from sim import KPI_INFO, ScenarioError

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

with st.container(border=True):
    name, n_users, horizon, n_seeds = ui.plan_size_row("opt", lib, seeds=(1, 50), seeds_help=t("opt.seeds_help"))
    c_kpi, c_risk, c_trials, c_fresh = st.columns([2.4, 1.2, 1, 1])
    kpi = ui.choice(c_kpi.selectbox, t("opt.kpi"), list(KPI_INFO), key="opt.kpi", text=lambda k: t("kpi." + k),
                    help=t("opt.kpi_help"), persist_state="session")
    risk = c_risk.checkbox(t("opt.risk"), key="opt.risk", help=t("opt.risk_help"), persist_state="session")
    trials = c_trials.number_input(t("opt.trials"), min_value=0, max_value=logic.MAX_TRIALS, step=5,
                                   key="opt.trials", persist_state="session")
    fresh = c_fresh.number_input(t("opt.fresh"), min_value=0, max_value=100, step=1, key="opt.fresh",
                                 help=t("opt.fresh_help"), persist_state="session")
    fields = logic.decidable_for(lib[name])
    for path in fields:  # a phase's switch day starts at the whole horizon, not the schema's 10 years
        if path.startswith("phases."):
            ss.setdefault(f"opt.lo.{path}", 1)
            ss.setdefault(f"opt.hi.{path}", max(1, int(horizon) - 1))
    ss["opt.params"] = [p for p in ss.get("opt.params", []) if p in fields]  # another scenario's phases
    paths = ui.choice(st.multiselect, t("opt.params"), list(fields), key="opt.params",
                      text=results_view.param_text, help=t("opt.params_help"), persist_state="session")
    ranges: dict[str, tuple[float, float] | None] = {}
    for path in paths:
        if logic.has_range(fields[path]):
            lo, hi, _ = ui.range_row("opt", fields[path])
            ranges[path] = (float(lo), float(hi))
        else:  # a switch or a choice: the search tries each value
            ui.values_row(fields[path])
            ranges[path] = None
    constraints = st.text_area(t("opt.constraints"), key="opt.constraints", help=t("opt.constraints_help"),
                               placeholder="cost_total<=20000\ncost_total@q90<=30000\nchurn_rate<=0.3", height=90, persist_state="session")

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
            before = logic.stored(ready)
            if before is not None:  # the same plan again: reopened or resumed, never run twice
                st.caption(t(f"opt.stored.{'complete' if before.status == 'complete' else 'partial'}", id=before.id,
                             done=before.runs_done, total=before.runs_total))
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


res = ss.get("opt.result")
if res is not None:
    results_view.show_optimization(res, "opt")
