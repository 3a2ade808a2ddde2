"""The HTML report and the model's texts in both languages: "never", "—", P(paid back), 中文, colours."""

from __future__ import annotations

import math
import re

import pytest

import sim
from sim import i18n
from sim.figures import scenario_colors
from sim.report import compare_report_html, format_kpi


@pytest.fixture(scope="module")
def ensembles():
    small = {"population.n_users": 1000, "horizon_days": 60}
    # content_led does not pay back within 60 days; public_only has no private pool
    return {n: sim.simulate_many(sim.load_scenario(n, small), seeds=2, workers=1)
            for n in ("public_only", "content_led")}


def test_never_and_undefined_are_words_not_numbers(ensembles):
    content, public = ensembles["content_led"].summaries, ensembles["public_only"].summaries
    assert content["payback_day"].map(math.isinf).all() and (content["paid_back"] == 0).all()
    for kpi in ("churn_rate", "mean_trust"):
        assert public[kpi].isna().all(), kpi
    assert (public["ltv_referral"] == public["ltv"]).all()  # platform customers refer nobody
    assert (content["discounted_payback_day"].map(math.isinf)).all() and (content["paid_back_discounted"] == 0).all()
    page = compare_report_html(ensembles, baseline="public_only")
    payback_row = page.split(">Payback day <")[1].split("</tr>")[0]
    assert "<b>never</b>" in payback_row and "61" not in payback_row
    assert "P(paid back) 0%" in payback_row and "<b>—</b>" in page
    assert "Δ" not in payback_row  # no difference across "never"


def test_report_in_chinese(ensembles):
    page = compare_report_html(ensembles, baseline="public_only", lang="zh")
    assert '<html lang="zh">' in page and '<html lang="en">' not in page
    for text in ("关键指标", "累计利润", "从未", "回本概率 0%", "内容驱动", "纯公域", "随时间变化",
                 "净现值（NPV）", "折现回本日", "资金的时间价值", "按日复利"):
        assert text in page, text
    text = re.sub(r"<script.*?</script>", "", page, flags=re.S)  # plotly.js holds English words
    assert "Key figures" not in text and "never" not in text
    with pytest.raises(ValueError, match="lang"):
        compare_report_html(ensembles, lang="fr")


def test_report_colours_are_the_dashboards(ensembles):
    page = compare_report_html(ensembles, baseline="public_only")
    cols = scenario_colors(["public_only", "content_led"])
    for name, color in cols.items():
        assert re.search(rf'"line":\{{"color":"{color}"[^}}]*\}},"mode":"lines","name":"{name}"', page) \
            or f'"color":"{color}"' in page, name


def test_format_kpi_words_follow_the_language():
    assert format_kpi(math.inf, "day") == "never"
    assert format_kpi(math.inf, "day", lang="zh") == "从未"
    assert format_kpi(float("nan"), "share", lang="zh") == "—"


def test_every_model_text_has_both_languages():
    en, zh = i18n.load_catalogue("en"), i18n.load_catalogue("zh")
    assert set(en) == set(zh)
    field = re.compile(r"{(\w+)")
    for key in en:
        assert set(field.findall(en[key])) == set(field.findall(zh[key])), key


def test_every_schema_unit_and_shipped_scenario_is_translated():
    from dashboard.editor import field_specs, shock_specs

    units = {s.unit for s in field_specs() + shock_specs() if s.unit} | {u for _, u, _, _ in sim.KPI_INFO.values()}
    zh = i18n.load_catalogue("zh")
    assert not {u for u in units if f"unit.{u}" not in zh}
    for name in sim.list_scenarios():
        assert i18n.scenario_name(name, "zh") and re.search(r"[\u4e00-\u9fff]", i18n.scenario_name(name, "zh"))
        # the English description in the catalogue is the scenario file's own
        assert i18n.t(f"scn.{name}.desc") == sim.load_scenario(name).description.strip(), name


@pytest.mark.parametrize("override", [{"strategy.ad_posts_per_day": 500}, {"strategy.ads_targeted": "maybe"},
                                      {"strategy.content_posts_per_day": "x"}])
def test_validation_messages_are_translated(override):
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario("content_led").with_overrides(override)
    english = str(err.value)
    chinese = i18n.translate_message(english, "zh")
    assert chinese != english and re.search(r"[\u4e00-\u9fff]", chinese)
    assert "Input should" not in chinese and "allowed" not in chinese
    assert next(iter(override)) in chinese  # the field stays named
    assert i18n.translate_message(english, "en") == english


def test_unknown_key_hint_is_translated():
    with pytest.raises(sim.ScenarioError) as err:
        sim.parse_scenario_text("strategy:\n  ad_post_per_day: 3\n", where="x.yaml")
    zh = i18n.translate_message(str(err.value), "zh")
    assert zh == "x.yaml: 未知参数 'strategy.ad_post_per_day'；您是不是要输入 'ad_posts_per_day'？"
