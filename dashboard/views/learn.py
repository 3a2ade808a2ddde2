"""Learn page: one short explainer per mechanism of DOMAIN.md, each with a small live demo."""

from __future__ import annotations

import streamlit as st

from dashboard import learn, state, ui
from dashboard.i18n import names, t
from sim import figures

SWEEP_TITLES = {"churn_rate": "learn.spam.churn", "mutes_total": "learn.spam.mutes",
                "gmv_total": "learn.cadence.gmv", "cum_profit": "learn.cadence.profit"}
#: Y-axis units of the demos' panels and sweeps (issue 12: every Learn chart says its unit).
SWEEP_UNITS = {"churn_rate": "learn.y.share", "mutes_total": "learn.y.count", "referral_joins_total": "learn.y.users",
               "gmv_total": "learn.y.rmb", "cum_profit": "learn.y.rmb"}
ss = st.session_state
Y_UNITS = {"cum_profit": t("chart.cum_profit_y"), "private_pool": t("learn.y.users")}
n_users = int(ss.get("learn.n_users", learn.DEMO_SIZE["n_users"]))
horizon = int(ss.get("learn.horizon", learn.DEMO_SIZE["horizon"]))
seeds = list(range(int(ss.get("learn.seeds", learn.DEMO_SIZE["seeds"]))))

st.title(t("learn.title"))
st.caption(t("learn.intro"))

c_topics, c_body = st.columns([1, 3], gap="large")
topic = ui.choice(c_topics.radio, t("learn.topic"), learn.TOPICS, key="learn.topic",
                  text=lambda k: t("learn." + k), persist_state="session")
demo = learn.DEMOS[topic]
lib = state.library()
band_kw = {"x_title": t("common.day"), "band_label": t("common.band"), "median_label": t("common.median")}


def main_demo() -> None:
    """The topic's live demo (charts)."""
    if demo.sweep:
        ens = ui.run_with_progress(learn.sweep_scenarios(demo, lib, n_users, horizon), seeds)
        table = learn.sweep_table(demo, ens)
        cols = st.columns(len(demo.kpis))
        for col, kpi in zip(cols, demo.kpis, strict=True):
            with col:
                ui.chart(figures.sweep_figure(table, "value", {kpi: t("kpi." + kpi)}, t(SWEEP_TITLES[kpi]),
                                              x_title=t(f"learn.{topic}.x"),
                                              y_title=f"{t('kpi.' + kpi)} ({t(SWEEP_UNITS[kpi])})"),
                         key=f"learn.fig.{kpi}", name=f"learn_{topic}_{kpi}")
        return
    if topic == "cascade":
        st.markdown(f"**{t('learn.cascade.threshold_h')}** " + t("learn.cascade.threshold_note"))
        thr = ui.run_with_progress(learn.threshold_scenarios(n_users, horizon), seeds)
        ui.chart(figures.threshold_figure(
            learn.threshold_table(thr), learn.threshold_curve(), t("learn.cascade.threshold_title"),
            x_title=t("learn.cascade.x"), y_title=t("learn.cascade.y"), theory_label=t("learn.cascade.theory"),
            seeds_label=t("learn.cascade.each_seed"), median_label=t("learn.cascade.median"),
            threshold_label=t("learn.cascade.threshold")), key="learn.fig.threshold", name="learn_threshold")
        st.markdown(f"**{t('learn.cascade.seeding_h')}** " + t("learn.cascade.seeding_note"))
        labels = {"targeted": t("learn.cascade.targeted"), "random": t("learn.cascade.random")}
        ens = ui.run_with_progress(learn.seeding_variants(lib, n_users, horizon, labels), seeds)
        ui.chart(figures.band_figure(ens, "referral_joins", t("learn.cascade.seeding_title"), cumulative=True,
                                     y_title=t("learn.cascade.joins_y"), **band_kw),
                 key="learn.fig.main", name="learn_seeding")
        return
    value = None
    if demo.param:
        whole = float(demo.step).is_integer()
        hi = demo.hi if demo.hi is not None else horizon
        default = demo.default if demo.default is not None else horizon // 2
        cast = int if whole and float(demo.lo).is_integer() and float(hi).is_integer() else float
        value = st.slider(t(f"learn.{topic}.param"), min_value=cast(demo.lo), max_value=cast(hi),
                          value=cast(min(default, hi)), step=cast(demo.step), key=f"learn.{topic}.value")
    labels = {"content": t("learn.trust.content"), "hard": t("learn.trust.hard", n=value or 0)}
    ens = ui.run_with_progress(learn.variants(demo, lib, n_users, horizon, value, labels), seeds)

    if topic == "pools":
        fig = figures.multi_band_figure(ens, {"cum_profit": t("chart.cum_profit"), "private_pool": t("learn.private_pool")},
                                        t("learn.pools"), y_titles=Y_UNITS, **band_kw)
    elif topic == "ladder":
        ui.chart(figures.stage_figure(ens, title=t("chart.pool"), names=names("stage"),
                                      x_title=t("common.day"), y_title=t("chart.pool_y")),
                 key="learn.fig.stages", name="learn_ladder_stages")
        fig = figures.funnel_figure(ens, t("flows.funnel"), names=names("flows.step"))
    elif topic == "trust":
        fig = figures.band_figure(ens, "mean_trust", t("chart.trust"), y_title=t("chart.trust_y"), **band_kw)
    elif topic == "rebate":
        fig = figures.multi_band_figure(ens, {"private_pool": t("learn.private_pool"), "cum_profit": t("chart.cum_profit")},
                                        t("learn.rebate"), y_titles=Y_UNITS, **band_kw)
        fig.add_vline(x=value, line_dash="dot", line_color="#D55E00")
    else:  # shocks
        w = next(iter(ens.values())).scenario.shocks[0]
        fig = figures.band_figure(ens, "gmv", t("chart.gmv"), y_title=t("chart.gmv_y"), smooth=7,
                                  shade=[(w.start_day, w.start_day + w.days - 1)], shade_label=t("common.shock"),
                                  **band_kw)
    ui.chart(fig, key="learn.fig.main", name=f"learn_{topic}")


with c_body:
    st.subheader(t("learn." + topic))
    st.markdown(t(f"learn.{topic}.text"))
    st.markdown(f"**{t('learn.demo')}** · " + t("learn.run_note", users=n_users, days=horizon, seeds=len(seeds)))
    main_demo()
    with st.container(border=True, key="learn.tell"):
        st.markdown(f"**{t('teach.heading')}**")
        st.markdown(t(f"teach.{topic}"))
