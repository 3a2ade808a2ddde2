"""Tests of the dashboard's plain modules: i18n, editor (schema, validation, uploads), runs, state, learn."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import sim
from dashboard import editor, i18n, learn, runs, state

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard"


# --- i18n -------------------------------------------------------------------------------------
def test_every_key_has_both_languages():
    assert set(i18n.EN) == set(i18n.ZH)
    assert all(v.strip() for v in i18n.EN.values()) and all(v.strip() for v in i18n.ZH.values())


def test_placeholders_match_between_languages():
    field = re.compile(r"{(\w+)")
    for key in i18n.EN:
        assert set(field.findall(i18n.EN[key])) == set(field.findall(i18n.ZH[key])), key


def test_every_key_used_in_the_code_exists():
    used: set[str] = set()
    for path in DASHBOARD.rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_0-9]+)+)["']""", path.read_text()))
    assert used and not used - set(i18n.EN)


def test_every_kpi_stage_cost_and_schema_field_is_translated():
    assert all(f"kpi.{k}" in i18n.EN and f"kpid.{k}" in i18n.EN for k in sim.KPI_INFO)
    assert all(f"cost.{c}" in i18n.EN for c in sim.COST_COLUMNS)
    stages = ["public", "follower", "customer", "repeat", "member", "partner", "dormant", "churned"]
    assert all(f"stage.{s}" in i18n.EN for s in stages)
    names = {s.name for s in editor.field_specs()} | {s.name for s in editor.shock_specs()}
    assert not {f"param.{n}" for n in names} - set(i18n.ZH)
    assert all(f"sec.{s}" in i18n.EN for s in editor.SECTIONS)
    assert all(f"choice.{c}" in i18n.EN for s in editor.field_specs() for c in s.choices)


def test_catalogues_reject_a_key_defined_twice(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "a.yaml").write_text("cmp.title: A\n")
    (tmp_path / "en" / "b.yaml").write_text("cmp:\n  title: B\n")
    with pytest.raises(ValueError, match="defined twice"):
        i18n.load_catalogue("en", tmp_path)


def test_catalogue_nesting_is_flattened(tmp_path):
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "a.yaml").write_text("cmp:\n  title: 比较\n  run: 运行\nx.y: z\n")
    assert i18n.load_catalogue("zh", tmp_path) == {"cmp.title": "比较", "cmp.run": "运行", "x.y": "z"}


def test_t_formats_and_falls_back():
    assert i18n.t("kpi.day_n", lang="zh", n=5) == "第 5 天"
    assert i18n.t("no.such.key") == "no.such.key"
    assert i18n.param_label("ad_posts_per_day", "en") == "Ad posts"
    assert i18n.param_label("ad_posts_per_day", "zh") == "每日广告条数"
    assert i18n.names("stage", lang="zh")["member"] == "会员"


# --- editor -----------------------------------------------------------------------------------
def test_field_specs_cover_every_leaf_with_schema_bounds():
    specs = {s.path: s for s in editor.field_specs()}
    values, _ = editor.flatten(sim.load_scenario("content_led"))
    assert set(specs) == set(values)
    ads = specs["strategy.ad_posts_per_day"]
    assert (ads.kind, ads.lo, ads.hi, ads.unit) == ("float", 0.0, 50.0, "posts per day")
    assert "Source" not in ads.help and ads.source
    assert specs["strategy.hooks.gift.take_up"].group == "gift"
    assert specs["strategy.hooks.gift.take_up"].section == "strategy.hooks"
    assert specs["network.kind"].kind == "enum" and "small_world" in specs["network.kind"].choices
    assert specs["strategy.one_to_one"].kind == "bool"
    assert specs["population.n_users"].kind == "int" and specs["population.n_users"].number_format == "%d"
    assert {s.section for s in specs.values()} == set(editor.SECTIONS)


@pytest.mark.parametrize("name", sim.list_scenarios())
def test_flatten_build_round_trip(name):
    scn = sim.load_scenario(name)
    values, shocks = editor.flatten(scn)
    assert editor.build(values, shocks, phases=editor.flatten_phases(scn)) == scn  # plan phases apart
    assert editor.changed_paths(scn, scn) == []


