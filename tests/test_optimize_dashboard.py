"""The Optimize page (AppTest, English and 中文): the size said before running, bad input as one inline
line (never an exception), a small search with its plan, the fresh-seed chart and Optuna's charts,
an impossible constraint said inline with the closest plan; and the page's plain logic."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import sim
from dashboard import optimize as logic
from dashboard.i18n import EN, ZH
from sim import ScenarioError
from sim import experiments as ex

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
ADS = "strategy.ad_posts_per_day"


@pytest.fixture
def store(tmp_path, monkeypatch) -> ex.Store:
    monkeypatch.setenv("SIYU_STORE", str(tmp_path / "store"))
    return ex.Store()


def page(lang: str = "en", **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state["lang"] = lang
    for k, v in {"opt.n_users": 600, "opt.horizon": 30, "opt.seeds": 1, "opt.trials": 4, "opt.fresh": 2,
                 "opt.params": [ADS], f"opt.lo.{ADS}": 0.0, f"opt.hi.{ADS}": 15.0, **state}.items():
        at.session_state[k] = v
    at.switch_page("views/optimize.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_says_the_size_before_running(store, lang):
    at = page(lang)
    table = {"en": EN, "zh": ZH}[lang]
    assert at.title[0].value == table["opt.title"]
    assert not at.error
    # 4 trials × 1 seed + 2 fresh seeds × (recommended, base, three shipped scenarios)
    assert any(("14 runs" if lang == "en" else "14 次运行") in c.value for c in at.caption)
    assert not at.button(key="opt.run_btn").disabled


@pytest.mark.parametrize(("state", "needle"), [
    ({"opt.trials": 0}, "zero trials"),
    ({f"opt.lo.{ADS}": 9.0, f"opt.hi.{ADS}": 2.0}, "is reversed"),
    ({"opt.constraints": "churn_rate<="}, "no bound after <="),
    ({"opt.constraints": "churn<=0.2"}, "did you mean 'churn_rate'?"),
])
def test_bad_input_is_one_inline_line_and_nothing_runs(store, state, needle):
    at = page(**state)
    assert len(at.error) == 1 and needle in at.error[0].value and "\n" not in at.error[0].value
    assert at.button(key="opt.run_btn").disabled
    assert store.list() == []


def test_no_decision_variable_says_so(store):
    at = page(**{"opt.params": []})
    assert any(EN["opt.pick"] in i.value for i in at.info) and at.button(key="opt.run_btn").disabled


def test_a_small_search_shows_the_plan_the_fresh_seeds_and_optunas_charts(store):
    at = page(**{"opt.kpi": "final_private_pool", "opt.constraints": "cost_total<=100000"})
    at.button(key="opt.run_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    res = at.session_state["opt.result"]
    assert res.feasible and res.id.startswith("opt-") and store.manifest(res.id)["kind"] == "optimization"
    plan = at.dataframe[-1].value
    assert len(plan) == 1 and plan[EN["opt.col.value"]].iloc[0] == pytest.approx(res.plan()[ADS])
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # the re-evaluation, history and slice (one variable: no importances)
    assert [m.label for m in at.metric][0].startswith("Best median")
    assert any(EN["opt.importances_none"] in c.value for c in at.caption)


def test_an_impossible_constraint_is_said_inline_with_the_closest_plan(store):
    at = page(**{"opt.constraints": "cost_total<=1"})
    at.button(key="opt.run_btn").click().run()
    assert not at.exception
    (err,) = at.error
    assert "no plan met the constraints (cost_total<=1) in 4 trials; the closest is trial" in err.value
    assert not at.get("download_button")


def test_the_logic_offers_strategy_fields_only_and_checks_the_page_limits():
    fields = logic.decidable()
    assert ADS in fields and all(p.startswith("strategy.") for p in fields)
    assert not any(p.startswith(("trust.", "public.", "population.")) for p in fields)
    base = sim.load_scenario("spam_blast").with_overrides({"population.n_users": 20_000, "horizon_days": 365})
    with pytest.raises(ScenarioError, match="more than a page search takes"):
        logic.plan(base, {ADS: (0, 15)}, "cum_profit", None, "", 300, 10, 10)
    p = logic.plan(base, {ADS: (0, 15)}, "churn_rate", "q10", "cost_total<=5000\n\n", 10, 2, 0)
    assert p.runs == 20 and p.objective.quantile == pytest.approx(0.9) and len(p.constraints) == 1


def test_the_runs_page_draws_a_stored_optimisation(store):
    from sim.planning import optimize as op

    base = sim.load_scenario("spam_blast").with_overrides({"population.n_users": 300, "horizon_days": 30})
    with ex.LocalBackend(workers=1) as backend:
        res = op.optimize(base, {ADS: (0, 15)}, "final_private_pool", trials=3, seeds=1, fresh_seeds=2, compare=[],
                          backend=backend, store=store)
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("views/store.py")
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    keys = [c.key for c in at.get("plotly_chart")]
    assert keys == ["store.res.opt.reeval", "store.res.opt.history", "store.res.opt.slice"]  # not a sweep's charts
    assert at.subheader[0].value == EN["opt.results"].format(kpi=EN["kpi.final_private_pool"])
    assert at.metric[2].value == f"{res.info['runs']:,}"


def test_a_phased_scenario_offers_its_switch_day_and_another_scenario_drops_it(store):
    day = "phases.0.from_day"
    at = page(**{"opt.scenario": "gift_launch_content", "opt.horizon": 120, "opt.params": [ADS, day]})
    assert not at.error, [e.value for e in at.error]
    ms = at.multiselect(key="opt.params")
    assert day in ms.options or any(day in o for o in ms.options)
    assert at.number_input(key=f"opt.lo.{day}").value == 1 and at.number_input(key=f"opt.hi.{day}").value == 119
    assert any(c.value.startswith("2 decision variables") for c in at.caption)
    assert not at.button(key="opt.run_btn").disabled
    at.selectbox(key="opt.scenario").set_value("spam_blast").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["opt.params"] == [ADS]


def test_decidable_for_adds_each_phases_switch_day_and_the_levers_it_sets():
    phased = sim.load_scenario("gift_launch_content")
    sets = ["content_posts_per_day", "ad_posts_per_day", "ads_targeted", "one_to_one", "hooks.gift.enabled",
            "hooks.content.enabled", "hooks.content.take_up", "hooks.content.cost_per_join",
            "hooks.content.selection", "welfare_events_per_week", "monthly_promo", "membership"]
    assert set(logic.decidable_for(phased)) - set(logic.decidable()) == {
        "phases.0.from_day", *(f"phases.0.strategy.{f}" for f in sets)}
    assert set(logic.decidable_for(sim.load_scenario("spam_blast"))) == set(logic.decidable())
    fields = logic.decidable_for(phased)
    assert fields["phases.0.from_day"].kind == "int" and fields["phases.0.from_day"].lo == 1
    lever = fields["phases.0.strategy.ad_posts_per_day"]
    assert (lever.kind, lever.lo, lever.hi) == ("float", 0, 50) and logic.has_range(lever)
    assert lever.schema_path == "strategy.ad_posts_per_day"  # its help is the strategy field's
    assert not logic.has_range(fields["phases.0.strategy.ads_targeted"])


def test_every_switch_and_choice_offered_is_a_decision_the_search_takes():
    fields = logic.decidable()
    values = {p: s for p, s in fields.items() if not logic.has_range(s)}
    assert "strategy.ads_targeted" in values and "strategy.seeding" in values
    assert {s.kind for s in values.values()} == {"bool", "enum"}
    base = sim.load_scenario("content_led").with_overrides({"population.n_users": 500, "horizon_days": 60})
    p = logic.plan(base, dict.fromkeys(values), "cum_profit", None, "", 5, 1, 0)
    kinds = {d.path: (d.kind, d.choices) for d in p.decisions}
    assert kinds["strategy.ads_targeted"] == ("bool", (False, True))
    assert kinds["strategy.seeding"][0] == "choice" and set(kinds["strategy.seeding"][1]) == set(fields["strategy.seeding"].choices)


def test_a_switch_and_a_phases_lever_are_decided_on_the_page(store):
    lever, switch = "phases.0.strategy.content_posts_per_day", "strategy.ads_targeted"
    at = page(**{"opt.scenario": "gift_launch_content", "opt.horizon": 90, "opt.params": [lever, switch],
                 f"opt.lo.{lever}": 0.5, f"opt.hi.{lever}": 3.0})
    assert not at.error, [e.value for e in at.error]
    assert at.number_input(key=f"opt.lo.{lever}").value == 0.5
    assert any(EN["opt.tries"].format(values="off | on") in c.value for c in at.caption)  # a switch has no range
    at.button(key="opt.run_btn").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    plan = at.session_state["opt.result"].plan()
    assert 0.5 <= plan[lever] <= 3.0 and plan[switch] in (False, True)


# --- the same plan searched again: reopened when finished, resumed when stopped ----------------
def _tiny_plan(**kw):
    base = sim.load_scenario("spam_blast").with_overrides({"population.n_users": 400, "horizon_days": 30})
    args = {"ranges": {ADS: (0.0, 15.0)}, "kpi": "final_private_pool", "risk": None,
            "constraints": "cost_total<=100000", "trials": 4, "seeds": 1, "fresh_seeds": 1, "compare": (), **kw}
    return logic.plan(base, **args)


def test_a_page_search_has_one_id_per_plan():
    p = _tiny_plan()
    assert logic.page_id(p) == logic.page_id(_tiny_plan()) and logic.page_id(p).startswith("opt-page-")
    others = [_tiny_plan(trials=5), _tiny_plan(constraints="cost_total<=90000"), _tiny_plan(kpi="cum_profit"),
              _tiny_plan(ranges={ADS: (0.0, 14.0)}), _tiny_plan(fresh_seeds=2), _tiny_plan(compare=("content_led",))]
    assert len({logic.page_id(p), *map(logic.page_id, others)}) == 1 + len(others)


class _Stop(Exception):
    pass


def test_a_finished_page_search_is_reopened_and_a_stopped_one_resumed(store, tmp_path):
    p = _tiny_plan()
    assert logic.stored(p) is None
    whole = logic.run(p, store=ex.Store(tmp_path / "other"))  # the same search, never stopped

    def stop(stage, done, total):
        if stage == "search" and done >= 2:
            raise _Stop

    with pytest.raises(_Stop):
        logic.run(p, stop)
    before = logic.stored(p)
    assert before.status == "partial" and 0 < before.runs_done < before.runs_total == p.runs
    resumed = logic.run(p)
    assert resumed.id == logic.page_id(p) and store.status(resumed.id) == "complete"
    assert resumed.trials["objective"].tolist() == whole.trials["objective"].tolist()
    assert resumed.plan() == whole.plan()
    done = store.manifest(resumed.id)
    again = logic.run(p)  # finished: reopened from the store, nothing run or written again
    assert again.plan() == resumed.plan() and again.info["status"] == "complete"
    assert store.manifest(resumed.id)["finished"] == done["finished"] and store.ids() == [resumed.id]
    assert logic.stored(p).status == "complete"


def test_the_page_says_when_the_plan_was_searched_before(store):
    kw = {"opt.n_users": 400, "opt.fresh": 1, "opt.constraints": "cost_total<=100000"}
    at = page(**kw)
    assert not any("searched before" in c.value for c in at.caption)
    at.button(key="opt.run_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    again = page(**kw)  # a fresh session, the same plan
    (said,) = [c.value for c in again.caption if "searched before" in c.value]
    assert store.ids()[0] in said
