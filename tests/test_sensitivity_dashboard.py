"""The Sensitivity page: it runs a tiny analysis into the store and draws it; bad input is an inline line.

The results store lives in a tmp directory (``SIYU_STORE``); runs are tiny (300 users × 30 days).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.i18n import EN, ZH
from sim import experiments as ex

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


@pytest.fixture
def store(tmp_path, monkeypatch) -> ex.Store:
    monkeypatch.setenv("SIYU_STORE", str(tmp_path / "store"))
    return ex.Store()


def page(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["lang"] = lang
    for k, v in {"sens.n_users": 300, "sens.horizon": 30, "sens.seeds": 2, "sens.samples": 2,
                 "sens.params": ["strategy.ad_posts_per_day", "product.margin_rate"]}.items():
        at.session_state[k] = v
    at.switch_page("views/sensitivity.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_page_speaks_chinese():
    at = page("zh")
    assert at.title[0].value == ZH["sens.title"]
    assert any("22 次运行" in c.value for c in at.caption)


def test_the_page_runs_a_small_morris_analysis_and_draws_tornado_and_bars(store):
    at = page()
    table = EN
    assert at.title[0].value == table["sens.title"]
    assert any("22 runs" in c.value for c in at.caption)  # (2 × 3 + 5) points × 2 seeds, said before running
    at.button(key="sens.run_btn").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (entry,) = store.list()
    assert entry["id"].startswith("sens-") and entry["status"] == "complete" and entry["runs_done"] == 22
    charts = at.get("plotly_chart")
    assert len(charts) == 2 and '"bar"' in charts[0].proto.spec
    assert at.dataframe[0].value.shape[0] == 2
    assert [m.label for m in at.metric][:1] == [table["sens.seed_share"]]


def test_bad_input_is_one_inline_line_and_nothing_runs(store):
    at = page()
    at.number_input(key="sens.lo.product.margin_rate").set_value(0.5)
    at.number_input(key="sens.hi.product.margin_rate").set_value(0.3).run()
    assert not at.exception
    (err,) = at.error
    assert "reversed" in err.value and "\n" not in err.value
    assert at.button(key="sens.run_btn").disabled
    at.number_input(key="sens.hi.product.margin_rate").set_value(0.6)
    at.radio(key="sens.method").set_value("sobol").run()
    (err,) = at.error
    assert "--samples must be 8 to 8,192" in err.value
    at.number_input(key="sens.samples").set_value(12).run()
    (err,) = at.error
    assert "power of 2" in err.value
    assert store.list() == []


def test_the_runs_page_draws_a_stored_analysis_with_its_tornado_and_indices(store):
    import sim
    from sim.planning import sensitivity as sa

    base = sim.load_scenario("content_led").with_overrides({"population.n_users": 300, "horizon_days": 30})
    vary = {"strategy.ad_posts_per_day": (0.0, 3.0), "product.margin_rate": (0.2, 0.5)}
    with ex.LocalBackend(workers=1) as backend:
        res = sa.sensitivity(base, "morris", vary=vary, samples=2, seeds=2, backend=backend, store=store)
        again = sa.sensitivity(base, "morris", vary=vary, kpi="roi", samples=2, seeds=2, backend=backend,
                               store=store, id=res.id)  # a second KPI of the same runs
    assert again.id == res.id and len(store.list()) == 1
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("views/store.py")
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    keys = [c.key for c in at.get("plotly_chart")]
    assert keys == ["store.res.sens.tornado", "store.res.sens.bars"]  # not a sweep's line charts
    assert at.subheader[0].value == EN["sens.results"].format(kpi=EN["kpi.cum_profit"], method=EN["sens.method.morris"])
    assert [m.label for m in at.metric] == [EN["sens.seed_share"], EN["sens.noise_share"], EN["sens.runs"]]
    assert at.metric[2].value == f"{res.runs:,}"
    ranked = at.dataframe[1].value  # the store's list first, then the indices
    assert ranked.shape[0] == 2 and ranked[EN["sens.col.rank"]].tolist() == [1, 2]
    at.selectbox(key="store.res.sens_kpi").set_value("roi").run()
    assert not at.exception and not at.error
    assert at.subheader[0].value.startswith(EN["sens.results"].split("{")[0]) and "ROI" in at.subheader[0].value
    assert [c.key for c in at.get("plotly_chart")] == ["store.res.sens.tornado", "store.res.sens.bars"]
