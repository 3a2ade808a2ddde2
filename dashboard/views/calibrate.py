"""Calibrate page: fit unknown market and behaviour parameters to a pilot CSV; posterior, fit, forecast, YAML."""

from __future__ import annotations

import streamlit as st

from dashboard import calibration as logic
from dashboard import results_view, state, ui
from dashboard.i18n import t
from sim import ScenarioError

ss = st.session_state

st.title(t("cal.title"))
st.caption(t("cal.intro"))

lib = state.library()
fields = logic.fittable()
truth = logic.sample_truth()
defaults = {"cal.source": "sample", "cal.scenario": truth["scenario"],
            "cal.n_users": int(truth["overrides"]["population.n_users"]), "cal.horizon": 365,
            "cal.params": [p for p in ("public.organic_reach_per_day", "public.platform_conversion") if p in fields],
            "cal.budget": 300, "cal.seeds": 10}
for k, v in defaults.items():
    ss.setdefault(k, v)


series_name = results_view.series_name

with st.container(border=True):
    st.subheader(t("cal.pilot"))
    source = ui.choice(st.radio, t("cal.src_label"), ["sample", "upload"], key="cal.source",
                       text=lambda s: t(f"cal.src.{s}"), horizontal=True)
    pilot = None
    if source == "upload":
        upload = st.file_uploader(t("cal.upload"), type=["csv"], key="cal.file", help=t("cal.upload_help"))
        if upload is None:
            st.info(t("cal.upload_wait"), icon=":material/upload_file:")
        else:
            try:
                pilot = logic.read_upload(upload.getvalue(), upload.name)
            except ScenarioError as err:
                ui.show_scenario_error(err)
    else:
        pilot = logic.read_upload(None, None)
        st.caption(t("cal.sample_note", scenario=truth["scenario"], users=truth["overrides"]["population.n_users"],
                     days=truth["days"], seed=truth["seed"],
                     truth=", ".join(f"{k} = {v:g}" for k, v in truth["true_values"].items())))
    if pilot is not None:
        st.caption(t("cal.pilot_summary", rows=pilot.rows, unit=t(f"cal.fig.{pilot.unit}"), days=pilot.span_days,
                     series=", ".join(series_name(c) for c in pilot.columns)))
        with st.expander(t("cal.pilot_table")):
            st.dataframe(pilot.to_frame(), hide_index=True)

with st.container(border=True):
    st.subheader(t("cal.setup"))
    name, n_users, horizon, _ = ui.plan_size_row("cal", lib, seeds=None, min_days=7,
                                                 scenario_help=t("cal.scenario_help"),
                                                 days_help=t("cal.horizon_help"))
    series = []
    if pilot is not None:
        ss.setdefault("cal.series", list(pilot.columns))
        ss["cal.series"] = [s for s in ss["cal.series"] if s in pilot.columns] or list(pilot.columns)
        series = ui.choice(st.multiselect, t("cal.series_pick"), list(pilot.columns), key="cal.series", text=series_name,
                           help=t("cal.series_help"))
    paths = ui.choice(st.multiselect, t("cal.params"), list(fields), key="cal.params", max_selections=4,
                      text=results_view.param_text, help=t("cal.params_help"))
    ranges = {}
    for path in paths:
        lo, hi, _ = ui.range_row("cal", fields[path], labels=("cal.prior_lo", "cal.prior_hi"))
        ranges[path] = (lo, hi)
    c_budget, c_seeds = st.columns(2)
    budget = c_budget.number_input(t("cal.budget"), min_value=1, max_value=logic.MAX_BUDGET, step=50,
                                   key="cal.budget", help=t("cal.budget_help"))
    seeds = c_seeds.number_input(t("cal.seeds"), min_value=1, max_value=logic.MAX_FORECAST, step=1, key="cal.seeds",
                                 help=t("cal.seeds_help"))
    the_plan = None
    if pilot is not None and not paths:
        st.info(t("cal.pick"), icon=":material/info:")
    elif pilot is not None:
        try:
            the_plan = logic.plan(lib[name], pilot, ranges, int(budget), int(seeds), int(n_users), int(horizon),
                                  series)
        except ScenarioError as err:
            ui.show_scenario_error(err)
    if the_plan is not None:
        st.caption(t("cal.size", budget=the_plan.budget, params=len(the_plan.fit), days=the_plan.pilot.span_days,
                     user_days=the_plan.user_days))
    run_clicked = st.button(t("cal.run"), key="cal.run_btn", type="primary", disabled=the_plan is None,
                            icon=":material/play_arrow:")

if run_clicked and the_plan is not None:
    with st.spinner(t("cal.running", budget=the_plan.budget)):
        ss["cal.result"] = logic.run(the_plan)

result = ss.get("cal.result")
if result is not None:
    st.subheader(t("cal.results"))
    results_view.show_calibration(result, key="cal")
