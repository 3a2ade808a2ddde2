"""Parameter help texts (the editor's ⓘ tooltips) in both languages.

The English is the schema's own (``sim/scenario.py``); the Chinese is the catalogue
``sim/locales/zh/params.yaml``, keyed by the field's dotted path. Every field must have both,
and a translation must keep the English's numbers and its citations (DOMAIN §N, EVIDENCE,
assumption) recognisable.
"""

from __future__ import annotations

import re

import pytest
from test_dashboard import new_app, ok

from dashboard import i18n as dash_i18n
from dashboard.editor import field_specs, phase_specs, shock_specs
from sim import i18n
from sim.scenario import Scenario

CJK = re.compile(r"[\u4e00-\u9fff]")
#: Chinese characters or full-width punctuation ("DOMAIN §5（Kelly）" is a translated citation).
CJK_TEXT = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
CITATION = re.compile(r"DOMAIN|EVIDENCE|§\d|assumption")


def schema_paths() -> list[str]:
    return [p for p, _ in i18n._schema_fields()]


def untranslated(en: dict[str, str], zh: dict[str, str]) -> list[str]:
    """English parameter texts (``field.*``) with no Chinese translation."""
    return [k for k in en if k.startswith("field.") and (not CJK_TEXT.search(zh.get(k, ""))
                                                          and not (k.endswith(".source") and zh.get(k) == en[k]))]


def test_every_schema_field_has_a_chinese_help_text_and_source():
    zh, en = i18n.load_catalogue("zh"), i18n.load_catalogue("en")
    paths = schema_paths()
    assert len(paths) == len(field_specs()) + len(shock_specs()) + len(phase_specs())  # every field the editor shows
    assert all(f"field.{p}.help" in en for p in paths)
    missing = untranslated(en, zh)
    assert not missing, f"add Chinese texts to sim/locales/zh/params.yaml for: {missing}"
    assert all(CJK.search(zh[f"field.{p}.help"]) for p in paths)
    stale = {k for k in zh if k.startswith("field.")} - set(en)
    assert not stale, f"sim/locales/zh/params.yaml translates fields the schema no longer has: {sorted(stale)}"


def test_a_new_field_without_a_translation_fails_the_check():
    en, zh = i18n.load_catalogue("en"), i18n.load_catalogue("zh")
    new = {**en, "field.strategy.new_lever.help": "A new lever.", "field.strategy.new_lever.source": "assumption"}
    assert untranslated(new, zh) == ["field.strategy.new_lever.help", "field.strategy.new_lever.source"]
    assert untranslated(en, {**zh, "field.horizon_days.help": "Days simulated."}) == ["field.horizon_days.help"]


def test_the_english_help_is_the_schemas_own_text():
    info = Scenario.model_fields["strategy"].annotation.model_fields["ad_posts_per_day"]
    assert info.description.startswith(i18n.field_help("strategy.ad_posts_per_day"))
    assert i18n.field_help("strategy.ad_posts_per_day") == "Product ads / hard-sell posts pushed to the private pool."
    assert i18n.field_source("strategy.ad_posts_per_day") == info.json_schema_extra["source"]
    assert " Unit: " not in i18n.field_help("strategy.ad_posts_per_day")
    assert i18n.field_help("shocks.start_day", "zh") == "冲击的第一天。"
    assert i18n.field_help("no.such.field", "zh", fallback="x") == "x"


@pytest.mark.parametrize("part", ["help", "source"])
def test_translations_keep_the_numbers_and_citations(part):
    en, zh = i18n.load_catalogue("en"), i18n.load_catalogue("zh")
    for path in schema_paths():
        key = f"field.{path}.{part}"
        if key not in en:
            continue
        assert sorted(NUMBER.findall(en[key])) == sorted(NUMBER.findall(zh[key])), (key, en[key], zh[key])
        for cite in set(CITATION.findall(en[key])):
            assert cite in zh[key], (key, cite, zh[key])
    assert i18n.field_source("horizon_days", "zh") == "假设（assumption）"


def test_the_check_of_numbers_and_citations_can_fail():
    assert NUMBER.findall("10% disable at 1/week, 5,000 friends") == ["10", "1", "5,000"]
    assert set(CITATION.findall("assumption; DOMAIN §5 (x)")) == {"assumption", "DOMAIN", "§5"}


def test_editor_tooltips_follow_the_language():
    at = new_app(lang="zh").run()
    at = ok(at.switch_page("views/editor.py").run())
    tip = at.number_input(key="ed.strategy.ad_posts_per_day").help
    assert dash_i18n.ZH["field.strategy.ad_posts_per_day.help"] in tip
    assert "来源：DOMAIN §4：微商每天发 7-8 条到几十条广告" in tip and "`strategy.ad_posts_per_day`" in tip
    assert "hard-sell" not in tip and "micro-merchants" not in tip
    take_up = at.number_input(key="ed.strategy.hooks.gift.take_up").help
    assert "领取率" in take_up and "假设（assumption）" in take_up
    at.radio(key="lang").set_value("en").run()
    ok(at)
    tip = at.number_input(key="ed.strategy.ad_posts_per_day").help
    assert "Product ads / hard-sell posts pushed to the private pool." in tip
    assert "Source: DOMAIN §4: micro-merchants post 7-8 to several dozen ads a day" in tip
