"""AppTest tests of the dashboard: every page renders, widgets change results, errors stay inline.

Runs are tiny (≤1,000 users, 60 days, 2 seeds), set through session state before the first
run. Widgets are driven by their keys (prefixed per page). Every test asserts that no
exception reached the page and that no unexpected error line was shown.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import sim
from dashboard import runs, ui
from dashboard.i18n import EN, ZH
from dashboard.text import unplain

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
SMALL = {"cmp.n_users": 1000, "cmp.horizon": 60, "cmp.seeds": 2,
         "learn.n_users": 300, "learn.horizon": 60, "learn.seeds": 1}
PAGES = ["views/compare.py", "views/flows.py", "views/cascades.py", "views/editor.py",
         "views/journey.py", "views/learn.py", "views/guide.py"]
TITLES = {"views/compare.py": "cmp.title", "views/flows.py": "flows.title", "views/cascades.py": "casc.title",
          "views/editor.py": "ed.title", "views/journey.py": "jr.title", "views/learn.py": "learn.title",
          "views/guide.py": "guide.title"}


def new_app(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in {**SMALL, **state}.items():
        at.session_state[k] = v
    return at


def ok(at: AppTest) -> AppTest:
    """Assert the page rendered with no exception and no error message."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


@pytest.fixture
def app() -> AppTest:
    return ok(new_app().run())


# --- Compare ----------------------------------------------------------------------------------
def test_compare_opens_with_a_comparison(app):
    assert len(app.metric) == len(ui.CARD_KPIS) * 3 == 30  # KPI cards: 10 KPIs × 3 default scenarios
    assert len(app.get("plotly_chart")) == 5  # time series, P(A beats B), incremental profit, leaves by cause, cash flow
    assert "makes the most profit" in app.success[0].value
    res = app.session_state["cmp.results"]
    assert res.names == ["public_only", "rebate_led", "content_led"] and res.seeds == [0, 1]
    assert res.n_users == 1000 and res.horizon == 60
    base = [m for m in app.metric if "baseline" in m.label]
    assert len(base) == len(ui.CARD_KPIS) and all(not m.delta for m in base)
    assert {d.key for d in app.download_button if ".export." not in d.key} == {"cmp.csv_dl", "cmp.yaml_dl", "cmp.report_dl"}


def test_presentation_changes_rerun_no_simulation(app):
    before = runs.CACHE.simulated
    deltas = [m.delta for m in app.metric]
    app.selectbox(key="cmp.baseline").set_value("content_led").run()
    ok(app)
    assert [m.delta for m in app.metric] != deltas
    assert [m for m in app.metric if "baseline" in m.label][0].label.startswith("content_led")
    for chart in ["pool", "trust", "fatigue", "mutes", "gmv", "costs", "cum_profit"]:
        ok(app.radio(key="cmp.chart").set_value(chart).run())
    ok(app.radio(key="lang").set_value("zh").run())
    assert app.title[0].value == ZH["cmp.title"]
    assert runs.CACHE.simulated == before


def test_chart_choice_changes_the_chart(app):
    first = chart_specs(app)[0]
    ok(app.radio(key="cmp.chart").set_value("costs").run())
    costs = chart_specs(app)[0]
    assert costs["data"][0]["type"] == "bar" and first["data"][0]["type"] == "scatter"


def test_changing_settings_needs_run_then_updates(app):
    app.number_input(key="cmp.seeds").set_value(3).run()
    ok(app)
    assert any("3 new runs" in i.value or "new runs" in i.value for i in app.info)
    assert app.session_state["cmp.results"].seeds == [0, 1]  # still the old results
    ok(app.button(key="cmp.run_btn").click().run())
    assert app.session_state["cmp.results"].seeds == [0, 1, 2]


def test_fewer_than_two_scenarios_warns(app):
    ok(app.multiselect(key="cmp.scenarios").set_value(["content_led"]).run())
    assert app.warning and EN["cmp.need_two"] in app.warning[0].value
    assert app.button(key="cmp.run_btn").disabled


def test_cached_selection_shows_at_once(app):
    before = runs.CACHE.simulated
    ok(app.multiselect(key="cmp.scenarios").set_value(["public_only", "content_led"]).run())
    assert app.session_state["cmp.results"].names == ["public_only", "content_led"]
    assert len(app.metric) == 20 and runs.CACHE.simulated == before


# --- Language ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_renders_in_both_languages(lang):
    at = ok(new_app(lang=lang).run())
    table = {"en": EN, "zh": ZH}[lang]
    for page in PAGES:
        ok(at.switch_page(page).run())
        assert at.title[0].value == table[TITLES[page]], page
        assert at.radio(key="lang").value == lang