def test_field_errors_point_at_fields():
    values, shocks = editor.flatten(sim.load_scenario("content_led"))
    values["purchase.conversion_floor"] = 0.95
    fields, general = editor.field_errors(values, shocks)
    assert "purchase.conversion_floor" in fields and "purchase.conversion_ceiling" in fields
    assert general
    values["purchase.conversion_floor"] = 0.05
    values["strategy.ad_posts_per_day"] = 99.0
    fields, _ = editor.field_errors(values, [{"start_day": 10, "days": 0, "public_closed": True,
                                              "demand_multiplier": 1.0}])
    assert "less than or equal to 50" in fields["strategy.ad_posts_per_day"]
    assert "shocks.0.days" in fields
    with pytest.raises(sim.ScenarioError, match="ad_posts_per_day"):
        editor.build(values, shocks)


def test_number_steps_and_formats_fit_the_defaults():
    specs = {s.path: s for s in editor.field_specs()}
    gain = specs["trust.content_gain"]
    assert gain.step <= gain.default and gain.number_format in ("%.4f", "%.5f")
    assert specs["product.order_value"].number_format == "%.2f"


@pytest.mark.parametrize("data, match", [
    (b"a: &x [1]\nb: *x\n", "aliases"),
    (b"{" * 30000, "nested too deeply"),
    (b"x: 1\n" * 250_000, "larger than 1 MB"),
    (b"\xff\xfe\x00", "UTF-8"),
    (b"extends: ../../etc/passwd\n", "shipped scenario"),
    (b"extends: [content_led]\n", "shipped scenario"),
    (b"population: {n_users: 1.5e12}\n", "n_users"),
    (b"strategy: {seeding: psychic}\n", "seeding"),
    (b"", "empty"),
])
def test_read_upload_refuses_hostile_files(data, match):
    with pytest.raises(sim.ScenarioError, match=match) as info:
        editor.read_upload("up.yaml", data)
    assert "\n" not in str(info.value) and str(info.value).startswith("up.yaml")


def test_read_upload_accepts_extends_and_names_from_file():
    scn = editor.read_upload("mine.yaml", b"extends: rebate_led\nstrategy: {ad_posts_per_day: 2}\n")
    assert scn.strategy.cashback_rate == sim.load_scenario("rebate_led").strategy.cashback_rate
    assert scn.strategy.ad_posts_per_day == 2
    assert editor.read_upload("plain.yml", b"horizon_days: 30\n").name == "plain"


def test_draft_state_load_read_add_remove_shocks():
    st: dict = {}
    swan = sim.load_scenario("black_swan")
    editor.load_into_state(st, swan)
    values, shocks = editor.values_from_state(st, sim.load_scenario("public_only"))
    assert editor.build(values, shocks) == swan
    editor.add_shock(st)
    st[editor.shock_key(1, "start_day")] = 300
    editor.add_shock(st)
    editor.remove_shock(st, 0)
    _, shocks = editor.values_from_state(st, swan)
    assert [w["start_day"] for w in shocks] == [300, 180]
    editor.load_into_state(st, sim.load_scenario("public_only"))
    assert st["ed.n_shocks"] == 0 and not any(k.startswith("ed.shocks.") for k in st)


# --- runs -------------------------------------------------------------------------------------
@pytest.fixture
def tiny() -> sim.Scenario:
    return runs.sized(sim.load_scenario("content_led"), 300, 30)


def test_cache_runs_only_missing_seeds(tiny):
    cache = runs.RunCache()
    calls = []
    a = runs.ensembles({"a": tiny}, [0, 1], progress=lambda d, n: calls.append((d, n)), cache=cache)
    assert cache.simulated == 2 and calls[-1] == (2, 2)
    b = runs.ensembles({"a": tiny, "same": tiny}, [0, 1, 2], cache=cache)
    assert cache.simulated == 3  # one new seed; the duplicate name reuses the runs
    assert b["a"].runs[0] is a["a"].runs[0] and b["same"].runs[2] is b["a"].runs[2]
    other = tiny.with_overrides({"strategy.ad_posts_per_day": 3})
    runs.ensembles({"a": tiny, "b": other}, [0, 1, 2], cache=cache)
    assert cache.simulated == 6
    assert runs.count_missing({"a": tiny, "b": other}, [0, 1, 2, 3], cache=cache) == 2


