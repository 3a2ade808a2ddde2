"""AppTest of the planning pages' shared rows (``dashboard.ui.plan_size_row`` and ``range_row``).

Two pages' rows in one script: each keeps its own keys (the prefix), returns what the
visitor chose, starts a range at the schema's bounds and falls back from an unknown scenario.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from dashboard.i18n import EN, ZH


def rows_script() -> None:
    import streamlit as st

    from dashboard import state, sweeps, ui

    ss = st.session_state
    lib = state.library()
    fields = sweeps.sweepable()
    for k, v in {"a.scenario": "content_led", "a.n_users": 2_000, "a.horizon": 180, "a.seeds": 3,
                 "b.scenario": "content_led", "b.n_users": 1_000, "b.horizon": 90}.items():
        ss.setdefault(k, v)
    ss["out.a"] = ui.plan_size_row("a", lib, seeds=(2, 9), seeds_help="seeds help")
    ss["out.b"] = ui.plan_size_row("b", lib, seeds=None, min_days=7)
    ss["out.a.float"] = ui.range_row("a", fields["product.margin_rate"], points=(5, 12))
    ss["out.a.int"] = ui.range_row("a", fields["population.n_users"])
    ss["out.b.float"] = ui.range_row("b", fields["product.margin_rate"], labels=("cal.prior_lo", "cal.prior_hi"))


def rows_app(**state) -> AppTest:
    at = AppTest.from_function(rows_script, default_timeout=60)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_rows_return_the_defaults_with_keys_of_their_own():
    from dashboard import sweeps

    at = rows_app()
    assert tuple(at.session_state["out.a"]) == ("content_led", 2_000, 180, 3)
    assert tuple(at.session_state["out.b"]) == ("content_led", 1_000, 90, None)  # no seeds input
    assert [n.key for n in at.number_input if n.key.endswith("seeds")] == ["a.seeds"]
    spec = sweeps.sweepable()["product.margin_rate"]
    assert tuple(at.session_state["out.a.float"]) == (spec.lo, spec.hi, 5)
    assert tuple(at.session_state["out.b.float"]) == (spec.lo, spec.hi, None)
    users = sweeps.sweepable()["population.n_users"]
    lo, hi, points = at.session_state["out.a.int"]
    assert (lo, hi, points) == (users.lo, users.hi, None) and isinstance(lo, int) and isinstance(hi, int)
    labels = {n.key: n.label for n in at.number_input}
    assert labels["a.lo.product.margin_rate"] == EN["sw.from"] and labels["b.lo.product.margin_rate"] == EN["cal.prior_lo"]
    assert labels["a.points.product.margin_rate"] == EN["sw.points"]
    assert at.number_input(key="a.seeds").min == 2 and at.number_input(key="a.seeds").max == 9
    assert at.number_input(key="b.horizon").min == 7 and at.number_input(key="a.horizon").min == 30
    assert any("margin_rate" in m.value for m in at.markdown)  # the parameter's name above its range


def test_rows_return_what_the_visitor_chose():
    at = rows_app()
    at.selectbox(key="a.scenario").set_value("rebate_led")
    at.number_input(key="a.seeds").set_value(7)
    at.number_input(key="b.horizon").set_value(14)
    at.number_input(key="a.lo.product.margin_rate").set_value(0.2)
    at.number_input(key="a.hi.product.margin_rate").set_value(0.4)
    at.number_input(key="a.points.product.margin_rate").set_value(3).run()
    assert not at.exception
    assert tuple(at.session_state["out.a"]) == ("rebate_led", 2_000, 180, 7)
    assert at.session_state["out.b"].horizon == 14 and at.session_state["out.b"].scenario == "content_led"
    assert tuple(at.session_state["out.a.float"]) == (0.2, 0.4, 3)
    assert at.session_state["out.b.float"].lo != 0.2  # the other page's range is its own


def test_unknown_scenario_falls_back_and_labels_follow_the_language():
    from dashboard import state

    at = rows_app(**{"a.scenario": "gone_since", "lang": "zh"})
    assert at.session_state["out.a"].scenario == next(iter(state.library()))
    assert at.number_input(key="a.n_users").label == ZH["cmp.n_users"]
    assert at.number_input(key="a.hi.product.margin_rate").label == ZH["sw.to"]
