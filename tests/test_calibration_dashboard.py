"""The Calibrate page (AppTest, English and 中文): the shipped sample, bad choices as inline one-line
messages (never an exception), a small run with its table, four figures and the calibrated YAML
to download, the run listed on the Runs page; and the page's plain logic."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

import sim
from dashboard import calibration as logic
from dashboard.i18n import EN, ZH
from sim import ScenarioError
from sim import experiments as ex

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


@pytest.fixture
def store(tmp_path, monkeypatch) -> ex.Store:
    monkeypatch.setenv("SIYU_STORE", str(tmp_path / "store"))
    return ex.Store()


def page(lang: str = "en", **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state["lang"] = lang
    for k, v in {"cal.n_users": 1000, "cal.horizon": 120, "cal.budget": 80, "cal.seeds": 2,
                 "cal.params": ["public.platform_conversion"], **state}.items():
        at.session_state[k] = v
    at.switch_page("views/calibrate.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_offers_the_sample_and_says_the_size_before_running(store, lang):
    at = page(lang)
    table = {"en": EN, "zh": ZH}[lang]
    assert at.title[0].value == table["cal.title"]
    assert not at.error
    captions = " ".join(c.value for c in at.caption)
    assert "0.1" in captions and "content_led" in captions  # the sample's stated true values
    assert "80" in captions  # the budget, said before running
    assert not at.button(key="cal.run_btn").disabled


@pytest.mark.parametrize(("state", "needle"), [
    ({"cal.horizon": 30}, "spans 90 days, longer than the scenario's horizon of 30 days"),
    ({"cal.lo.public.platform_conversion": 0.5, "cal.hi.public.platform_conversion": 0.2}, "is reversed"),
    ({"cal.lo.public.platform_conversion": 0.3, "cal.hi.public.platform_conversion": 0.3}, "empty range"),
    ({"cal.budget": 30}, "too small for a population of 20 particles"),
])
def test_bad_choices_are_one_inline_line(store, state, needle):
    at = page(**state)
    assert len(at.error) == 1 and needle in at.error[0].value and "\n" not in at.error[0].value
    assert at.button(key="cal.run_btn").disabled


def test_no_parameter_picked_says_so(store):
    at = page(**{"cal.params": []})
    assert any(EN["cal.pick"] in i.value for i in at.info) and at.button(key="cal.run_btn").disabled


def test_a_small_run_shows_the_posterior_figures_and_the_yaml(store):
    at = page(**{"cal.params": ["public.platform_conversion", "public.organic_reach_per_day"],
                 "cal.series": ["purchases", "new_joins"]})
    at.button(key="cal.run_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    result = at.session_state["cal.result"]
    assert result.info["status"] == "complete" and result.id.startswith("calib-")
    assert store.manifest(result.id)["kind"] == "calibration"
    rows = at.dataframe[-1].value
    assert len(rows) == 2 and set(rows[EN["cal.col.param"]].str.contains("platform_conversion|organic_reach"))
    charts = [c for c in at.get("plotly_chart")]
    assert len(charts) == 4  # pair, marginals, fit, forecast
    text = result.calibrated_yaml()
    data = yaml.safe_load(text)
    assert data["extends"] == "content_led" and data["population"]["n_users"] == 1000
    loaded = sim.parse_scenario_text(text)  # an upload may extend a shipped scenario
    assert loaded.public.platform_conversion == result.medians()["public.platform_conversion"]
    # the Runs page shows the stored calibration (its forecast runs) without an error
    at.switch_page("views/store.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="store.pick").set_value(result.id).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [c.key for c in at.get("plotly_chart")]  # its posterior, as on the Calibrate page
    assert shown == ["store.res.cal.pair", "store.res.cal.marginals", "store.res.cal.fit", "store.res.cal.forecast"]
    assert [b.key for b in at.download_button] == ["store.res.cal.download"]


def test_logic_refuses_bad_input_in_one_line():
    pilot = logic.read_upload(None, None)
    assert pilot.rows == 90 and pilot.source == "content_led_pilot.csv"
    with pytest.raises(ScenarioError, match="unknown column 'sales'"):
        logic.read_upload(b"day,sales\n" + b"".join(b"%d,1\n" % d for d in range(1, 10)), "mine.csv")
    with pytest.raises(ScenarioError, match="^mine.csv: row 3, column 'new_joins': -2 is negative"):
        logic.read_upload(b"day,new_joins\n1,1\n2,-2\n" + b"".join(b"%d,1\n" % d for d in range(3, 10)), "mine.csv")
    base = sim.load_scenario("content_led")
    with pytest.raises(ScenarioError, match="budget must be 1 to 3,000 runs on this page"):
        logic.plan(base, pilot, {"public.platform_conversion": (0.0, 0.5)}, 5000, 5, 1000, 120)
    with pytest.raises(ScenarioError, match="more than a page run may take"):
        logic.plan(base, pilot, {"public.platform_conversion": (0.0, 0.5)}, 3000, 5, 200_000, 120)
    assert "strategy.ad_posts_per_day" not in logic.fittable() and "population.n_users" not in logic.fittable()
    assert "public.platform_conversion" in logic.fittable()
    assert all(spec.kind == "float" for spec in logic.fittable().values())