# --- Editor -----------------------------------------------------------------------------------
@pytest.fixture
def editor() -> AppTest:
    at = new_app().run()
    return ok(at.switch_page("views/editor.py").run())


def test_editor_builds_widgets_from_the_schema(editor):
    assert "0 to 50" in editor.number_input(key="ed.strategy.ad_posts_per_day").help  # range from the schema
    assert editor.toggle(key="ed.strategy.one_to_one").value is True  # content_led
    assert editor.selectbox(key="ed.network.kind").options == ["scale-free", "small world", "random", "well mixed"]
    assert "posts per day" in editor.number_input(key="ed.strategy.ad_posts_per_day").label


def test_editor_shows_invalid_values_next_to_the_field(editor):
    editor.number_input(key="ed.purchase.conversion_floor").set_value(0.95).run()
    assert not editor.exception
    messages = [e.value for e in editor.error]
    assert any("conversion_floor" in m for m in messages)
    assert editor.button(key="ed.save_btn").disabled
    editor.number_input(key="ed.purchase.conversion_floor").set_value(0.05).run()
    ok(editor)
    assert not editor.button(key="ed.save_btn").disabled


def test_editor_saves_a_new_scenario_and_compare_uses_it(editor):
    editor.number_input(key="ed.strategy.ad_posts_per_day").set_value(6.0).run()
    editor.text_input(key="ed.name").set_value("loud").run()
    ok(editor.button(key="ed.save_btn").click().run())
    assert "loud" in editor.session_state["lib.user"]
    assert editor.session_state["lib.user"]["loud"].strategy.ad_posts_per_day == 6.0
    assert any("loud" in s.value for s in editor.success)
    assert "loud" in editor.session_state["cmp.scenarios"]
    before = runs.CACHE.simulated
    ok(editor.switch_page("views/compare.py").run())
    assert any("2 new runs" in i.value for i in editor.info)  # only the new scenario is missing
    ok(editor.button(key="cmp.run_btn").click().run())
    res = editor.session_state["cmp.results"]
    assert "loud" in res.names and len(editor.metric) == len(ui.CARD_KPIS) * 4
    assert runs.CACHE.simulated - before == 2  # only the new scenario ran (2 seeds)
    # saving again under the same name never overwrites
    editor.switch_page("views/editor.py").run()
    ok(editor.button(key="ed.save_btn").click().run())
    assert {"loud", "loud-2"} <= set(editor.session_state["lib.user"])


def test_editor_shock_windows_add_and_remove(editor):
    ok(editor.button(key="ed.shock_add_btn").click().run())
    editor.number_input(key="ed.shocks.0.start_day").set_value(20).run()
    ok(editor.button(key="ed.shock_add_btn").click().run())
    assert editor.session_state["ed.n_shocks"] == 2
    ok(editor.button(key="ed.shock_remove_btn.1").click().run())
    assert editor.session_state["ed.n_shocks"] == 1
    assert editor.number_input(key="ed.shocks.0.start_day").value == 20
    ok(editor.button(key="ed.save_btn").click().run())
    saved = [s for n, s in editor.session_state["lib.user"].items()]
    assert saved[-1].shocks[0].start_day == 20


