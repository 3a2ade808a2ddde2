"""The dashboard's money over time: KPI cards for NPV and discounted payback, the cash-flow panel (AppTest)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import sim
from dashboard import runs
from dashboard.i18n import EN, ZH
from dashboard.panels import money as money_panel

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
SMALL = {"cmp.n_users": 600, "cmp.horizon": 90, "cmp.seeds": 2, "cmp.scenarios": ["public_only", "content_led"]}


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def cashflow_spec(at: AppTest) -> dict:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    found = [s for s in specs if s["layout"].get("barmode") == "relative"]
    assert len(found) == 1
    return found[0]


@pytest.fixture(scope="module")
def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in SMALL.items():
        at.session_state[k] = v
    return ok(at.run())


def test_compare_page_shows_npv_cards_and_the_cash_flow_of_the_picked_scenario(app):
    labels = [m.label for m in app.metric]
    assert sum(lab.startswith("public_only") for lab in labels) == 10  # one card per KPI and scenario
    assert any(EN["kpi.npv"] in m.value for m in app.markdown)
    assert any(EN["kpi.discounted_payback_day"] in m.value for m in app.markdown)
    spec = cashflow_spec(app)
    assert spec["layout"]["title"]["text"].startswith("public_only")
    assert [d["x"] for d in spec["data"][:1]] == [[1, 2, 3]]  # three 30-day months
    names = [d["name"] for d in spec["data"] if d["type"] == "bar"]
    assert names[0] == EN["money.chart.inflow"] and EN["cost.cost_ads"] in names
    caption = " ".join(c.value for c in app.caption)
    assert "NPV" in caption and "10% a year" in caption
    before = runs.CACHE.simulated
    ok(app.selectbox(key="money.pick").set_value("content_led").run())
    assert cashflow_spec(app)["layout"]["title"]["text"].startswith("content_led")
    assert runs.CACHE.simulated == before  # picking a scenario simulates nothing


def test_cash_flow_panel_in_chinese(app):
    ok(app.radio(key="lang").set_value("zh").run())
    spec = cashflow_spec(app)
    assert ZH["money.chart.inflow"] in [d.get("name") for d in spec["data"]]
    assert app.get("selectbox")  # the picker is still there
    assert any(ZH["money.title"] in h.value for h in app.subheader)
    ok(app.radio(key="lang").set_value("en").run())


def test_summary_text_and_chart_are_plain_functions():
    sc = sim.load_scenario("content_led").with_overrides({"population.n_users": 300, "horizon_days": 40})
    ens = sim.simulate_many(sc, seeds=[0, 1])
    text = money_panel.summary_text(ens, "content_led")
    npv = ens.summary_bands().loc["npv", "q50"]
    assert text.startswith("content_led: NPV") and f"{abs(npv):,.0f}"[:3] in text
    fig = money_panel.cashflow_chart(ens, "content_led", "zh")
    assert fig.data[0].name == ZH["money.chart.inflow"] and list(fig.data[0].x) == [1, 2]
