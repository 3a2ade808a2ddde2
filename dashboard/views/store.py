"""Runs page: the results store (the CLI's runs, comparisons and sweeps too) and any one reopened."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import results_view, ui
from dashboard.i18n import t
from sim import experiments as ex

ss = st.session_state

st.title(t("store.title"))
store = ex.Store()
st.caption(t("store.intro", path=str(store.root)))

entries = store.list()
if not entries:
    st.info(t("store.empty"), icon=":material/info:")
    st.stop()


def _kind(kind: object) -> str:
    return t("store.kind." + str(kind)) if kind in ex.store.KINDS else str(kind)


def _status(status: object) -> str:
    return t("store.status.complete") if status == "complete" else t("store.status.partial")


rows = [{t("store.col.id"): e["id"], t("store.col.kind"): _kind(e["kind"]), t("store.col.scenario"): e["scenario"],
         t("store.col.runs"): f"{e['runs_done']}/{e['runs_total'] if e['runs_total'] is not None else '?'}",
         t("store.col.status"): _status(e["status"]),
         t("store.col.date"): (e.get("started") or "")[:19].replace("T", " ")} for e in entries]
st.dataframe(pd.DataFrame(rows), width="stretch", hide_index=True)

ids = [e["id"] for e in entries]
labels = {e["id"]: f"{e['id']} · {_kind(e['kind'])} · {e['scenario']}"
          + ("" if e["status"] == "complete" else f" · {t('store.status.partial')}") for e in entries}
if ss.get("store.pick") not in ids:
    ss["store.pick"] = ids[0]
picked = ui.choice(st.selectbox, t("store.open"), ids, key="store.pick", text=lambda i: labels[i])
try:
    result = ex.open(picked, store)
except ex.StoreError as err:
    st.error(str(err), icon="⚠️")
else:
    results_view.show(result, key="store.res")