HOSTILE = {
    "wrong_type.yaml": (b"population:\n  n_users: lots\n", "population.n_users"),
    "out_of_range.yaml": (b"strategy:\n  ad_posts_per_day: 500\n", "less than or equal to 50"),
    "unknown_key.yaml": (b"strategy:\n  ad_post_per_day: 3\n", "did you mean"),
    "bomb.yaml": (b"a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "aliases"),
    "deep.yaml": (b"[" * 20000, "nested too deeply"),
    "big.yaml": (b"name: big\n" + b"#" * 1_050_000, "larger than 1 MB"),
    "binary.yaml": (bytes(range(256)), "UTF-8"),
    "escape.yaml": (b"extends: /etc/passwd\n", "shipped scenario"),
    "list.yaml": (b"- 1\n- 2\n", "mapping"),
    "broken.yaml": (b"strategy: {ad_posts_per_day: 3\n", "not valid YAML"),
    "huge_int.yaml": (b"population: {n_users: " + b"9" * 4301 + b"}\n", "population.n_users: a number of 4,301"),
    "dup.yaml": (b"horizon_days: 99999\nhorizon_days: 10\n", "lines 1 and 2"),
    "[click me](http://example.com) **bold**.yaml": (b"horizon_days: 0\n", "horizon_days"),
}


@pytest.mark.parametrize("filename", list(HOSTILE))
def test_bad_uploads_show_a_readable_inline_error(editor, filename):
    data, expected = HOSTILE[filename]
    editor.file_uploader(key="ed.upload").upload(filename, data, "application/x-yaml").run()
    assert not editor.exception, [e.value for e in editor.exception]
    messages = [e.value for e in editor.error]
    assert len(messages) == 1 and "](" not in messages[0] and "**" not in messages[0]  # plain text
    shown = unplain(messages[0])
    assert expected in shown and filename in shown
    assert "\n" not in shown and "Traceback" not in shown and len(shown) < 300
    assert editor.session_state["lib.user"] == {}
    assert editor.selectbox(key="ed.base").value == "content_led"  # the page and the draft survive


def test_upload_names_are_plain_text_and_safe(editor):
    hostile = "[click me](http://example.com) **bold**.yaml"
    ok(editor.file_uploader(key="ed.upload").upload(hostile, b"horizon_days: 30\n", "application/x-yaml").run())
    (message,) = [s.value for s in editor.success if "click" in s.value]
    assert "[click me](http" not in message and "**bold**" not in message  # no live link, no bold
    assert hostile in unplain(message)
    ok(editor.file_uploader(key="ed.upload").upload("../../etc/passwd.yaml", b"horizon_days: 31\n",
                                                    "application/x-yaml").run())
    names = set(editor.session_state["lib.user"])
    assert "passwd" in names and not any("/" in n or n.startswith(".") for n in names)


def test_good_upload_lands_in_editor_and_library(editor):
    text = b"extends: content_led\nname: uploaded_one\nstrategy:\n  ad_posts_per_day: 2\n"
    ok(editor.file_uploader(key="ed.upload").upload("mine.yaml", text, "application/x-yaml").run())
    assert "uploaded_one" in editor.session_state["lib.user"]
    assert editor.selectbox(key="ed.base").value == "uploaded_one"
    assert editor.number_input(key="ed.strategy.ad_posts_per_day").value == 2.0
    assert "uploaded_one" in editor.session_state["cmp.scenarios"]


# --- Flows, cascades, journey, learn ------------------------------------------------------------
def test_flows_scenario_changes_the_sankey(app):
    ok(app.switch_page("views/flows.py").run())
    first = chart_specs(app)[0]
    assert first["data"][0]["type"] == "sankey"
    ok(app.selectbox(key="flows.scenario").set_value("rebate_led").run())
    second = chart_specs(app)[0]
    assert first["data"][0]["link"] != second["data"][0]["link"]
    assert "rebate_led" in second["layout"]["title"]["text"]


def test_cascades_page_draws_and_compares_seeding():
    app = ok(new_app(**{"cmp.scenarios": ["public_only", "hybrid_referral"], "cmp.horizon": 180}).run())
    ok(app.switch_page("views/cascades.py").run())
    specs = chart_specs(app)
    assert specs[0]["data"][0]["type"] == "bar"
    assert any("random" in m.label for m in app.metric)  # targeted vs random metrics
    ok(app.selectbox(key="casc.seed_scenario").set_value("hybrid_referral").run())
    assert app.selectbox(key="casc.scenario").value == "hybrid_referral"  # the one with referrals
    ok(app.selectbox(key="casc.seed").set_value(1).run())
    assert app.number_input(key="casc.rank").max > 1
    title = chart_specs(app)[1]["layout"]["title"]["text"]
    ok(app.number_input(key="casc.rank").set_value(2).run())
    assert chart_specs(app)[1]["layout"]["title"]["text"] != title
    ok(app.selectbox(key="casc.scenario").set_value("public_only").run())
    assert any("No referral cascades" in i.value for i in app.info)


def test_journey_follows_a_user_and_picks_random_ones(app):
    ok(app.switch_page("views/journey.py").run())
    uid = app.number_input(key="jr.user").value
    assert f"{uid}" in chart_specs(app)[0]["layout"]["title"]["text"]
    ok(app.number_input(key="jr.user").set_value(uid + 1 if uid + 1 < 1000 else uid - 1).run())
    assert chart_specs(app)[0]["layout"]["title"]["text"] != f"Journey of user {uid} in content_led"
    ok(app.selectbox(key="jr.source").set_value("content").run())
    seen = {app.number_input(key="jr.user").value}
    for _ in range(3):
        ok(app.button(key="jr.random_btn").click().run())
        seen.add(app.number_input(key="jr.user").value)
    users = runs.ensemble(runs.sized(sim.load_scenario("content_led"), 1000, 60), [0]).runs[0].users
    assert all(str(users.loc[u, "source"]) == "content" for u in seen)


@pytest.mark.parametrize("topic", ["pools", "ladder", "trust", "spam", "rebate", "cascade", "cadence", "shocks"])
def test_learn_topics_run_their_demo(topic):
    at = ok(new_app().run())
    ok(at.switch_page("views/learn.py").run())
    ok(at.radio(key="learn.topic").set_value(topic).run())
    assert at.get("plotly_chart"), topic
    assert any(EN[f"learn.{topic}"] == s.value for s in at.subheader)


def test_learn_slider_changes_the_demo():
    at = ok(new_app().run())
    at.switch_page("views/learn.py").run()
    ok(at.radio(key="learn.topic").set_value("trust").run())
    before = chart_specs(at)[0]
    ok(at.slider(key="learn.trust.value").set_value(8.0).run())
    after = chart_specs(at)[0]
    assert [d["name"] for d in before["data"]] != [d["name"] for d in after["data"]]


def test_unexpected_errors_show_one_line_not_a_traceback(app):
    app.session_state["cmp.results"] = "not a comparison"
    app.switch_page("views/flows.py").run()
    assert not app.exception
    assert len(app.error) == 1 and "Something went wrong" in app.error[0].value
    assert "Traceback" not in app.error[0].value and "\n" not in app.error[0].value


# --- Planner panels (issue 14) ------------------------------------------------------------------
def test_compare_shows_incremental_kpis_and_leaves_by_cause(app):
    table = app.dataframe[0].value  # the incremental panel's table (the KPI table is in an expander below)
    assert list(table.columns) == ["rebate_led", "content_led"]  # every scenario but the baseline
    assert any(EN["plan.kpi.inc_payback_day"] in str(i) for i in table.index)
    specs = chart_specs(app)
    assert "public_only" in specs[2]["layout"]["title"]["text"]  # incremental profit vs the baseline
    assert {d["name"] for d in specs[3]["data"]} == {EN[f"plan.leaves.{c}"] for c in sim.LEAVE_COLUMNS}
    before = runs.CACHE.simulated
    ok(app.number_input(key="plan.inc_before").set_value(30).run())
    assert any("30" in str(i) for i in app.dataframe[0].value.index) and runs.CACHE.simulated == before
    ok(app.selectbox(key="cmp.baseline").set_value("content_led").run())
    assert list(app.dataframe[0].value.columns) == ["public_only", "rebate_led"]


def test_compare_warns_when_planned_spending_exceeds_the_budget():
    from dashboard import state

    at = new_app(**{"cmp.n_users": 3000, "cmp.scenarios": ["public_only", "capped"]})
    capped = sim.load_scenario("hybrid_referral").with_overrides({"name": "capped", "budget.monthly_cap": 1700})
    at.session_state[state.USER_KEY] = {"capped": capped}
    at.session_state[state.ORIGIN_KEY] = {"capped": "edited"}
    ok(at.run())
    assert any(w.value.startswith("capped: planned spending exceeds the budget") for w in at.warning)


def test_editor_diffs_against_any_scenario(editor):
    ok(editor.selectbox(key="plan.diff_with").set_value("hybrid_referral").run())
    table = editor.dataframe[0].value
    assert "hybrid_referral" in table.columns
    assert any("strategy.referral_reward" in p for p in table[EN["plan.diff.param"]])
    ok(editor.selectbox(key="plan.diff_with").set_value("content_led").run())
    assert any(EN["plan.diff.same"].format(name="content_led") == c.value for c in editor.caption)
    ok(editor.number_input(key="ed.strategy.ad_posts_per_day").set_value(7.0).run())
    table = editor.dataframe[0].value
    assert len(table) == 1 and table.iloc[0]["content_led"] == "0.15" and table.iloc[0][EN["plan.diff.edited"]] == "7"


def test_editor_refuses_a_budget_below_the_fixed_costs_inline(editor):
    editor.number_input(key="ed.budget.monthly_cap").set_value(-5.0).run()  # typed out of range: shown, not clamped
    assert not editor.exception and any("budget.monthly_cap" in unplain(e.value) for e in editor.error)
    editor.number_input(key="ed.budget.monthly_cap").set_value(100.0).run()
    assert not editor.exception
    messages = [unplain(e.value) for e in editor.error]
    assert any("budget.monthly_cap" in m and "below the plan's fixed costs" in m for m in messages)
    assert editor.button(key="ed.save_btn").disabled
    ok(editor.number_input(key="ed.budget.monthly_cap").set_value(5000.0).run())
