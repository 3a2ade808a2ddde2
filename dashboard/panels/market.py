"""The Compare page's "Market and product" panel: one market for every compared scenario.

The panel shows a widget for every market field of :data:`sim.market.MARKET_FIELDS`
(population, network, product, public, and the platform limits and input prices of
touchpoints), starting at the shipped defaults. The values that differ from the defaults are
applied to every compared scenario — each keeps its own strategy — as the CLI's ``--set``
does, and are listed beneath (field, unit, default, value). They are kept in the session
(:data:`OVERRIDES_KEY`), so every page that runs the comparison uses the same market.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st

from dashboard import state, ui
from dashboard.editor import field_specs
from dashboard.i18n import current as current_lang
from dashboard.i18n import param_label, t
from sim import Scenario, ScenarioError, market
from sim.i18n import unit_text

__all__ = ["OVERRIDES_KEY", "apply", "overrides", "panel"]

#: Session key of the current market overrides (dotted path → value).
OVERRIDES_KEY = "mkt.overrides"
_PREFIX = "mkt.f."


def overrides(state: MutableMapping[str, Any] | None = None) -> dict[str, Any]:
    """The session's market overrides (empty when the panel was never changed)."""
    ss = st.session_state if state is None else state
    return dict(ss.get(OVERRIDES_KEY) or {})


def apply(scenario: Scenario, state: MutableMapping[str, Any] | None = None) -> Scenario:
    """``scenario`` in the session's market (ScenarioError if a value is invalid)."""
    return market.apply_market(scenario, overrides(state))


def _reset() -> None:
    ss = st.session_state
    for spec in _specs():
        ss[_PREFIX + spec.path] = spec.default
    ss[OVERRIDES_KEY] = {}


def _specs() -> list[Any]:
    wanted = set(market.MARKET_FIELDS)
    return [s for s in field_specs() if s.path in wanted]


def panel() -> dict[str, Any]:
    """Draw the panel (an expander) and store the overrides in the session; returns them."""
    ss = st.session_state
    specs = _specs()
    for spec in specs:  # start at the shipped defaults
        ss.setdefault(_PREFIX + spec.path, spec.default)
    current = overrides()
    label = t("mkt.title") + (f" · {t('mkt.n_differ', n=len(current))}" if current else "")
    with st.expander(label, expanded=False, icon=":material/storefront:"):
        st.caption(t("mkt.intro"))
        sections = list(dict.fromkeys(s.section for s in specs))
        tabs = st.tabs([t(f"mkt.section.{s}") for s in sections])
        values: dict[str, Any] = {}
        for tab, section in zip(tabs, sections, strict=True):
            with tab:
                cols = st.columns(3)
                for i, spec in enumerate(s for s in specs if s.section == section):
                    with cols[i % 3]:
                        values[spec.path] = ui.field_widget(spec, _PREFIX + spec.path)
        try:
            found = market.market_overrides(values)
            market.apply_market(Scenario(), found)  # validates the values (one line naming the field)
        except ScenarioError as err:
            ui.show_scenario_error(err)
            found = current
        ss[OVERRIDES_KEY] = found
        if found:
            table = market.differences(found)
            table["unit"] = [unit_text(u, current_lang()) for u in table["unit"]]
            table.insert(0, t("mkt.col.name"), [param_label(p.split(".", 1)[1]) for p in table["field"]])
            table = table.rename(columns={"field": t("mkt.col.field"), "unit": t("mkt.col.unit"),
                                          "default": t("mkt.col.default"), "value": t("mkt.col.value")})
            st.markdown(f"**{t('mkt.differ', n=len(found))}**")
            st.dataframe(table.astype(str), hide_index=True, width="stretch", key="mkt.diff_table")
            st.button(t("mkt.reset"), key="mkt.reset", on_click=_reset, icon=":material/restart_alt:")
        else:
            st.caption(t("mkt.same"))
        own = {n: market.own_market_values(state.scenario(n)) for n in ss.get("cmp.scenarios") or []
               if n in state.library()}
        own = {n: v for n, v in own.items() if v}
        if own:
            st.caption(t("mkt.own", list="; ".join(f"{n}: {', '.join(v)}" for n, v in own.items())))
    return found

