"""The dashboard's experiment side: sweep figures, the Sweep/Runs pages' logic and pages, the stored Compare default.

Every test keeps its results store in a tmp directory (``SIYU_STORE``), so nothing lands in
the repository. Runs are tiny (≤400 users, 40–60 days, 2 seeds).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import sim
from dashboard import recorded, runs, state, sweeps, ui
from dashboard.i18n import EN, ZH
from sim import ScenarioError, figures
from sim import experiments as ex

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
TINY = {"population.n_users": 300, "horizon_days": 40}


@pytest.fixture
def store(tmp_path, monkeypatch) -> ex.Store:
    monkeypatch.setenv("SIYU_STORE", str(tmp_path / "store"))
    return ex.Store()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


# --- figures ----------------------------------------------------------------------------------
def test_sweep_band_figure_draws_the_median_inside_its_band_and_gaps_never():
    bands = pd.DataFrame({"x": [3.0, 1.0, 2.0], "q10": [5.0, 1.0, 2.0], "q50": [6.0, 2.0, math.inf],
                          "q90": [7.0, 3.0, math.inf], "n": [4, 4, 4]})
    fig = figures.sweep_band_figure(bands, "x", "T", never="jamais")
    band, med = fig.data
    assert list(med.x) == [1.0, 2.0, 3.0]  # sorted by the parameter
    assert list(med.y) == [2.0, None, 6.0]  # inf is a gap, never a number
    assert list(band.y) == [3.0, None, 7.0, 5.0, 2.0, 1.0]  # q90 forward, q10 back; inf a gap
    assert band.fill == "toself"
    assert "jamais" in med.hovertext[1] and "1 … 3" in med.hovertext[0] and "n=4" in med.hovertext[0]


def test_sweep_heatmap_places_medians_and_shows_the_band_on_hover():
    bands = pd.DataFrame({"a": [1, 1, 2, 2], "b": [10, 20, 10, 20], "q10": [0.0, 1.0, 2.0, 3.0],
                          "q50": [0.5, 1.5, math.inf, 3.5], "q90": [1.0, 2.0, 3.0, 4.0], "n": [2, 2, 2, 2]})
    fig = figures.sweep_heatmap(bands, "a", "b", "H", fmt=lambda v: f"{v:.1f}")
    (hm,) = fig.data
    assert list(hm.x) == [1, 2] and list(hm.y) == [10, 20]
    assert [list(r) for r in hm.z] == [[0.5, None], [1.5, 3.5]]  # z[y][x]; inf left blank
    assert "0.0 … 1.0" in hm.text[0][0] and "never" in hm.text[0][1] and "n=2" in hm.text[1][1]
    assert "%{text}" in hm.hovertemplate


# --- logic ------------------------------------------------------------------------------------
def test_sweepable_fields_come_from_the_schema():
    fields = sweeps.sweepable()
    spec = fields["strategy.ad_posts_per_day"]
    par = ex.parameter("strategy.ad_posts_per_day")
    assert (spec.lo, spec.hi, spec.unit) == (par.lo, par.hi, par.unit)
    assert all(s.kind in ("int", "float") for s in fields.values())
    assert "name" not in fields and "strategy.ads_targeted" not in fields


def test_axis_values_spread_a_range_and_refuse_bad_ones():
    fields = sweeps.sweepable()
    assert sweeps.axis_values(fields["strategy.ad_posts_per_day"], 0, 2, 5) == [0.0, 0.5, 1.0, 1.5, 2.0]
    ints = sweeps.axis_values(fields["population.n_users"], 100, 103, 7)
    assert ints == sorted(set(ints)) and all(isinstance(v, int) for v in ints) and ints[0] == 100 and ints[-1] == 103
    spec = fields["strategy.ad_posts_per_day"]
    with pytest.raises(ScenarioError, match="outside the schema's bounds"):
        sweeps.axis_values(spec, 0, spec.hi + 1, 3)
    with pytest.raises(ScenarioError, match="reversed"):
        sweeps.axis_values(spec, 2, 1, 3)
    with pytest.raises(ScenarioError, match="points must be 2 to"):
        sweeps.axis_values(spec, 0, 1, 1)


def test_plan_counts_runs_and_refuses_absurd_sizes():
    base = sim.load_scenario("content_led")
    p = sweeps.plan(base, {"strategy.ad_posts_per_day": [0.0, 1.0, 2.0], "trust.initial": [0.2, 0.4]}, 3, 500, 60)
    assert (p.runs, len(p.design), p.user_days) == (18, 6, 18 * 500 * 60)
    assert p.base.population.n_users == 500 and p.base.horizon_days == 60
    with pytest.raises(ScenarioError, match=r"^\S+ runs .* is more than the 400 a page sweep may run") as err:
        sweeps.plan(base, {"strategy.ad_posts_per_day": list(range(25)), "trust.initial": [0.1, 0.2, 0.3]},
                    10, 500, 60)
    assert "\n" not in str(err.value)
    with pytest.raises(ScenarioError, match="user-days is more than"):
        sweeps.plan(base, {"strategy.ad_posts_per_day": [0.0, 1.0]}, 50, 200_000, 3_650)
    with pytest.raises(ScenarioError, match="one or two parameters"):
        sweeps.plan(base, {}, 3, 500, 60)


def _small_comparison(seeds=(0, 1)) -> dict[str, sim.Ensemble]:
    return runs.ensembles({n: sim.load_scenario(n).with_overrides(TINY) for n in ("public_only", "content_led")},
                          list(seeds), cache=runs.RunCache())


def test_a_recorded_comparison_reads_back_identical(store):
    ens = _small_comparison()
    experiment_id = recorded.remember(ens, store)
    assert experiment_id is not None and recorded.remember(ens, store) == experiment_id  # not twice
    assert len(store.list()) == 1
    scenarios = {f"my {n}": e.scenario for n, e in ens.items()}  # display names may differ
    found_id, back = recorded.lookup(scenarios, [0, 1], store)
    assert found_id == experiment_id and list(back) == list(scenarios)
    for name, e in ens.items():
        b = back[f"my {name}"]
        assert b.seeds == e.seeds and b.scenario.key() == e.scenario.key()
        for r, s in zip(e.runs, b.runs, strict=True):
            pd.testing.assert_frame_equal(r.daily.reset_index(drop=True), s.daily, check_dtype=False)
            assert r.summary == pytest.approx(s.summary, nan_ok=True)
    assert recorded.lookup(scenarios, [0, 1, 2], store) is None  # other seeds
    assert recorded.lookup(dict(reversed(scenarios.items())), [0, 1], store) is None  # another order
    other = {"x": sim.load_scenario("public_only").with_overrides({**TINY, "horizon_days": 41})}
    assert recorded.lookup(other, [0, 1], store) is None  # another scenario key


def test_a_broken_store_never_breaks_the_lookup(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(ex.StoreError):
        ex.Store(tmp_path / "file")
    assert recorded.find({"a": sim.load_scenario("public_only")}, [0], ex.Store(tmp_path / "empty")) is None


def test_chart_plan_and_band_table_follow_the_experiment(store):
    base = sim.load_scenario("content_led").with_overrides(TINY)
    one = ex.sweep(base, ex.grid({"strategy.ad_posts_per_day": [0.0, 2.0]}), 2, backend=ex.LocalBackend(1), store=store)
    two = ex.sweep(base, ex.grid({"strategy.ad_posts_per_day": [0.0, 2.0], "trust.initial": [0.2, 0.4]}), 2,
                   backend=ex.LocalBackend(1), store=store)
    assert sweeps.chart_plan(one) == "lines" and sweeps.chart_plan(two) == "heatmap"
    table = sweeps.band_table(one, ["cum_profit"], lambda k, v: f"{v:.0f}")
    assert list(table.columns) == ["strategy.ad_posts_per_day", "runs", "cum_profit"]
    q = one.band("cum_profit", by="strategy.ad_posts_per_day").iloc[0]
    assert table.loc[0, "cum_profit"] == f"{q['q50']:.0f} [{q['q10']:.0f}, {q['q90']:.0f}]"
    cmp_id = store.record("compare", _small_comparison())
    assert sweeps.chart_plan(ex.open(cmp_id, store)) == "scenarios"


# --- pages ------------------------------------------------------------------------------------
def sweep_page(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["lang"] = lang
    for k, v in {"sw.n_users": 300, "sw.horizon": 40, "sw.seeds": 2}.items():
        at.session_state[k] = v
    at.switch_page("views/sweep.py")
    return ok(at.run())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sweep_page_one_parameter_runs_and_draws_bands(store, lang):
    at = sweep_page(lang)
    table = {"en": EN, "zh": ZH}[lang]
    assert at.title[0].value == table["sw.title"]
    at.number_input(key="sw.hi.strategy.ad_posts_per_day").set_value(2.0)
    ok(at.number_input(key="sw.points.strategy.ad_posts_per_day").set_value(3).run())
    assert any("6" in c.value and ("runs" in c.value or "次运行" in c.value) for c in at.caption)  # said before running
    ok(at.button(key="sw.run_btn").click().run())
    (entry,) = store.list()
    assert entry["kind"] == "sweep" and entry["status"] == "complete" and entry["runs_done"] == 6
    charts = at.get("plotly_chart")
    assert len(charts) == len(at.multiselect(key="sw.res.kpis").value) >= 1
    assert at.dataframe[0].value.shape[0] == 3  # one row per point
    at.multiselect(key="sw.res.kpis").set_value(["roi"])
    assert len(ok(at.run()).get("plotly_chart")) == 1


def test_sweep_page_two_parameters_draw_a_heat_map(store):
    at = sweep_page()
    at.multiselect(key="sw.params").set_value(["strategy.ad_posts_per_day", "trust.initial"]).run()
    for path, hi in (("strategy.ad_posts_per_day", 2.0), ("trust.initial", 0.5)):
        at.number_input(key=f"sw.hi.{path}").set_value(hi)
        at.number_input(key=f"sw.points.{path}").set_value(2)
    ok(at.run())
    ok(at.button(key="sw.run_btn").click().run())
    (chart,) = at.get("plotly_chart")
    assert '"heatmap"' in chart.proto.spec
    assert store.list()[0]["runs_done"] == 8
    ok(at.selectbox(key="sw.res.kpi").set_value("roi").run())


def test_sweep_page_refuses_an_absurd_size_inline(store):
    at = sweep_page()
    at.number_input(key="sw.seeds").set_value(50)
    at.number_input(key="sw.points.strategy.ad_posts_per_day").set_value(25)
    at.run()
    assert not at.exception
    (err,) = at.error
    assert "more than the 400 a page sweep may run" in err.value and "\n" not in err.value
    assert at.button(key="sw.run_btn").disabled
    assert store.list() == []


def test_runs_page_lists_and_reopens_sweeps_comparisons_and_partial_ones(store):
    base = sim.load_scenario("content_led").with_overrides(TINY)
    ex.sweep(base, ex.grid({"strategy.ad_posts_per_day": [0.0, 2.0]}), 2, backend=ex.LocalBackend(1), store=store,
             id="done-sweep")

    class Stop(Exception):
        pass

    def stop_after_two(done, total):
        if done >= 2:
            raise Stop

    with pytest.raises(Stop):
        ex.sweep(base, ex.grid({"trust.initial": [0.2, 0.3, 0.4]}), 2, backend=ex.LocalBackend(1), store=store,
                 id="cut-sweep", progress=stop_after_two, chunk_runs=1)
    cmp_id = store.record("compare", _small_comparison())
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("views/store.py")
    ok(at.run())
    listed = at.dataframe[0].value
    assert set(listed[EN["store.col.id"]]) == {"done-sweep", "cut-sweep", cmp_id}
    assert dict(zip(listed[EN["store.col.id"]], listed[EN["store.col.status"]], strict=True))["cut-sweep"] == "partial"
    for picked in ("done-sweep", "cut-sweep", cmp_id):
        ok(at.selectbox(key="store.pick").set_value(picked).run())
        assert at.get("plotly_chart"), picked
        warned = [w.value for w in at.warning]
        assert bool(warned) == (picked == "cut-sweep"), (picked, warned)
    ok(at.selectbox(key="store.pick").set_value("cut-sweep").run())
    assert "2 of 6 runs" in at.warning[0].value


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_runs_page_says_when_the_store_is_empty(store, lang):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.switch_page("views/store.py")
    ok(at.run())
    table = {"en": EN, "zh": ZH}[lang]
    assert at.title[0].value == table["store.title"] and at.info[0].value == table["store.empty"]


# --- the Compare page's default from the store --------------------------------------------------
def cold_server(monkeypatch) -> None:
    """Empty the process-wide run cache, as on a fresh server, and count simulations from 0."""
    runs.CACHE.clear()
    monkeypatch.setattr(runs.CACHE, "simulated", 0)


def test_compare_default_is_recorded_then_read_back_on_a_cold_start(store, monkeypatch):
    small = {"cmp.scenarios": ["public_only", "content_led"], "cmp.n_users": 300, "cmp.horizon": 40, "cmp.seeds": 2}
    monkeypatch.setattr(state, "DEFAULTS", {**state.DEFAULTS, **small})
    cold_server(monkeypatch)
    first = ok(AppTest.from_file(APP, default_timeout=180).run())
    assert first.session_state["cmp.results"].stored is None and runs.CACHE.simulated == 4
    (entry,) = store.list()
    assert entry["kind"] == "compare" and entry["status"] == "complete"

    cold_server(monkeypatch)
    cold = ok(AppTest.from_file(APP, default_timeout=180).run())
    comp = cold.session_state["cmp.results"]
    assert comp.stored == entry["id"] and runs.CACHE.simulated == 0
    assert len([c for c in cold.get("plotly_chart") if c.key.startswith("cmp.")]) == 2 and len(cold.metric) == len(ui.CARD_KPIS) * 2
    assert any(entry["id"] in c.value for c in cold.caption)
    old = first.session_state["cmp.results"]
    for name in old.names:
        assert list(comp.ensembles[name].summaries["cum_profit"]) == list(old.ensembles[name].summaries["cum_profit"])
    ok(cold.radio(key="cmp.chart").set_value("trust").run())  # presentation reruns read nothing again
    assert runs.CACHE.simulated == 0 and not cold.info
    ok(cold.switch_page("views/flows.py").run())  # needs users tables: simulated for real
    assert runs.CACHE.simulated == 4 and cold.session_state["cmp.results"].stored is None
    assert len(store.list()) == 1  # recorded once


def test_a_comparison_that_is_not_the_default_is_not_recorded(store, monkeypatch):
    cold_server(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in {"cmp.n_users": 300, "cmp.horizon": 40, "cmp.seeds": 2}.items():
        at.session_state[k] = v
    ok(at.run())
    assert store.list() == []
