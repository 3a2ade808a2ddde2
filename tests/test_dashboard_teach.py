"""AppTest tests of the market panel, the slide-export popover and the Learn page's new demos."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest
from test_dashboard import new_app as _new_app
from test_dashboard import ok

from dashboard.i18n import EN, ZH
from dashboard.panels import market as market_panel
from sim.figures import export

TINY = {"cmp.n_users": 500, "cmp.horizon": 40, "cmp.seeds": 1}


def new_app(**state) -> AppTest:
    """The dashboard with an even smaller first comparison than ``test_dashboard``'s."""
    return _new_app(**{**TINY, **state})


def test_market_panel_applies_to_every_scenario_and_lists_the_differences():
    at = ok(new_app().run())
    res = at.session_state["cmp.results"]
    assert all(e.scenario.product.order_value == 80.0 for e in res.ensembles.values())
    assert any(c.value == EN["mkt.same"] for c in at.caption)
    ok(at.number_input(key="mkt.f.product.order_value").set_value(200.0).run())
    ok(at.number_input(key="mkt.f.product.margin_rate").set_value(0.6).run())
    assert at.session_state[market_panel.OVERRIDES_KEY] == {"product.order_value": 200.0, "product.margin_rate": 0.6}
    assert any("new runs to simulate" in i.value for i in at.info)  # a market change needs a run
    ok(at.button(key="cmp.run_btn").click().run())
    res = at.session_state["cmp.results"]
    scns = {n: e.scenario for n, e in res.ensembles.items()}
    assert len(scns) == 3
    assert all(s.product.order_value == 200.0 and s.product.margin_rate == 0.6 for s in scns.values())
    # each keeps its own strategy
    assert len({s.strategy.model_dump_json() for s in scns.values()}) == 3
    diff = next(d.value for d in at.dataframe if EN["mkt.col.field"] in d.value.columns)
    assert list(diff[EN["mkt.col.field"]]) == ["product.order_value", "product.margin_rate"]
    assert list(diff[EN["mkt.col.default"]]) == ["80.0", "0.4"]
    # back to the defaults
    ok(at.button(key="mkt.reset").click().run())
    assert at.session_state[market_panel.OVERRIDES_KEY] == {}
    assert at.number_input(key="mkt.f.product.order_value").value == 80.0


def test_every_chart_offers_slide_export_with_presets():
    at = ok(new_app().run())
    keys = {b.key for b in at.get("download_button")}
    for fmt in export.FORMATS:
        assert f"cmp.fig.export.{fmt}" in keys and f"cmp.prob_fig.export.{fmt}" in keys
    assert at.radio(key="cmp.fig.export.size").options == ["1920 × 1080", "1280 × 720", EN["export.custom"]]


def test_an_export_size_out_of_range_is_one_inline_line():
    at = ok(new_app().run())
    at.radio(key="cmp.fig.export.size").set_value("custom").run()
    at.number_input(key="cmp.fig.export.w").set_value(9000).run()
    assert not at.exception
    errs = [e.value for e in at.error]
    assert errs == ["export size: 9000×900 px is out of range (width 320 to 3840, height 240 to 2160 px)"]
    assert "cmp.fig.export.png" not in {b.key for b in at.get("download_button")}


def test_export_without_a_browser_says_so_in_one_line(monkeypatch):
    monkeypatch.setenv("SIYU_CHROMIUM", "/nonexistent/chromium")
    at = new_app().run()
    assert not at.exception
    assert EN["export.no_browser"] in [w.value for w in at.warning]
    assert "cmp.fig.export.png" not in {b.key for b in at.get("download_button")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_learn_cascade_shows_threshold_theory_seeding_and_what_to_tell(lang):
    at = new_app(lang=lang)
    at.switch_page("views/learn.py").run()
    ok(at.radio(key="learn.topic").set_value("cascade").run())
    cat = EN if lang == "en" else ZH
    specs = {c.key if hasattr(c, "key") else i: json.loads(c.proto.spec) for i, c in enumerate(at.get("plotly_chart"))}
    assert len(specs) == 2
    names = [[tr.get("name") for tr in s["data"]] for s in specs.values()]
    assert cat["learn.cascade.theory"] in names[0] and cat["learn.cascade.each_seed"] in names[0]
    assert cat["learn.cascade.targeted"] in names[1] and cat["learn.cascade.random"] in names[1]
    assert any(m.value == cat["teach.cascade"] for m in at.markdown)
    assert any(m.value == f"**{cat['teach.heading']}**" for m in at.markdown)


@pytest.mark.parametrize("topic", ["pools", "spam"])
def test_every_learn_demo_has_its_paragraph(topic):
    at = new_app()
    at.switch_page("views/learn.py").run()
    ok(at.radio(key="learn.topic").set_value(topic).run())
    assert any(m.value == EN[f"teach.{topic}"] for m in at.markdown)
