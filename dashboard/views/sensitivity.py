"""Sensitivity page: which assumption moves the result — Morris or Sobol' over chosen parameters or a section.

Thin: every computation is :func:`sim.planning.sensitivity.sensitivity` (runs through the
experiment layer into the results store); figures are :mod:`sim.figures.sensitivity`.
"""

from __future__ import annotations

import streamlit as st

from dashboard import results_view, state, sweeps, ui
from dashboard.i18n import t
from sim import KPI_INFO, ScenarioError
from sim import experiments as ex
from sim.planning import sensitivity as sa

ss = st.session_state

st.title(t("sens.title"))
st.caption(t("sens.intro"))

fields = sweeps.sweepable()
lib = state.library()
for k, v in {"sens.scenario": "content_led",
             "sens.method": "morris", "sens.mode": "params", "sens.section": "trust", "sens.kpi": "cum_profit",
             "sens.params": [p for p in ("strategy.ad_posts_per_day", "trust.initial", "product.margin_rate") if p in fields],
             "sens.n_users": 1_000, "sens.horizon": 90, "sens.seeds": 2, "sens.samples": 4}.items():
    ss.setdefault(k, v)

with st.container(border=True):
    name, n_users, horizon, n_seeds = ui.plan_size_row("sens", lib, seeds=(sa.MIN_SEEDS, sa.MAX_SEEDS),
                                                       seeds_help=t("sens.seeds_help"))
    c_m, c_mode, c_kpi, c_n = st.columns([1.4, 1.6, 2, 1.2])
    method = ui.choice(c_m.radio, t("sens.method"), list(sa.METHODS), key="sens.method",
                       text=lambda m: t(f"sens.method.{m}"), persist_state="session")
    mode = ui.choice(c_mode.radio, t("sens.mode"), ["params", "section"], key="sens.mode",
                     text=lambda m: t(f"sens.mode.{m}"), persist_state="session")
    kpi = ui.choice(c_kpi.selectbox, t("sens.kpi"), list(KPI_INFO), key="sens.kpi", text=lambda k: t("kpi." + k),
                    help=t("sens.kpi_help"), persist_state="session")
    samples = c_n.number_input(t(f"sens.samples.{method}"), min_value=1, max_value=8_192, step=1,
                               key="sens.samples", help=t(f"sens.samples_help.{method}"), persist_state="session")
    vary: dict[str, tuple[float, float] | None] = {}
    chosen_sections: list[str] = []
    if mode == "params":
        paths = ui.choice(st.multiselect, t("sens.params"), list(fields), key="sens.params",
                          text=results_view.param_text, persist_state="session")
        for path in paths:
            lo, hi, _ = ui.range_row("sens", fields[path])
            vary[path] = (float(lo), float(hi))
    else:
        section = ui.choice(st.selectbox, t("sens.section"), sa.section_names(), key="sens.section",
                            help=t("sens.section_help"), persist_state="session")
        chosen_sections = [section]

    ready = None
    try:
        base = lib[name].with_overrides({"population.n_users": int(n_users), "horizon_days": int(horizon)})
        facs = sa.factors(base, vary, chosen_sections)
        points, runs, user_days = sa.plan_runs(base, facs, method, int(samples), int(n_seeds),
                                               max_runs=sa.PAGE_MAX_RUNS, max_user_days=sa.PAGE_MAX_USER_DAYS)
        ready = (base, facs)
        st.caption(t("sens.size", params=len(facs), points=points, seeds=int(n_seeds), runs=runs, user_days=user_days))
    except ScenarioError as err:
        ui.show_scenario_error(err)
    run_clicked = st.button(t("sens.run"), key="sens.run_btn", type="primary", disabled=ready is None,
                            icon=":material/play_arrow:")

if run_clicked and ready is not None:
    base, facs = ready
    bar = st.progress(0.0, text=t("common.running", done=0, total=0))

    def _progress(done: int, total: int) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=t("common.running", done=done, total=total))

    small = base.population.n_users * base.horizon_days < 300_000  # worker processes do not pay off
    try:
        with ex.LocalBackend(workers=1 if small else None) as backend:
            res = sa.sensitivity(base, method, vary={f.path: (f.lo, f.hi) for f in facs}, kpi=kpi,
                                 samples=int(samples), seeds=int(n_seeds), backend=backend, progress=_progress)
    except ScenarioError as err:
        bar.empty()
        ss.pop("sens.result", None)
        ui.show_scenario_error(err)
    else:
        bar.empty()
        ss["sens.result"] = (res.id, res.kpi)


if ss.get("sens.result"):
    try:
        res = sa.load(*ss["sens.result"])
    except ScenarioError as err:
        ss.pop("sens.result", None)
        ui.show_scenario_error(err)
    else:
        results_view.show_sensitivity(res, key="sens")
