"""Referral cascades page: size distribution, one cascade drawn as a tree, targeted vs random seeding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import runs, state, ui
from dashboard.i18n import names, t
from sim import figures, prob_beats

st.title(t("casc.title"))
st.caption(t("casc.intro"))

comp = ui.ensure_comparison()
ens = comp.ensembles
colors = figures.scenario_colors(comp.names)
cascades = {n: [r.cascades() for r in e.runs] for n, e in ens.items()}

# ---- sizes in every scenario ---------------------------------------------------------------
st.subheader(t("casc.sizes"))
ui.chart(figures.cascade_size_figure(cascades, t("casc.sizes"), colors=colors, x_title=t("casc.size_x"),
                                            y_title=t("casc.size_y")), key="casc.sizes_fig")
stats = pd.DataFrame({
    t("casc.col.cascades"): {n: np.mean([len(c) for c in cs]) for n, cs in cascades.items()},
    t("casc.col.mean"): {n: np.mean([c["size"].mean() if len(c) else 0 for c in cs]) for n, cs in cascades.items()},
    t("casc.col.max"): {n: max([int(c["size"].max()) if len(c) else 0 for c in cs]) for n, cs in cascades.items()},
    t("casc.col.depth"): {n: max([int(c["depth"].max()) if len(c) else 0 for c in cs]) for n, cs in cascades.items()},
    t("casc.col.joins"): {n: float(e.summaries["referral_joins_total"].median()) for n, e in ens.items()},
})
st.caption(t("casc.stats"))
st.dataframe(stats.round(2), width="stretch")

# ---- one cascade, drawn ----------------------------------------------------------------------
st.subheader(t("casc.tree"))
if st.session_state.get("casc.scenario") not in comp.names:
    joins = {n: float(e.summaries["referral_joins_total"].median()) for n, e in ens.items()}
    st.session_state["casc.scenario"] = max(joins, key=joins.get)
c_scen, c_seed, c_rank = st.columns([2, 1, 1])
name = c_scen.selectbox(t("casc.scenario"), comp.names, key="casc.scenario", persist_state="session")
seed = c_seed.selectbox(t("common.seed"), comp.seeds, key="casc.seed")
run = ens[name].runs[comp.seeds.index(seed)]
table = run.cascades()
if table.empty:
    st.info(t("casc.none", name=name), icon=":material/info:")
else:
    rank = c_rank.number_input(t("casc.rank"), min_value=1, max_value=len(table), value=1, step=1,
                               key="casc.rank")
    row = table.iloc[int(rank) - 1]
    title = t("casc.tree_title", root=int(row["root"]), n=int(row["size"]) + 1, depth=int(row["depth"]))
    max_nodes = 400
    fig = figures.cascade_sunburst_figure(run.users, int(row["root"]), title, max_nodes=max_nodes,
                                          names=names("stage"), user_label=t("casc.user"),
                                          referrals_label=t("casc.referrals"), trust_label=t("casc.trust"))
    ui.chart(fig, key="casc.tree_fig")
    total = int(row["size"]) + 1
    st.caption(t("casc.shown", shown=min(total, max_nodes), total=total))

# ---- targeted vs random seeding --------------------------------------------------------------
st.subheader(t("casc.seeding"))
st.caption(t("casc.seeding_intro"))
lib = state.library()
with_campaigns = [n for n, s in lib.items() if s.strategy.campaign_every_days > 0 and s.mechanisms.referral]
if not with_campaigns:
    st.info(t("casc.no_campaigns"), icon=":material/info:")
    st.stop()
if st.session_state.get("casc.seed_scenario") not in with_campaigns:
    state.set_choice("casc.seed_scenario",
                     "hybrid_referral" if "hybrid_referral" in with_campaigns else with_campaigns[0])
seed_name = ui.choice(st.selectbox, t("casc.seed_scenario"), with_campaigns, key="casc.seed_scenario",
                      text=ui.scenario_label, persist_state="session")
base = runs.sized(lib[seed_name], comp.n_users, comp.horizon)
variants = {t("casc.targeted"): base.with_overrides({"strategy.seeding": "targeted"}),
            t("casc.random"): base.with_overrides({"strategy.seeding": "random"})}
pair = ui.run_with_progress(variants, comp.seeds)
tgt, rnd = pair[t("casc.targeted")], pair[t("casc.random")]
m1, m2, m3 = st.columns(3)
m1.metric(t("casc.targeted") + " · " + t("kpi.referral_joins_total"),
          ui.fmt("referral_joins_total", tgt.summaries["referral_joins_total"].median()), border=True)
m2.metric(t("casc.random") + " · " + t("kpi.referral_joins_total"),
          ui.fmt("referral_joins_total", rnd.summaries["referral_joins_total"].median()), border=True)
m3.metric(t("casc.p_targeted"), f"{prob_beats(tgt, rnd, 'referral_joins_total'):.0%}", border=True)
ui.chart(figures.band_figure(pair, "referral_joins", t("casc.seeding_chart"), cumulative=True,
                                    y_title=t("kpi.referral_joins_total"), x_title=t("common.day"),
                                    band_label=t("common.band"), median_label=t("common.median")),
                key="casc.seeding_fig")
