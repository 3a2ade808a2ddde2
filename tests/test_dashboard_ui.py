"""AppTest tests of issue 12's dashboard paths.

Cards, "never"/"—", the editor's layout and status, "Run this scenario", never-days,
translated errors, the reading guide, and every page in 中文 without untranslated UI text.
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest
from streamlit.testing.v1 import AppTest
from test_dashboard import PAGES, new_app, ok

from dashboard import state
from dashboard.i18n import EN, ZH
from dashboard.text import unplain

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.fixture
def editor() -> AppTest:
    at = new_app().run()
    return ok(at.switch_page("views/editor.py").run())


def test_default_seed_count_is_the_clis():
    assert state.DEFAULTS["cmp.seeds"] == 5  # the CLI's --seeds default and the README's comparison


def test_payback_never_and_undefined_kpis_on_compare():
    at = ok(new_app(**{"cmp.horizon": 40}).run())  # nobody pays back a private pool in 40 days
    cards = {m.label: m for m in at.metric}
    payback = [m for m in at.metric if m.value in (EN["common.never"],)]
    assert payback, [m.value for m in at.metric]
    assert all(not m.delta for m in payback)  # no arithmetic on "never"
    descs = [m.proto.delta_description for m in at.metric]
    assert any("P(paid back)" in d for d in descs)
    assert not any("366" in m.value or "41" == m.value.split()[-1] for m in at.metric)
    churn = [m for m in at.metric if m.label.startswith("public_only")][-1]  # churn card of the baseline
    assert churn.value == "—", churn
    assert cards  # labels are the full scenario names
    assert {m.label.split(" · ")[0] for m in at.metric} == {"public_only", "rebate_led", "content_led"}


def test_cards_show_chinese_names_beside_the_id():
    at = ok(new_app(lang="zh").run())
    labels = {m.label for m in at.metric}
    assert any(lbl.startswith("content_led · 内容驱动") for lbl in labels)


def test_out_of_range_value_makes_the_status_say_so(editor):
    editor.number_input(key="ed.strategy.ad_posts_per_day").set_value(500.0).run()
    assert not editor.exception
    errors = [unplain(e.value) for e in editor.error]  # what a reader sees
    assert any("ad_posts_per_day" in m and "50" in m for m in errors), errors
    assert not any("Valid scenario" in s.value for s in editor.success)
    assert editor.button(key="ed.save_btn").disabled and editor.button(key="ed.run_btn").disabled


def test_status_and_differences_follow_the_screen(editor):
    assert any(s.value == EN["ed.status.same"].format(base="content_led") for s in editor.success)
    editor.number_input(key="ed.strategy.ad_posts_per_day").set_value(2.0).run()
    ok(editor)
    assert any("1 parameter differs from content_led" in s.value for s in editor.success)
    assert any("Ad posts" in m.value and "→ 2" in m.value for m in editor.markdown)
    editor.number_input(key="ed.fatigue.mute_rate").set_value(0.05).run()
    ok(editor)
    assert any("2 parameters differ" in s.value for s in editor.success)
    # changed sections come first
    titles = [e.label for e in editor.expander]
    assert titles[0].startswith(EN["sec.strategy"]) or titles[0].startswith(EN["sec.fatigue"])
    assert titles[1].startswith(EN["sec.strategy"]) or titles[1].startswith(EN["sec.fatigue"])


def test_run_this_scenario_opens_compare_with_it(editor):
    editor.number_input(key="ed.strategy.ad_posts_per_day").set_value(3.0).run()
    editor.text_input(key="ed.name").set_value("louder").run()
    ok(editor.button(key="ed.run_btn").click().run())
    assert "louder" in editor.session_state["lib.user"]
    assert editor.session_state["cmp.scenarios"][-1] == "louder"
    ok(editor)
    assert editor.title[0].value == EN["cmp.title"]


def test_rebate_end_day_is_never_or_a_day(editor):
    ok(editor.selectbox(key="ed.base").set_value("public_only").run())
    key = "ed.strategy.rebate_end_day"
    assert editor.toggle(key=f"{key}.never").value is True
    assert not [n for n in editor.number_input if n.key == f"{key}.day"]
    ok(editor.toggle(key=f"{key}.never").set_value(False).run())
    ok(editor.number_input(key=f"{key}.day").set_value(90).run())
    assert editor.session_state[key] == 90
    assert any("Rebate end day" in m.value and f"{EN['ed.never']} → 90" in m.value for m in editor.markdown)
    ok(editor.toggle(key=f"{key}.never").set_value(True).run())
    assert editor.session_state[key] == 100_000
    assert not any("100,000" in m.value or "100000" in m.value for m in editor.markdown)


def test_failed_upload_keeps_the_editor_and_says_so(editor):
    editor.file_uploader(key="ed.upload").upload("bad.yaml", b"strategy: {ad_posts_per_day: 3\n",
                                                 "application/x-yaml").run()
    assert not editor.exception
    assert len(editor.error) == 1 and "not valid YAML" in editor.error[0].value
    assert not any("Valid scenario" in s.value for s in editor.success)
    assert any(EN["ed.status.kept"].format(base="content_led") == i.value for i in editor.info)


def test_upload_errors_in_chinese():
    at = new_app(lang="zh").run()
    at = ok(at.switch_page("views/editor.py").run())
    at.file_uploader(key="ed.upload").upload("u.yaml", b"strategy:\n  ad_post_per_day: 3\n",
                                             "application/x-yaml").run()
    assert not at.exception
    msg = at.error[0].value
    assert "未知参数" in msg and "您是不是要输入" in msg and "did you mean" not in msg


# --- every page in 中文: no untranslated UI text -------------------------------------------------
#: Texts that may stay Latin in 中文: scenario ids, units, KPI acronyms, numbers, code.
ALLOWED = re.compile(
    r"^(?:[\W\d_]*|[a-z0-9_\-.]+(?: · .*)?|.*(?:LTV|CAC|GMV|ROI|YAML|CSV|HTML|PNG|SVG|JSON|Siyu|ID|P\(|Beta|`).*|"
    r"English|中文|Language / 语言|¥.*|[-+−]?[\d.,]+\s*[%kM]?)$")


def _texts(at: AppTest) -> list[str]:
    out: list[str] = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "success", "warning", "error"):
        out += [e.value for e in at.get(kind)]
    for kind in ("button", "selectbox", "radio", "multiselect", "number_input", "slider", "toggle",
                 "text_input", "text_area", "download_button", "metric", "expander", "tab"):
        out += [getattr(e, "label", "") for e in at.get(kind)]
        out += [e.help or "" for e in at.get(kind) if isinstance(getattr(e, "help", None), str)]  # ⓘ tooltips
    for chart in at.get("plotly_chart"):  # titles, axis titles and legend names of every figure
        spec = json.loads(chart.proto.spec)
        lay = spec.get("layout", {})
        for k, v in lay.items():
            if k == "title" or k.startswith(("xaxis", "yaxis")):
                title = v.get("title") if isinstance(v, dict) else None
                title = title.get("text") if isinstance(title, dict) and k != "title" else (
                    v.get("text") if k == "title" and isinstance(v, dict) else title)
                out.append(title if isinstance(title, str) else "")
        out += [a.get("text", "") for a in lay.get("annotations", [])]
        out += [d.get("name", "") for d in spec.get("data", []) if d.get("showlegend", True) is not False]
    return [x for x in out if isinstance(x, str) and x.strip()]


#: English texts that have a different Chinese text (units, parameter help): none may appear in a
#: Chinese line either ("0 至 50 posts per day" is half translated).
ENGLISH_PARTS = sorted({EN[k] for k in EN if k.startswith(("unit.", "field.")) and " " in EN[k]
                        and len(EN[k]) >= 8 and ZH[k] != EN[k]}, key=len, reverse=True)


def _untranslated(texts: list[str]) -> list[str]:
    bad = []
    for text in texts:
        for line in text.splitlines():
            line = re.sub(r"\*\*|`[^`]*`|<[^>]+>|:material/\w+:", "", line).strip(" -•·")
            if line and not CJK.search(line) and not ALLOWED.match(line):
                bad.append(line)
            elif any(part in line for part in ENGLISH_PARTS):
                bad.append(line)
    return bad


#: Every page of the dashboard's navigation (dashboard/app.py).
ALL_PAGES = [*PAGES, "views/sweep.py", "views/store.py", "views/sensitivity.py", "views/calibrate.py",
             "views/optimize.py"]


def test_the_chinese_check_covers_every_page_of_the_navigation():
    app = (pathlib.Path(__file__).resolve().parent.parent / "dashboard" / "app.py").read_text()
    assert sorted(ALL_PAGES) == sorted(f"views/{name}" for name in re.findall(r'VIEWS / "(\w+\.py)"', app))


@pytest.mark.parametrize("page", ALL_PAGES)
def test_every_page_in_chinese_has_no_untranslated_text(page):
    at = new_app(lang="zh").run()
    if page != "views/compare.py":
        at = at.switch_page(page).run()
    ok(at)
    texts = _texts(at)
    assert texts
    assert not _untranslated(texts), _untranslated(texts)[:10]


def test_the_untranslated_text_check_can_fail():
    assert _untranslated(["Valid scenario — 2 parameters differ"]) == ["Valid scenario — 2 parameters differ"]
    assert not _untranslated(["方案有效", "content_led", "¥12,109", "12.5%", "LTV:CAC"])
    assert _untranslated(["0 至 50 posts per day"]) == ["0 至 50 posts per day"]  # an English unit in Chinese
    assert _untranslated(["说明：Product ads / hard-sell posts pushed to the private pool."])
    assert set(EN) == set(ZH)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_reading_guide_has_every_section(lang):
    at = new_app(lang=lang).run()
    at = ok(at.switch_page("views/guide.py").run())
    table = EN if lang == "en" else ZH
    assert at.title[0].value == table["guide.title"]
    assert [h.value for h in at.subheader] == [table[f"guide.{k}.title"] for k in
                                               ("bands", "beats", "levels", "undefined", "defaults", "seeds")]
    assert any(table["common.never"] in m.value and "—" in m.value for m in at.markdown)


def _table_texts(at: AppTest) -> list[str]:
    """Column names and cells of every table, identifiers (``content_led``, ``strategy.x``) removed."""
    out: list[str] = []
    for df in at.dataframe:
        value = df.value
        for text in [*map(str, value.columns), *map(str, value.astype(str).to_numpy().ravel())]:
            out.append(re.sub(r"[A-Za-z0-9]*[_.][A-Za-z0-9_.]+|Δ", "", text))  # Δ: a symbol, not a word
    return [x for x in out if x.strip()]


def test_interactive_states_in_chinese_have_no_untranslated_text():
    """Compare with an explanation computed and a market change, then an edited scenario, in 中文."""
    import sim

    b = sim.load_scenario("rebate_led")
    variant = b.with_overrides({"name": "more_ads", "strategy.ad_posts_per_day": 2.0,
                                "strategy.content_posts_per_day": 1.0})
    at = ok(new_app(lang="zh", **{"lib.user": {"more_ads": variant}, "cmp.scenarios": ["rebate_led", "more_ads"],
                                  "cmp.horizon": 40}).run())
    ok(at.button(key="xp.run_btn").click().run())
    seen = {"compare, explained": _texts(at) + _table_texts(at)}
    assert len(at.dataframe) == 3  # KPI table, incremental KPIs, explanation parts
    ok(at.number_input(key="mkt.f.population.need_mean").set_value(0.55).run())
    seen["compare, market changed"] = _texts(at) + _table_texts(at)
    assert any("population" in c for df in at.dataframe for c in map(str, df.value.to_numpy().ravel()))
    at = ok(at.switch_page("views/editor.py").run())
    ok(at.number_input(key="ed.strategy.ad_posts_per_day").set_value(3.0).run())
    seen["editor"] = _texts(at) + _table_texts(at)
    for where, texts in seen.items():
        assert not _untranslated(texts), (where, _untranslated(texts)[:10])
        assert not [x for x in texts if re.search(r"\bnever\b", x)], where
    assert "条/天" in " ".join(seen["editor"])  # the diff table's unit, translated


def test_the_table_check_sees_english_cells():
    assert _untranslated([re.sub(r"[A-Za-z0-9]*[_.][A-Za-z0-9_.]+", "", "posts per day")]) == ["posts per day"]
    assert not _untranslated([re.sub(r"[A-Za-z0-9]*[_.][A-Za-z0-9_.]+", "", "content_posts_per_day: 0.0 → 1.0")])
