"""Why does A beat B? (sim.planning.explain): Shapley parts per seed, zero for equal levers,
sign flips on swap, the cache, refusals, the waterfall figure, the CLI and the dashboard panel."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest
from test_cli import one_line_error
from typer.testing import CliRunner

import sim
from sim import figures, planning
from sim.cli import app
from sim.experiments import DaskBackend, LocalBackend

TINY = {"population.n_users": 600, "horizon_days": 60}
#: A differs from B (rebate_led) in three lever groups: ads, content and rebates.
CHANGES = {"strategy.ad_posts_per_day": 2.0, "strategy.content_posts_per_day": 1.0,
           "strategy.cashback_rate": 0.0}


@pytest.fixture(scope="module")
def pair() -> tuple[sim.Scenario, sim.Scenario]:
    b = sim.load_scenario("rebate_led").with_overrides(TINY)
    a = b.with_overrides({**CHANGES, "name": "tuned"})
    return a, b


@pytest.fixture(scope="module")
def cache() -> planning.KpiCache:
    return planning.KpiCache()


@pytest.fixture(scope="module")
def expl(pair, cache) -> planning.Explanation:
    a, b = pair
    return planning.explain(a, b, "cum_profit", 3, cache=cache)


# --- the decomposition on real runs -----------------------------------------------------------
def test_parts_add_up_to_the_difference_in_every_seed(pair, expl):
    a, b = pair
    assert expl.groups and set(expl.groups) == {"ads", "content", "rebates"}
    assert expl.coalitions == 8 and expl.runs == 24 and expl.seeds == [0, 1, 2]
    parts = sum(expl.contributions[g] for g in expl.groups)
    scale = max(1.0, float(np.abs(expl.total).max()))
    np.testing.assert_allclose(parts, expl.total, rtol=0, atol=1e-9 * scale)
    assert expl.residual() <= 1e-9 * scale
    assert np.abs(expl.total).min() > 0  # a real difference, not 0 = 0
    # the empty coalition is B and the full one is A, seed by seed
    for j, seed in enumerate(expl.seeds[:2]):
        assert expl.value_a[j] == sim.simulate(a, seed).summary["cum_profit"]
        assert expl.value_b[j] == sim.simulate(b, seed).summary["cum_profit"]


def test_a_lever_equal_in_a_and_b_contributes_exactly_zero(pair, expl, cache):
    assert "events" not in expl.groups and "referral" not in expl.groups
    assert np.all(expl.contribution("events") == 0.0)
    # a lever that differs but changes nothing (content cost when no content is posted) is a
    # null player: exactly zero in every seed, and the other group takes the whole difference
    _, b = pair
    a2 = b.with_overrides({"strategy.ad_posts_per_day": 2.0, "strategy.content_cost_per_post": 99.0})
    e2 = planning.explain(a2, b, "cum_profit", 2, cache=cache)
    assert set(e2.groups) == {"ads", "content"}
    assert np.all(e2.contributions["content"] == 0.0)
    np.testing.assert_allclose(e2.contributions["ads"], e2.total, rtol=0, atol=1e-9)


def test_swapping_a_and_b_flips_the_signs_and_reuses_the_cache(pair, expl, cache):
    a, b = pair
    swapped = planning.explain(b, a, "cum_profit", 3, cache=cache)
    assert swapped.simulated == 0  # the swapped pair's coalitions are the same scenarios
    assert set(swapped.groups) == set(expl.groups)
    for g in expl.groups:
        np.testing.assert_allclose(swapped.contributions[g], -expl.contributions[g], rtol=1e-12, atol=1e-9)
        assert swapped.directions[g] != expl.directions[g] or expl.directions[g] == "changed"
    np.testing.assert_allclose(swapped.total, -expl.total)


def test_another_kpi_of_the_same_pair_simulates_nothing(pair, expl, cache):
    a, b = pair
    other = planning.explain(a, b, "gmv_total", 3, cache=cache)
    assert other.simulated == 0 and other.kpi == "gmv_total"
    assert other.residual() <= 1e-9 * max(1.0, float(np.abs(other.total).max()))


def test_never_or_undefined_kpis_are_refused_with_one_line(pair, cache):
    a, b = pair
    with pytest.raises(sim.ScenarioError, match=r"payback_day is 'never' in \d+ of the 24 coalition runs"):
        planning.explain(a, b, "payback_day", 3, cache=cache)  # 60 days: never paid back

    def nan_runner(runs, progress=None):
        return [{"cac": math.nan if i == 0 else 1.0} for i, _ in enumerate(runs)]

    with pytest.raises(sim.ScenarioError, match="cac is undefined in 1 of the 8 coalition runs") as err:
        planning.explain(a, b, "cac", 1, backend=nan_runner, cache=None)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kpi": "cum_proft"}, "unknown KPI 'cum_proft'; did you mean 'cum_profit'?"),
    ({"seeds": 0}, "seeds must be 1 to 50 (got 0)"),
    ({"seeds": 51}, "seeds must be 1 to 50 (got 51)"),
])
def test_bad_arguments_are_one_line_errors(pair, kwargs, message):
    a, b = pair
    with pytest.raises(sim.ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        planning.explain(a, b, **kwargs, backend=lambda runs, progress=None: pytest.fail("ran"))


def test_same_parameters_have_nothing_to_explain(pair):
    _, b = pair
    with pytest.raises(sim.ScenarioError, match="same parameters"):
        planning.explain(b.with_overrides({"name": "copy", "description": "other words"}), b)


# --- backends ---------------------------------------------------------------------------------
def test_default_backend_is_local_and_sized_to_the_work(pair):
    _, b = pair
    small = planning.local_backend([(b, 0), (b, 1)])
    assert isinstance(small, LocalBackend) and small.workers == 1  # a pool would cost more than it saves
    big = b.with_overrides({"population.n_users": 20_000, "horizon_days": 365})
    assert planning.local_backend([(big, s) for s in range(8)]).workers == min(8, os.cpu_count() or 1)


def test_a_dask_backend_gives_the_same_explanation_bit_for_bit(pair, expl):
    a, b = pair
    with DaskBackend(workers=2) as dask:  # a LocalCluster on 127.0.0.1, closed on exit
        assert dask.client.scheduler.address.startswith("tcp://127.0.0.1:")
        e = planning.explain(a, b, "cum_profit", 3, backend=dask, cache=planning.KpiCache())
    assert e.simulated == 24 and e.groups == expl.groups
    for g in expl.groups:
        np.testing.assert_array_equal(e.contributions[g], expl.contributions[g])
    np.testing.assert_array_equal(e.total, expl.total)


# --- the Shapley arithmetic, with a runner whose answer is known ----------------------------
def fake_runner(a: sim.Scenario):
    """v(S) = 100·ads − 30·content + 7·rebates + 20·ads·content + seed (ads, content: A's levers)."""
    def run(runs, progress=None):
        rows = []
        for scn, seed in runs:
            ads = scn.strategy.ad_posts_per_day == a.strategy.ad_posts_per_day
            content = scn.strategy.content_posts_per_day == a.strategy.content_posts_per_day
            rebates = scn.strategy.cashback_rate == a.strategy.cashback_rate
            rows.append({"cum_profit": 100 * ads - 30 * content + 7 * rebates + 20 * (ads and content) + seed})
        if progress:
            progress(len(rows), len(rows))
        return rows
    return run


def test_exact_shapley_values_split_an_interaction_equally(pair):
    a, b = pair
    e = planning.explain(a, b, seeds=[0, 5], backend=fake_runner(a), cache=None)
    assert e.coalitions == 8 and e.simulated == 16
    np.testing.assert_allclose(e.contributions["ads"], [110, 110])
    np.testing.assert_allclose(e.contributions["content"], [-20, -20])
    np.testing.assert_allclose(e.contributions["rebates"], [7, 7])
    assert e.groups == ["ads", "content", "rebates"]  # largest |mean| first
    np.testing.assert_allclose(e.value_b, [0, 5])
    np.testing.assert_allclose(e.total, [97, 97])


def test_groups_table_covers_every_strategy_field_and_names_only_real_fields():
    leaves = planning.field_values(sim.Scenario())
    for path in leaves:
        group = planning.group_of(path)
        if path.startswith(("strategy.", "touchpoints.")):
            assert group != planning.MARKET, path
        else:
            assert group == planning.MARKET, path
    for name, _kind, paths in planning.GROUPS:
        for p in paths:
            assert any(leaf == p or leaf.startswith(p + ".") for leaf in leaves), (name, p)


def test_lever_words_and_sentence_read_the_shipped_pair():
    a, b = sim.load_scenario("content_led"), sim.load_scenario("rebate_led")
    groups = planning.lever_groups(a, b)
    assert list(groups) == ["content", "ads", "rebates", "referral", "events", "hooks", "lifecycle", "touchpoints"]
    assert groups["rebates"]["strategy.cashback_rate"] == (0.0, 0.1)

    def run(runs, progress=None):
        return [{"cum_profit": float(scn.strategy.content_posts_per_day * 1000 - scn.strategy.cashback_rate * 500)}
                for scn, _ in runs]

    e = planning.explain(a, b, seeds=1, backend=run, cache=None)
    assert e.coalitions == 256
    assert e.directions["rebates"] == "off" and e.directions["content"] == "on"
    assert e.directions["ads"] == "changed" and e.directions["touchpoints"] == "changed"
    assert e.lever_label("rebates") == "dropping rebates"
    text = e.sentence()
    assert text.startswith("content_led vs rebate_led, cumulative profit (mean of 1 seed): "
                           "content_led − rebate_led = +1,550 RMB, of which adding value content +1,500 RMB, "
                           "dropping rebates +50.0 RMB")
    doc = json.loads(json.dumps(e.to_dict(), allow_nan=False))
    assert doc["groups"][0]["group"] == "content" and doc["groups"][0]["per_seed"] == [pytest.approx(1500.0)]
    assert doc["groups"][0]["fields"]["strategy.content_posts_per_day"] == {"a": 1.5, "b": 0.0}
    zh = e.sentence(texts={"dir.off": "停止{group}", "group.rebates": "返利"})
    assert "停止返利 +50.0 RMB" in zh


# --- the waterfall figure ---------------------------------------------------------------------
def test_waterfall_runs_from_b_through_the_parts_to_a(pair):
    a, b = pair
    e = planning.explain(a, b, seeds=[0, 1, 2], backend=fake_runner(a), cache=None)
    fig = figures.explain_figure(e)
    assert isinstance(fig, go.Figure) and len(fig.data) == 1
    bar = fig.data[0]
    assert list(bar.x) == [b.name, "more ads", "adding value content", "dropping rebates", "tuned"]
    y, base = np.array(bar.y, dtype=float), np.array(bar.base, dtype=float)
    assert base[0] == 0 and y[0] == pytest.approx(1.0)  # mean of B over seeds 0, 1, 2
    np.testing.assert_allclose(base[1:4], y[0] + np.cumsum([0, *y[1:3]]))  # each part starts where the last ended
    assert base[3] + y[3] == pytest.approx(y[4])  # the last part ends at A's mean
    assert list(bar.marker.color[1:4]) == [figures.WATERFALL_COLORS["good"], figures.WATERFALL_COLORS["bad"],
                                           figures.WATERFALL_COLORS["good"]]
    assert min(bar.error_y.array) >= 0 and min(bar.error_y.arrayminus) >= 0
    assert bar.error_y.array[0] == pytest.approx(0.8)  # B over seeds 0..2: q90 1.8 − mean 1
    assert "Why tuned differs from rebate_led" in fig.layout.title.text
    assert list(bar.text) == ["", "+110", "-20.0", "+7.00", ""]  # sim.report.format_kpi, signed


def test_waterfall_texts_are_injectable(pair):
    a, b = pair
    e = planning.explain(a, b, seeds=1, backend=fake_runner(a), cache=None)
    fig = figures.explain_figure(e, "为什么", labels={"ads": "广告", "a": "甲", "b": "乙"}, y_title="利润",
                                 band_label="种子 10–90%", fmt=lambda x: f"Δ{x:.0f}")
    assert fig.layout.title.text == "为什么" and fig.layout.yaxis.title.text == "利润"
    assert list(fig.data[0].x)[:2] == ["乙", "广告"] and fig.data[0].x[-1] == "甲"
    assert fig.data[0].text[1] == "Δ110" and fig.data[0].name == "种子 10–90%"


# --- CLI ----------------------------------------------------------------------------------------
SMALL_ARGS = ["--users", "300", "--days", "30", "--seeds", "2"]


@pytest.fixture
def runner():
    return CliRunner(env={"COLUMNS": "250"})


@pytest.fixture
def variant(tmp_path):
    f = tmp_path / "more_ads.yaml"
    f.write_text("name: more_ads\nextends: rebate_led\nstrategy:\n  ad_posts_per_day: 2\n  content_posts_per_day: 1\n")
    return str(f)


def test_cli_json_is_one_document_whose_parts_add_up(runner, variant):
    result = runner.invoke(app, ["explain", variant, "rebate_led", *SMALL_ARGS, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["a"] == "more_ads" and doc["b"] == "rebate_led" and doc["kpi"] == "cum_profit"
    assert doc["coalitions"] == 4 and doc["runs"] == 8 and doc["seeds"] == [0, 1]
    assert doc["size"] == {"n_users": 300, "horizon_days": 30}
    assert {g["group"] for g in doc["groups"]} == {"ads", "content"}
    for j in range(2):
        assert sum(g["per_seed"][j] for g in doc["groups"]) == pytest.approx(doc["total"]["per_seed"][j], abs=1e-6)
    assert doc["sentence"].startswith("more_ads vs rebate_led, cumulative profit (mean of 2 seeds)")
    assert doc["backend"]["backend"] == "local"


def test_cli_runs_the_coalitions_on_a_dask_cluster(runner, variant):
    local = json.loads(runner.invoke(app, ["explain", variant, "rebate_led", *SMALL_ARGS, "--json"]).stdout)
    planning.CACHE.clear()  # else the cached coalitions would never reach the cluster
    result = runner.invoke(app, ["explain", variant, "rebate_led", *SMALL_ARGS, "--json", "--workers", "2"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["backend"]["backend"] == "dask" and doc["backend"]["workers"] == 2
    assert doc["simulated"] == doc["runs"] == 8
    assert [g["per_seed"] for g in doc["groups"]] == [g["per_seed"] for g in local["groups"]]


def test_cli_table_sentence_and_html(runner, variant, tmp_path):
    out = tmp_path / "why.html"
    result = runner.invoke(app, ["explain", variant, "rebate_led", *SMALL_ARGS, "--kpi", "gmv_total",
                                 "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert "more ads" in result.stdout and "adding value content" in result.stdout
    assert "more_ads vs rebate_led, GMV (mean of 2 seeds)" in " ".join(result.stdout.split())
    page = out.read_text(encoding="utf-8")
    assert "Why does more_ads differ from rebate_led?" in page and page.count("<script") >= 6
    again = runner.invoke(app, ["explain", variant, "rebate_led", *SMALL_ARGS, "--html", str(out)])
    one_line_error(again, "already exists")


@pytest.mark.parametrize(("args", "needle"), [
    (["content_led", "rebate_led", "--kpi", "profit"], "unknown KPI 'profit'; did you mean"),
    (["content_led", "content_led"], "A and B are the same scenario"),
    (["content_led", "nope_led"], "scenario 'nope_led' not found"),
    (["content_led", "rebate_led", "--seeds", "0"], "--seeds must be 1 to 50 (got 0)"),
    (["content_led", "rebate_led", "--seeds", "51"], "--seeds must be 1 to 50 (got 51)"),
    (["content_led", "rebate_led", "--set", "strategy.ad_posts_per_day=500"], "strategy.ad_posts_per_day"),
    (["content_led", "rebate_led", "--workers", "0"], "--workers must be between 1 and 256 (got 0)"),
    (["content_led", "rebate_led", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "either --workers"),
    (["content_led", "rebate_led", "--scheduler", "not an address"], "is not a scheduler address"),
])
def test_cli_bad_input_is_one_line_and_exit_2(runner, args, needle):
    one_line_error(runner.invoke(app, ["explain", *args]), needle)


def test_cli_identical_parameters_are_refused(runner, tmp_path):
    f = tmp_path / "copy.yaml"
    f.write_text("name: copy\nextends: rebate_led\n")
    one_line_error(runner.invoke(app, ["explain", str(f), "rebate_led"]), "same parameters")


# --- dashboard panel ----------------------------------------------------------------------------
def panel_script() -> None:
    import streamlit as st

    from dashboard import runs
    from dashboard.panels import explain
    from sim import load_scenario

    if "comp" not in st.session_state:
        b = load_scenario("rebate_led").with_overrides({"population.n_users": 400, "horizon_days": 40})
        a = b.with_overrides({"name": "more_ads", "strategy.ad_posts_per_day": 2.0,
                              "strategy.content_posts_per_day": 1.0})
        ens = runs.ensembles({"rebate_led": b, "more_ads": a}, [0, 1])
        st.session_state["comp"] = runs.Comparison(names=list(ens), n_users=400, horizon=40, seeds=[0, 1],
                                                   ensembles=ens)
    explain.render(st.session_state["comp"], "rebate_led")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_panel_explains_after_the_button_and_follows_the_language(lang):
    planning.CACHE.clear()  # the panel must find its coalitions missing
    at = AppTest.from_function(panel_script, default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["xp.a"] == "more_ads" and at.session_state["xp.b"] == "rebate_led"
    assert at.button(key="xp.run_btn")  # 4 coalitions × 2 seeds, 4 of them not cached
    assert not at.get("plotly_chart")
    at.button(key="xp.run_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("plotly_chart")) == 1 and len(at.dataframe) == 1
    sentence = at.markdown[-1].value
    assert sentence.startswith("more\\_ads vs rebate\\_led" if lang == "en" else "more\\_ads 对比 rebate\\_led")
    at.selectbox(key="xp.kpi").set_value("gmv_total").run()  # cached: shown at once
    assert not at.exception and len(at.get("plotly_chart")) == 1
    at.selectbox(key="xp.b").set_value("more_ads").run()
    assert not at.exception and at.info  # A == B: asks for two different scenarios
    assert not at.get("plotly_chart")


def test_finished_runs_leave_no_model_in_mesas_id_counter(pair):
    import mesa

    before = len(mesa.Agent._ids)
    with planning.local_backend([(pair[1], 0), (pair[1], 1)]) as local:
        local.run([(pair[1], 0), (pair[1], 1)])
    assert len(mesa.Agent._ids) == before  # else every coalition run's model stays in memory


def test_compare_page_shows_the_panel_below_the_comparison():
    from test_dashboard import new_app, ok

    at = ok(new_app().run())
    assert "Why does A beat B?" in [s.value for s in at.subheader]
    assert at.session_state["xp.b"] == "public_only" and at.session_state["xp.a"] != "public_only"
    assert any("lever groups differ" in c.value for c in at.caption)


def test_the_planning_package_does_not_import_streamlit():
    import subprocess
    import sys

    code = "import sys, sim.planning, sim.figures.explain, sim.cli.explain; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the explanation in the HTML report -----------------------------------------------------------
@pytest.fixture(scope="module")
def report_pair():
    """Ensembles of rebate_led and a variant at 300 users × 30 days, and an explanation of them."""
    b = sim.load_scenario("rebate_led").with_overrides({"population.n_users": 300, "horizon_days": 30})
    a = b.with_overrides({"name": "more_ads", "strategy.ad_posts_per_day": 2.0, "strategy.content_posts_per_day": 1.0})
    ens = {"rebate_led": sim.simulate_many(b, seeds=2, workers=1), "more_ads": sim.simulate_many(a, seeds=2, workers=1)}
    return ens, planning.explain(a, b, "cum_profit", 2, cache=planning.KpiCache())


def _section(page: str) -> str:
    """The explanation section of a report, as text (tags and plotly's script removed)."""
    import re

    tail = page[page.rindex("<h2>"):]
    return re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", tail, flags=re.S))


def test_report_explanation_section_in_english_reads_like_the_cli(report_pair):
    from sim.report import compare_report_html

    ens, e = report_pair
    text = _section(compare_report_html(ens, "rebate_led", explanation=e))
    assert "Why does more_ads differ from rebate_led?" in text
    assert e.sentence() in text  # the CLI's sentence, word for word
    assert "What A does differently" in text and "more ads" in text and "more_ads − rebate_led" in text
    assert "4 coalitions" in text and "same 2 seeds" in text


def test_report_explanation_section_in_chinese(report_pair):
    from sim.report import compare_report_html

    ens, e = report_pair
    page = compare_report_html(ens, "rebate_led", lang="zh", explanation=e)
    text = _section(page)
    for needle in ("more_ads 为什么与 rebate_led 不同？", "more_ads 对比 rebate_led，累计利润（2 个种子的平均值）",
                   "加入价值内容", "更多广告", "A 的不同做法", "中位数 [10%, 90%]", "4 种组合"):
        assert needle in text, needle
    assert " 元" in text and "RMB" not in text
    for english in ("Why does", "adding value content", "more ads", "of which", "coalitions", "seeds"):
        assert english not in text, english
    spec = page[page.rindex("<h2>"):]  # the waterfall's JSON (non-ASCII as \\uXXXX escapes)
    for label in ("更多广告", "种子 10–90%", "累计利润 (元)"):
        assert json.dumps(label)[1:-1] in spec, label


def test_cli_html_report_follows_lang(runner, variant, tmp_path):
    out = tmp_path / "why.html"
    result = runner.invoke(app, ["explain", variant, "rebate_led", *SMALL_ARGS, "--html", str(out), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert '<html lang="zh">' in page and "more_ads 为什么与 rebate_led 不同？" in page
    one_line_error(runner.invoke(app, ["explain", variant, "rebate_led", "--lang", "fr"]), "--lang must be en or zh")


def test_compare_download_holds_the_explanation_only_once_computed():
    from test_dashboard import new_app, ok

    from dashboard import runs
    from dashboard.panels import explain as panel

    def pickers(at):
        return {k: at.session_state[k] for k in ("xp.a", "xp.b", "xp.kpi")}

    b = sim.load_scenario("rebate_led")
    variant = b.with_overrides({"name": "more_ads", "strategy.ad_posts_per_day": 2.0,
                                "strategy.content_posts_per_day": 1.0})
    planning.CACHE.clear()
    at = ok(new_app(**{"lib.user": {"more_ads": variant}, "cmp.scenarios": ["rebate_led", "more_ads"]}).run())
    comp = at.session_state["cmp.results"]
    assert comp.names == ["rebate_led", "more_ads"]
    assert {pickers(at)["xp.a"], pickers(at)["xp.b"]} == {"rebate_led", "more_ads"}
    assert panel.shown(comp, pickers(at)) is None  # nothing computed silently
    assert not [k for k in comp.derived if isinstance(k, tuple) and k[0] == "explain"]
    assert any(c.value == panel.report_note(None) for c in at.caption)
    ok(at.button(key="xp.run_btn").click().run())
    expl = panel.shown(at.session_state["cmp.results"], pickers(at))
    assert expl is not None and {expl.a, expl.b} == {"rebate_led", "more_ads"} and expl.kpi == "cum_profit"
    note = [c.value for c in at.caption if "HTML" in c.value]
    assert note == [panel.report_note(expl)] and "more\\_ads" in note[0]  # the caption follows at once
    assert at.download_button(key="cmp.report_dl")
    before = runs.CACHE.simulated
    at.selectbox(key="xp.kpi").set_value("gmv_total").run()  # cached coalitions: shown at once
    ok(at)
    other = panel.shown(at.session_state["cmp.results"], pickers(at))
    assert other.kpi == "gmv_total" and other.simulated == 0 and runs.CACHE.simulated == before
    assert any(c.value == panel.report_note(other) for c in at.caption)
    at.selectbox(key="xp.b").set_value(pickers(at)["xp.a"]).run()  # A == B: nothing shown, none in the report
    ok(at)
    assert panel.shown(at.session_state["cmp.results"], pickers(at)) is None
    assert any(c.value == panel.report_note(None) for c in at.caption)
