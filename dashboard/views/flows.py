"""Flows page: a Sankey from the public pool through each lead-in channel up the value ladder."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.i18n import names, t
from sim import figures

st.title(t("flows.title"))
st.caption(t("flows.intro"))

comp = ui.ensure_comparison()
ens = comp.ensembles
if st.session_state.get("flows.scenario") not in comp.names:
    private = [n for n in comp.names if ens[n].summaries["final_private_pool"].max() > 0]
    st.session_state["flows.scenario"] = private[-1] if private else comp.names[0]
name = st.selectbox(t("flows.scenario"), comp.names, key="flows.scenario", persist_state="session")

node_names = {**names("stage"), "public": t("flows.public"), "private": t("flows.private"),
              **{s: t("flows.via", source=t("source." + s)) for s in ["card", "gift", "cash", "content", "referral"]}}
users = [r.users for r in ens[name].runs]
if not any((u["source"].astype(str) != "none").any() for u in users):
    st.info(t("flows.empty", name=name), icon=":material/info:")
ui.chart(figures.sankey_figure(users, t("flows.sankey", name=name), names=node_names), key="flows.sankey_fig")

ui.chart(figures.leaves_over_time_figure(ens[name], t("plan.churn.over_time", name=name),
         names=names("plan.leaves"), x_title=t("common.day"),
         y_title=t("plan.churn.over_time_y"), phase_text=t("phase.chart_label")), key="flows.leaves_fig")

steps = names("flows.step")
ui.chart(figures.funnel_figure(ens, t("flows.funnel"), names=steps,
                                      colors=figures.scenario_colors(comp.names)), key="flows.funnel_fig")

st.subheader(t("flows.table"))
table = figures.funnel_table(ens)
table["step"] = table["step"].map(steps)
conv = table.pivot(index="step", columns="scenario", values="conversion").reindex(list(steps.values()))
conv = conv[comp.names].iloc[1:].rename_axis(index=None, columns=None)
st.dataframe(conv.map(lambda v: "–" if pd.isna(v) else f"{v:.0%}"), width="stretch")
