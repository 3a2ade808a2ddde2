"""Editor panel: the parameters the edited scenario sets differently from any library scenario.

``render(scenario, library, default)`` lets the user pick a scenario of the library to diff
against (the loaded one by default) and lists every differing field side by side — parameter,
unit, the other scenario's value and the edited one's — from :func:`sim.diff.scenario_diff`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.i18n import current, param_label, t
from sim import Scenario
from sim.diff import scenario_diff
from sim.i18n import unit_text


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return f"{value:,.6g}" if isinstance(value, float) else str(value)


def diff_table(other: Scenario, edited: Scenario, other_name: str) -> pd.DataFrame:
    """Differing fields: parameter (label and dotted name), unit, the other's and the edited value."""
    rows = scenario_diff(other, edited)
    return pd.DataFrame({
        t("plan.diff.param"): [f"{param_label(r['field'].rsplit('.', 1)[-1])} ({r['field']})" for r in rows],
        t("plan.diff.unit"): [unit_text(r["unit"], current()) for r in rows],
        other_name: [_text(r["a"]) for r in rows],
        t("plan.diff.edited"): [_text(r["b"]) for r in rows],
    })


def render(scenario: Scenario | None, library: Mapping[str, Scenario], default: str) -> None:
    """Draw the panel; ``scenario`` is the edited scenario (``None`` while it is invalid)."""
    with st.expander(t("plan.diff.title")):
        names = list(library)
        if st.session_state.get("plan.diff_with") not in names:
            st.session_state["plan.diff_with"] = default if default in names else names[0]
        other = st.selectbox(t("plan.diff.with"), names, key="plan.diff_with")
        if scenario is None:
            st.info(t("plan.diff.invalid"), icon=":material/info:")
            return
        table = diff_table(library[other], scenario, other)
        if table.empty:
            st.caption(t("plan.diff.same", name=other))
            return
        st.caption(t("plan.diff.count", n=len(table), name=other))
        st.dataframe(table, hide_index=True, width="stretch")
