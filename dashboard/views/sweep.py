"""Sweep page: vary one or two schema parameters over a range, several seeds per point, see the bands."""

from __future__ import annotations

import streamlit as st

from dashboard import results_view, state, sweeps, ui
from dashboard.i18n import t
from sim import ScenarioError
from sim import experiments as ex

ss = st.session_state

st.title(t("sw.title"))
st.caption(t("sw.intro"))

fields = sweeps.sweepable()
lib = state.library()
for k, v in {"sw.scenario": "content_led",
             "sw.params": ["strategy.ad_posts_per_day"] if "strategy.ad_posts_per_day" in fields else [],
             "sw.n_users": 2_000, "sw.horizon": 180, "sw.seeds": 3}.items():
    ss.setdefault(k, v)

with st.container(border=True):
    name, n_users, horizon, n_seeds = ui.plan_size_row("sw", lib, seeds_help=t("sw.seeds_help"))
    paths = ui.choice(st.multiselect, t("sw.params"), list(fields), key="sw.params", max_selections=2,
                      text=results_view.param_text, help=t("sw.params_help"), persist_state="session")
    base = lib[name]
    axes = {}
    errors = []
    for path in paths:
        lo, hi, points = ui.range_row("sw", fields[path], points=(5, sweeps.MAX_POINTS_PER_AXIS))
        try:
            axes[path] = sweeps.axis_values(fields[path], lo, hi, int(points))
        except ScenarioError as err:
            errors.append(str(err))

    the_plan = None
    if not paths:
        st.info(t("sw.pick"), icon=":material/info:")
    elif errors:
        for e in errors:
            st.error(e, icon="⚠️")
    else:
        try:
            the_plan = sweeps.plan(base, axes, int(n_seeds), int(n_users), int(horizon))
        except ScenarioError as err:
            st.error(str(err), icon="⚠️")
    if the_plan is not None:
        st.caption(t("sw.size", runs=the_plan.runs, points=len(the_plan.design), seeds=the_plan.seeds,
                     user_days=the_plan.user_days))
    run_clicked = st.button(t("sw.run"), key="sw.run_btn", type="primary", disabled=the_plan is None,
                            icon=":material/play_arrow:")

if run_clicked and the_plan is not None:
    bar = st.progress(0.0, text=t("common.running", done=0, total=the_plan.runs))

    def _progress(done: int, total: int) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=t("common.running", done=done, total=total))

    result = sweeps.run(the_plan, _progress)
    bar.empty()
    ss["sw.result"] = result.id

if ss.get("sw.result"):
    try:
        shown = ex.open(ss["sw.result"])
    except ex.StoreError as err:
        ss.pop("sw.result", None)
        st.error(str(err), icon="⚠️")
    else:
        st.subheader(t("sw.results"))
        results_view.show(shown, key="sw.res")
