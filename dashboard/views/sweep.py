"""Sweep page: vary one or two schema parameters over a range, several seeds per point, see the bands."""

from __future__ import annotations

import streamlit as st

from dashboard import results_view, state, sweeps, ui
from dashboard.editor import format_number
from dashboard.i18n import current, t
from sim import ScenarioError
from sim import experiments as ex
from sim.i18n import unit_text

ss = st.session_state

st.title(t("sw.title"))
st.caption(t("sw.intro"))

fields = sweeps.sweepable()
lib = state.library()
for k, v in {"sw.scenario": "content_led" if "content_led" in lib else next(iter(lib)),
             "sw.params": ["strategy.ad_posts_per_day"] if "strategy.ad_posts_per_day" in fields else [],
             "sw.n_users": 2_000, "sw.horizon": 180, "sw.seeds": 3}.items():
    ss.setdefault(k, v)
if ss["sw.scenario"] not in lib:
    ss["sw.scenario"] = next(iter(lib))

with st.container(border=True):
    c_scen, c_users, c_days, c_seeds = st.columns([3, 1.3, 1.2, 1])
    name = ui.choice(c_scen.selectbox, t("sw.scenario"), list(lib), key="sw.scenario", text=ui.scenario_label,
                     persist_state="session")
    n_users = c_users.number_input(t("cmp.n_users"), min_value=100, max_value=200_000, step=1_000,
                                   key="sw.n_users", persist_state="session")
    horizon = c_days.number_input(t("cmp.horizon"), min_value=30, max_value=3_650, step=30, key="sw.horizon",
                                  persist_state="session")
    n_seeds = c_seeds.number_input(t("cmp.seeds"), min_value=1, max_value=50, step=1, key="sw.seeds",
                                   help=t("sw.seeds_help"), persist_state="session")
    paths = ui.choice(st.multiselect, t("sw.params"), list(fields), key="sw.params", max_selections=2,
                      text=results_view.param_text, help=t("sw.params_help"), persist_state="session")
    base = lib[name]
    axes = {}
    errors = []
    for path in paths:
        spec = fields[path]
        cast = int if spec.kind == "int" else float
        ss.setdefault(f"sw.lo.{path}", cast(spec.lo))  # the schema's whole range to start with
        ss.setdefault(f"sw.hi.{path}", cast(spec.hi))
        ss.setdefault(f"sw.points.{path}", 5)
        c_lab, c_lo, c_hi, c_n = st.columns([3, 1.2, 1.2, 1])
        c_lab.markdown(f"**{results_view.param_text(path)}**", help=t(f"field.{path}.help"))
        c_lab.caption(t("ed.range", lo=format_number(spec.lo), hi=format_number(spec.hi),
                        unit=unit_text(spec.unit, current())))
        kw = {"min_value": cast(spec.lo), "max_value": cast(spec.hi), "step": cast(spec.step),
              "persist_state": "session"}
        if spec.kind == "float":
            kw["format"] = spec.number_format
        lo = c_lo.number_input(t("sw.from"), key=f"sw.lo.{path}", **kw)
        hi = c_hi.number_input(t("sw.to"), key=f"sw.hi.{path}", **kw)
        points = c_n.number_input(t("sw.points"), min_value=2, max_value=sweeps.MAX_POINTS_PER_AXIS, step=1,
                                  key=f"sw.points.{path}", persist_state="session")
        try:
            axes[path] = sweeps.axis_values(spec, lo, hi, int(points))
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
