"""One user's journey page: follow one simulated person's trust, fatigue, messages and purchases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import runs, state, ui
from dashboard.i18n import names, t
from sim import figures

NEVER = -1_000_000
SOURCES = ["any", "card", "gift", "cash", "content", "referral"]
SEGMENTS = ["any", "deal", "fan", "buyer", "churned"]
ss = st.session_state


def candidates(users: pd.DataFrame, source: str, segment: str) -> np.ndarray:
    """User ids matching the chosen channel and kind (joined users first; everyone if none joined)."""
    src = users["source"].astype(str)
    mask = (src != "none") if source == "any" else (src == source)
    if segment == "deal":
        mask &= users["deal_seeking"] > 0.6
    elif segment == "fan":
        mask &= users["deal_seeking"] < 0.3
    elif segment == "buyer":
        mask &= users["purchases"] >= 2
    elif segment == "churned":
        mask &= users["stage"].astype(str) == "churned"
    return users.loc[mask, "user"].to_numpy()


def pick_random(pool: list[int]) -> None:
    """Callback: put a random candidate in the user-id box."""
    if pool:
        ss["jr.user"] = int(np.random.default_rng().choice(pool))


def repick() -> None:
    """Callback: a filter changed, choose a fitting user on the next run."""
    ss["jr.repick"] = True


st.title(t("jr.title"))
st.caption(t("jr.intro"))

lib = state.library()
if ss.get("jr.scenario") not in lib:
    state.set_choice("jr.scenario", "content_led" if "content_led" in lib else next(iter(lib)))
last = state.results()  # follow users of the market last compared (else the Compare settings)
n_users, horizon = (last.n_users, last.horizon) if last is not None else state.settings()[:2]
c_scen, c_seed, c_src, c_seg = st.columns([2, 1, 1.3, 1.3])
name = ui.choice(c_scen.selectbox, t("jr.scenario"), list(lib), key="jr.scenario", text=ui.scenario_label,
                        on_change=repick, persist_state="session")
seed = c_seed.number_input(t("common.seed"), min_value=0, max_value=49, step=1, key="jr.seed",
                           on_change=repick, persist_state="session")
source = ui.choice(c_src.selectbox, t("jr.source"), SOURCES, key="jr.source", on_change=repick,
                   persist_state="session", text=lambda s: t("jr.any") if s == "any" else t("source." + s))
segment = ui.choice(c_seg.selectbox, t("jr.segment"), SEGMENTS, key="jr.segment", on_change=repick,
                    persist_state="session", text=lambda s: t("jr.seg." + s))

scenario = runs.sized(lib[name], n_users, horizon)
run = ui.run_with_progress({name: scenario}, [int(seed)])[name].runs[0]
users = run.users
pool = candidates(users, source, segment)
if len(pool) == 0:
    pool = users.loc[users["purchases"] > 0, "user"].to_numpy() if (users["purchases"] > 0).any() else users["user"].to_numpy()
    st.info(t("jr.none", uid=int(pool[0])), icon=":material/info:")
if ss.pop("jr.repick", False) or "jr.user" not in ss or not 0 <= int(ss["jr.user"]) < len(users):
    best = users.loc[users["user"].isin(pool)].sort_values(["private_purchases", "purchases", "user"],
                                                           ascending=[False, False, True])
    ss["jr.user"] = int(best["user"].iloc[0])

c_user, c_btn = st.columns([1, 3], vertical_alignment="bottom")
uid = int(c_user.number_input(t("jr.user"), min_value=0, max_value=len(users) - 1, step=1, key="jr.user",
                              persist_state="session"))
c_btn.button(t("jr.random"), key="jr.random_btn", on_click=pick_random, args=([int(u) for u in pool],),
             icon=":material/casino:")

row = users.iloc[uid]
stage_names = names("stage")
if int(row["join_day"]) > NEVER:
    st.markdown(t("jr.facts", uid=uid, source=t("source." + str(row["source"])), join=int(row["join_day"]),
                  stage=stage_names.get(str(row["stage"]), str(row["stage"])), purchases=int(row["purchases"]),
                  spend=f"{float(row['spend']):,.0f}", deal=float(row["deal_seeking"]), need=float(row["need"]),
                  tol=float(row["tolerance"])))
else:
    st.markdown(t("jr.facts_public", uid=uid, stage=stage_names.get(str(row["stage"]), str(row["stage"])),
                  purchases=int(row["purchases"])))

with st.spinner(t("common.running", done=0, total=1)):
    traced = runs.traced_run(scenario, int(seed), [uid])
trace = traced.trace[traced.trace["user"] == uid]
decay = 0.5 ** (1.0 / scenario.fatigue.half_life_days)
threshold = float(row["tolerance"]) / 7.0 / (1.0 - decay)  # fatigue at which muting starts (sim.mechanisms.fatigue)
fig_names = {"trust": t("jr.trust"), "fatigue": t("jr.fatigue"), "messages": t("jr.messages"),
             "stage": t("jr.stage"), "tolerance": t("jr.tolerance"), "purchases": t("jr.purchases"),
             "messages_short": t("jr.messages_short"), "events": t("jr.events_short"),
             **stage_names, **names("event"), **{f"cause.{k}": v for k, v in names("cause").items()},
             # the messages and purchases panels, each with its own labelled axis
             "messages_panel": t("jr.messages_panel"), "purchases_panel": t("jr.purchases_panel"),
             "messages_y": t("jr.messages_y"), "purchases_y": t("jr.purchases_y"), "trust_y": t("jr.trust_y")}
ui.chart(figures.journey_figure(trace, t("jr.chart", uid=uid, name=name), names=fig_names,
                                       tolerance=threshold, x_title=t("common.day"),
                                       scenario=scenario, phase_text=t("phase.chart_label")), key="jr.fig")

st.subheader(t("jr.events"))
events = trace[trace["events"].astype(str) != ""]
event_names = names("event")
st.dataframe(pd.DataFrame({
    t("jr.col.day"): events["day"].to_numpy(),
    t("jr.col.events"): [", ".join(event_names.get(e, e) for e in s.split("|") if e) for s in events["events"]],
    t("jr.col.trust"): events["trust"].round(3).to_numpy(),
    t("jr.col.fatigue"): events["fatigue"].round(3).to_numpy(),
    t("plan.cause_col"): [names("cause").get(c, c) if c != "none" else "" for c in events["cause"].astype(str)],
}), hide_index=True, width="stretch", height=260)