def test_cache_evicts_least_recently_used(tiny):
    cache = runs.RunCache(max_users=700)  # room for two 300-user runs
    runs.ensembles({"a": tiny}, [0, 1], cache=cache)
    cache.get(tiny.key(), 0)
    runs.ensembles({"a": tiny}, [2], cache=cache)
    assert len(cache) == 2 and cache.missing(tiny, [0, 1, 2]) == [1]


def test_traced_run_matches_untraced(tiny):
    cache = runs.RunCache()
    plain = runs.ensemble(tiny, [0], cache=cache).runs[0]
    uid = int(plain.users["user"].iloc[5])
    traced = runs.traced_run(tiny, 0, [uid], cache=cache)
    assert traced.trace is not None and set(traced.trace["user"]) == {uid}
    pd.testing.assert_frame_equal(traced.daily, plain.daily)
    assert runs.traced_run(tiny, 0, [uid], cache=cache) is traced


def test_daily_csv_has_every_run(tiny):
    ens = runs.ensembles({"a": tiny, "b": runs.sized(sim.load_scenario("public_only"), 300, 30)}, [0, 1])
    text = runs.daily_csv(ens).decode()
    header = text.splitlines()[0].split(",")
    assert header[:3] == ["scenario", "seed", "day"] and len(text.splitlines()) == 1 + 4 * 30


def test_sized_keeps_identity_when_unchanged(tiny):
    assert runs.sized(tiny, 300, 30) is tiny
    assert runs.sized(tiny, 400, 30).key() != tiny.key()


# --- state and learn ----------------------------------------------------------------------------
def test_add_scenario_never_overwrites():
    st: dict = {"cmp.scenarios": ["public_only", "content_led"]}
    state.init(st)
    scn = sim.load_scenario("content_led")
    assert state.add_scenario(scn, "edited", st) == "content_led-2"
    assert state.add_scenario(scn, "uploaded", st) == "content_led-3"
    assert st[state.USER_KEY]["content_led-2"].name == "content_led-2"
    assert st["cmp.scenarios"] == ["public_only", "content_led", "content_led-2", "content_led-3"]
    assert state.unique_name("", set()) == "scenario"


def test_learn_demos_build_valid_scenarios():
    lib = state.shipped()
    for topic, demo in learn.DEMOS.items():
        if demo.sweep:
            scns = learn.sweep_scenarios(demo, lib, 300, 60)
            assert len(scns) == len(demo.sweep), topic
        else:
            scns = learn.variants(demo, lib, 300, 60, demo.default)
            assert scns and all(s.population.n_users == 300 for s in scns.values()), topic
    shock = learn.variants(learn.DEMOS["shocks"], lib, 300, 90, 200)
    assert all(s.shocks[0].start_day + s.shocks[0].days <= 90 for s in shock.values())


def test_choices_survive_a_language_switch():
    st: dict = {}
    state.set_choice("cmp.chart", "costs", st)
    state.set_choice("cmp.scenarios", ["a", "b"], st)
    st["cmp.chart"] = "成本构成"  # what the browser sends back after the labels changed
    st["cmp.scenarios"] = ["a · 已编辑"]
    state.restore_choices(st)
    assert st["cmp.chart"] == "costs" and st["cmp.scenarios"] == ["a", "b"]
    editor.load_into_state(st, sim.load_scenario("hybrid_referral"))
    st["ed.strategy.seeding"] = "精准"
    state.restore_choices(st)
    assert st["ed.strategy.seeding"] == "targeted"


def test_report_and_csv_accept_dashboard_ensembles(tiny):
    from sim.report import compare_report_html

    ens = runs.ensembles({"a<b>": tiny, "pub": runs.sized(sim.load_scenario("public_only"), 300, 30)}, [0, 1])
    assert all(isinstance(e, sim.Ensemble) for e in ens.values())
    assert ens["pub"].summaries is ens["pub"].summaries  # built once
    html = compare_report_html(ens, "pub")
    assert html.startswith("<!DOCTYPE html>") and "a&lt;b&gt;" in html and "<b>pub</b>" in html
