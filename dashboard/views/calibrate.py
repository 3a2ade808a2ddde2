"""Calibrate page: fit unknown market and behaviour parameters to a pilot CSV; posterior, fit, forecast, YAML."""

from __future__ import annotations

import streamlit as st

from dashboard import calibration as logic
from dashboard import results_view, state, ui
from dashboard.i18n import t
from sim import ScenarioError
from sim.figures import calibration as figs
from sim.planning.pilot import SERIES

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


def series_name(name: str) -> str:
    """A pilot column's label in the page's language."""
    return t(f"cal.series.{name}") if name in SERIES else name


names = {**{s: series_name(s) for s in SERIES}, **{p: results_view.param_text(p) for p in fields},
         "band": t("common.band"), "median": t("cal.fig.median"), "observed": t("cal.fig.observed"),
         "particles": t("cal.fig.particles"), "truth": t("cal.fig.truth"), "prior": t("cal.fig.prior"),
         "posterior": t("cal.fig.posterior"), "pilot_end": t("cal.fig.pilot_end"), "day": t("cal.fig.day"),
         "week": t("cal.fig.week")}

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
    if result.id:
        st.caption(t("cal.stored", id=result.id, runs=result.runs, status=result.info.get("status", "")))
    summary = result.summary()
    rows = [{t("cal.col.param"): results_view.param_text(p.path),
             t("cal.col.prior"): f"{p.lo:.4g} – {p.hi:.4g}",
             t("cal.col.median"): f"{summary[p.path]['median']:.4g}",
             t("cal.col.interval"): f"{summary[p.path]['q05']:.4g} – {summary[p.path]['q95']:.4g}",
             t("cal.col.shrinkage"): f"{summary[p.path]['shrinkage']:.0%}"} for p in result.parameters]
    st.dataframe(rows, hide_index=True)
    st.caption(t("cal.table_note"))
    shown_truth = truth["true_values"] if result.pilot.source == logic.SAMPLE.name else None
    if len(result.paths) >= 2:
        c_x, c_y = st.columns(2)
        ss.setdefault("cal.x", result.paths[0])
        ss.setdefault("cal.y", result.paths[1])
        if ss["cal.x"] not in result.paths:
            ss["cal.x"] = result.paths[0]
        x = ui.choice(c_x.selectbox, t("cal.pair_x"), result.paths, key="cal.x", text=results_view.param_text)
        others = [p for p in result.paths if p != x]
        if ss.get("cal.y") not in others:
            ss["cal.y"] = others[0]
        y = ui.choice(c_y.selectbox, t("cal.pair_y"), others, key="cal.y", text=results_view.param_text)
        st.plotly_chart(figs.pair_figure(result, x, y, names=names, truth=shown_truth,
                                         title=t("cal.fig.pair_title")), key="cal.pair")
    st.plotly_chart(figs.marginals_figure(result, names=names, truth=shown_truth,
                                          title=t("cal.fig.marginals_title")), key="cal.marginals")
    st.plotly_chart(figs.fit_figure(result, names=names, title=t("cal.fig.fit_title")), key="cal.fit")
    options = [c for c in result.forecast_daily.columns if c not in ("draw", "seed", "day")]
    if ss.get("cal.fc_series") not in options:
        ss["cal.fc_series"] = options[0]
    fc_series = ui.choice(st.selectbox, t("cal.fc_series"), options, key="cal.fc_series",
                          text=lambda s: t("kpi.cum_profit") if s == "cum_profit" else series_name(s))
    st.plotly_chart(figs.forecast_figure(result, fc_series, names={**names, "cum_profit": t("kpi.cum_profit")},
                                         title=t("cal.fig.forecast_title", horizon=result.base.horizon_days)),
                    key="cal.forecast")
    st.download_button(t("cal.download"), result.calibrated_yaml().encode("utf-8"),
                       file_name=f"{result.base.name}_calibrated.yaml", mime="application/x-yaml",
                       key="cal.download", icon=":material/download:")
    st.caption(t("cal.download_note"))
