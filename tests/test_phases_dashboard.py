"""The strategy editor's plan phases (issue 11 §1): add, edit, validate inline, save, remove; both languages.

Pure logic (``dashboard.editor``: flatten, nest, shift on removal) is tested directly; the page
with ``AppTest`` (no exception, one inline message for a bad phase, the saved scenario's phases).
"""

from __future__ import annotations

import pytest
from test_dashboard import new_app, ok

import sim
from dashboard import editor as ed
from dashboard import editor_layout as layout
from dashboard.i18n import EN, ZH, param_label, t
from dashboard.text import unplain


def test_phases_round_trip_through_the_editor_state():
    sc = sim.load_scenario("gift_launch_content")
    state: dict = {}
    ed.load_into_state(state, sc)
    values, shocks = ed.values_from_state(state, sc)
    phases = ed.phases_from_state(state, values)
    assert phases == ed.flatten_phases(sc)
    assert phases[0]["from_day"] == 60 and phases[0]["strategy"]["hooks.gift.enabled"] is False
    assert ed.build(values, shocks, phases=phases).phases == sc.phases
    ed.add_phase(state, sc.horizon_days)
    assert state[ed.phase_key(1, "from_day")] == 90 and state["ed.n_phases"] == 2
    state[ed.phase_key(1, "fields")] = ["ad_posts_per_day"]  # picked: starts at the draft's value
    assert ed.phases_from_state(state, values)[1]["strategy"] == {"ad_posts_per_day": values["strategy.ad_posts_per_day"]}
    ed.remove_phase(state, 0)  # the later phase moves up, with its fields
    assert state["ed.n_phases"] == 1 and state[ed.phase_key(0, "from_day")] == 90
    assert state[ed.phase_key(0, "fields")] == ["ad_posts_per_day"] and ed.phase_key(1, "from_day") not in state


def test_a_bad_phase_is_placed_next_to_its_field():
    sc = sim.load_scenario("gift_launch_content")
    values, shocks = ed.flatten(sc)
    late = [{"from_day": 400, "label": "", "strategy": {}}]
    fields, general = ed.field_errors(values, shocks, late)
    assert "phases.0.from_day" in fields and "outside the horizon" in fields["phases.0.from_day"]
    high = [{"from_day": 30, "label": "", "strategy": {"content_posts_per_day": 99.0}}]
    fields, _ = ed.field_errors(values, shocks, high)
    assert "phases.0.strategy.content_posts_per_day" in fields


def test_the_list_of_differences_names_each_phase_value_that_changed():
    base = ed.flatten_phases(sim.load_scenario("gift_launch_content"))
    draft = [{**base[0], "from_day": 90, "strategy": {**base[0]["strategy"], "ad_posts_per_day": 0.3}},
             {"from_day": 200, "label": "", "strategy": {}}]
    del draft[0]["strategy"]["welfare_events_per_week"]
    diffs = layout.phase_differences(base, draft)
    assert [(d.path, d.old, d.new) for d in diffs] == [
        ("phases.0.from_day", 60, 90),
        ("phases.0.strategy.ad_posts_per_day", base[0]["strategy"]["ad_posts_per_day"], 0.3),
        ("phases.0.strategy.welfare_events_per_week", 0.0, None),
        ("phases.1", None, draft[1]),
    ]
    assert {d.section for d in diffs} == {"phases"}
    assert layout.phase_differences(base, base) == []
    assert [(d.path, d.new) for d in layout.phase_differences(base, [])] == [("phases.0", None)]
    by_path = {s.path: s for s in ed.field_specs()}

    def text(d, lang="en"):
        return layout.phase_difference_text(d, lambda key, **kw: t(key, lang, **kw), lambda n: param_label(n, lang),
                                            by_path, "never", "yes", "no")

    assert [text(d) for d in diffs] == [
        "**Phase 1 · From day**: 60 → 90",
        f"**Phase 1 · {param_label('ad_posts_per_day', 'en')}**: 0.15 → 0.3",
        f"**Phase 1 · {param_label('welfare_events_per_week', 'en')}**: 0 → not set",
        "Phase 2 added, from day 200",
    ]
    assert text(layout.phase_differences(base, [])[0], "zh") == "删除阶段 1（原从第 60 天起）"


def test_phase_texts_exist_in_both_languages():
    keys = [k for k in EN if k.startswith("phase.")]
    assert len(keys) >= 10 and all(k in ZH and ZH[k] != EN[k] for k in keys)


@pytest.fixture
def editor():
    at = new_app().run()
    return ok(at.switch_page("views/editor.py").run())


def test_editor_adds_edits_saves_and_removes_a_phase(editor):
    ok(editor.button(key="ed.phase_add_btn").click().run())
    assert editor.session_state["ed.n_phases"] == 1
    editor.number_input(key="ed.phases.0.from_day").set_value(90).run()
    ok(editor.multiselect(key="ed.phases.0.fields").set_value(["content_posts_per_day", "hooks.gift.enabled"]).run())
    ok(editor.number_input(key="ed.phases.0.s.content_posts_per_day").set_value(3.0).run())
    ok(editor.toggle(key="ed.phases.0.s.hooks.gift.enabled").set_value(True).run())
    shown = "\n".join(m.value for m in editor.markdown)
    assert "Phase 1 added, from day 90" in shown  # the list of differences names the new phase
    editor.text_input(key="ed.name").set_value("phased").run()
    ok(editor.button(key="ed.save_btn").click().run())
    saved = editor.session_state["lib.user"]["phased"]
    assert [p.from_day for p in saved.phases] == [90]
    assert saved.phase_scenarios()[1].strategy.content_posts_per_day == 3.0
    assert saved.phase_scenarios()[1].strategy.hooks.gift.enabled is True
    ok(editor.button(key="ed.phase_remove_btn.0").click().run())
    assert editor.session_state["ed.n_phases"] == 0


def test_editor_shows_a_phase_outside_the_horizon_inline(editor):
    ok(editor.button(key="ed.phase_add_btn").click().run())
    editor.number_input(key="ed.phases.0.from_day").set_value(5000).run()
    assert not editor.exception
    messages = [unplain(e.value) for e in editor.error]
    assert any("phases.0.from_day" in m for m in messages)
    assert all("Traceback" not in m for m in messages)
    assert editor.button(key="ed.save_btn").disabled


def test_editor_loads_the_shipped_phased_scenario_in_chinese():
    at = new_app(lang="zh").run()
    at = ok(at.switch_page("views/editor.py").run())
    ok(at.selectbox(key="ed.base").set_value("gift_launch_content").run())
    assert at.session_state["ed.n_phases"] == 1
    assert at.number_input(key="ed.phases.0.from_day").value == 60
    assert any(ZH["phase.title"] in e.label for e in at.expander)
