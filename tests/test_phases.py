"""Plans in phases (issue 11 §1): schema, the phase rule in the model, charts, CLI, bad input.

The phase rule (docs/MODEL.md §7.12): from a phase's ``from_day`` on, the strategy in force is
the base strategy with the overrides of every phase so far (cumulative). A scenario without
phases runs bit-identically (tests/test_engine_pinned.py); a phased run equals, before its first
switch, the run of its base plan, and after it behaves as the new strategy says.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ensemble
from test_cli import one_line_error
from typer.testing import CliRunner

import sim
from sim import figures
from sim.cli import app
from sim.experiments.design import parameter
from sim.loader import validate_dict
from sim.scenario import Phase, Strategy, StrategyOverrides

SMALL = {"population.n_users": 1500, "horizon_days": 120}


# --- schema -------------------------------------------------------------------------------------
def test_overrides_are_derived_from_the_strategy_fields():
    assert list(StrategyOverrides.model_fields) == list(Strategy.model_fields)
    for name, info in Strategy.model_fields.items():
        mirror = StrategyOverrides.model_fields[name]
        assert mirror.default is None and mirror.description == info.description
        assert [(getattr(m, "ge", None), getattr(m, "le", None)) for m in mirror.metadata] == \
               [(getattr(m, "ge", None), getattr(m, "le", None)) for m in info.metadata]
    assert StrategyOverrides.mirrors is Strategy


def test_a_phase_dumps_only_its_overrides_and_round_trips_through_yaml():
    sc = sim.load_scenario("gift_launch_content")
    dumped = sc.model_dump(mode="json")["phases"][0]
    assert dumped["strategy"]["hooks"] == {"gift": {"enabled": False},
                                           "content": {"enabled": True, "take_up": 0.04, "cost_per_join": 0.0,
                                                       "selection": -0.8}}
    assert "join_cash" not in dumped["strategy"]
    again = sim.parse_scenario_text(sc.to_yaml())
    assert again.phases == sc.phases and again.phase_scenarios()[1].strategy == sc.phase_scenarios()[1].strategy


def test_a_phased_scenario_pickles_for_worker_processes():
    import pickle

    sc = sim.load_scenario("gift_launch_content")
    again = pickle.loads(pickle.dumps(sc))
    assert again == sc and again.phase_scenarios()[1].strategy == sc.phase_scenarios()[1].strategy


def test_phases_are_cumulative_and_hooks_merge_field_by_field():
    sc = validate_dict({"strategy": {"hooks": {"gift": {"enabled": True, "take_up": 0.3}}},
                        "phases": [{"from_day": 10, "strategy": {"ad_posts_per_day": 2, "hooks": {"gift": {"enabled": False}}}},
                                   {"from_day": 20, "strategy": {"content_posts_per_day": 1}}]})
    base, first, second = (s.strategy for s in sc.phase_scenarios())
    assert first.hooks.gift.enabled is False and first.hooks.gift.take_up == 0.3  # the rest of the hook kept
    assert second.ad_posts_per_day == 2.0 and second.content_posts_per_day == 1.0  # phase 1 kept in phase 2
    assert base.ad_posts_per_day == 0.0
    assert [sc.phase_at(d) for d in (0, 9, 10, 19, 20, 364)] == [0, 0, 1, 1, 2, 2]


def test_phase_paths_are_parameters_with_schema_bounds():
    p = parameter("phases.0.from_day")
    assert (p.kind, p.lo, p.hi, p.unit) == ("int", 1, 3_649, "day")
    q = parameter("phases.1.strategy.content_posts_per_day")
    assert (q.kind, q.lo, q.hi) == ("float", 0.0, 20.0)
    assert parameter("phases.0.strategy.hooks.gift.take_up").hi == 1.0
    assert parameter("phases.0.strategy.ads_targeted").kind == "bool"
    with pytest.raises(sim.ScenarioError, match="did you mean 'phases.0.strategy.content_posts_per_day'"):
        parameter("phases.0.strategy.content_post_per_day")


def test_overrides_reach_phase_fields_the_phase_does_not_give_yet():
    sc = sim.load_scenario("gift_launch_content")
    moved = sc.with_overrides({"phases.0.from_day": 90, "phases.0.strategy.join_cash": 5,
                               "phases.0.strategy.hooks.cash.take_up": 0.2})
    assert moved.phases[0].from_day == 90
    after = moved.phase_scenarios()[1].strategy
    assert after.join_cash == 5.0 and after.hooks.cash.take_up == 0.2 and after.content_posts_per_day == 1.5


BAD = [  # (phases, needles of the one line)
    ([{"from_day": 60}, {"from_day": 30}], ("phases.1.from_day = 30", "after phases.0.from_day = 60")),
    ([{"from_day": 60}, {"from_day": 60}], ("phases.1.from_day = 60", "increasing")),
    ([{"from_day": 400}], ("phases.0.from_day = 400", "outside the horizon", "allowed 1 to 364")),
    ([{"from_day": 0}], ("phases.0.from_day = 0", "allowed 1 to 3,649 day")),
    ([{"from_day": 9, "strategy": {"content_post_per_day": 1}}],
     ("unknown key 'phases.0.strategy.content_post_per_day'", "did you mean 'content_posts_per_day'")),
    ([{"from_day": 9, "strategy": {"content_posts_per_day": 99}}],
     ("phases.0.strategy.content_posts_per_day = 99", "allowed 0 to 20 posts per day")),
    ([{"from_day": 9, "strategy": {"hooks": {"gift": {"take_up": 2}}}}],
     ("phases.0.strategy.hooks.gift.take_up = 2", "allowed 0 to 1 probability")),
    ([{"from_day": 9, "trust": {"initial": 0.5}}], ("unknown key 'phases.0.trust'", "allowed: from_day, label, strategy")),
    ([{"from_day": 9, "strategy": {"trust": 0.5}}], ("unknown key 'phases.0.strategy.trust'",)),
]


@pytest.mark.parametrize("phases, needles", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_phases_are_one_line_naming_the_field(phases, needles):
    with pytest.raises(sim.ScenarioError) as err:
        validate_dict({"phases": phases}, "plan.yaml")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("plan.yaml: ")
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_a_phase_must_fit_the_budget_caps():
    with pytest.raises(sim.ScenarioError, match=r"phases.0: budget.monthly_cap = 1,000 RMB is below the plan's fixed costs"):
        validate_dict({"budget": {"monthly_cap": 1000}, "strategy": {"content_cost_per_post": 0},
                       "phases": [{"from_day": 9, "strategy": {"content_cost_per_post": 30, "content_posts_per_day": 5}}]})


@pytest.mark.parametrize("phases, needles", BAD[:6:], ids=[str(i) for i in range(6)])
def test_cli_refuses_bad_phases_with_exit_2(tmp_path, phases, needles):
    import yaml

    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump({"extends": "content_led", "phases": phases}), encoding="utf-8")
    runner = CliRunner(env={"COLUMNS": "250"})
    for cmd in (["validate", str(path)], ["run", str(path), "--users", "200", "--days", "30", "--seeds", "1"]):
        line = one_line_error(runner.invoke(app, cmd), *needles[:1])
        assert "plan.yaml" in line


def test_cli_set_refuses_a_phase_value_out_of_range():
    runner = CliRunner(env={"COLUMNS": "250"})
    one_line_error(runner.invoke(app, ["run", "gift_launch_content", "--seeds", "1", "--users", "200", "--days", "90",
                                       "--set", "phases.0.from_day=120"]),
                   "phases.0.from_day = 120", "outside the horizon")


# --- the model ----------------------------------------------------------------------------------
def test_a_phase_switch_takes_effect_on_its_day():
    plan = validate_dict({**sim.load_scenario("gift_launch_content").with_overrides(SMALL).model_dump(mode="json")})
    run = sim.simulate(plan, 3)
    d = run.daily
    assert d["phase"].tolist() == [0] * 60 + [1] * 60
    assert d["joins_gift"][:60].sum() > 0 and d["joins_gift"][60:].sum() == 0  # the gift stops on day 60
    assert d["joins_content"][:60].sum() == 0 and d["joins_content"][60:].sum() > 0  # content leads in from day 60
    assert (d["cost_content"][60:] > d["cost_content"][59] * 2).all()  # 0.5 → 1.5 posts a day
    # before the switch the run is exactly the base plan's run (same draws, same rules)
    base = sim.simulate(plan.model_copy(update={"phases": []}), 3).daily
    cols = [c for c in sim.DAILY_COLUMNS if c != "phase"]
    assert base[cols][:60].equals(d[cols][:60])
    assert not base[cols][60:].equals(d[cols][60:])


def test_a_phase_changes_the_compiled_rules_and_the_day_plan():
    sc = sim.load_scenario("rebate_led").with_overrides({**SMALL, "strategy.rebate_end_day": 100_000})
    phased = sc.model_copy(update={"phases": [Phase(from_day=50, strategy={"ads_targeted": True, "cashback_rate": 0.0,
                                                                          "red_packet_every_days": 0})]})
    phased = validate_dict(phased.model_dump(mode="json"))
    model = sim.model.SiyuModel(phased, seed=1)
    for _ in range(51):
        model.step()
    assert model.phase == 1 and model.scenario.strategy.cashback_rate == 0.0
    assert model.rules == sim.mechanisms.pool.rules_for(model.scenario) != sim.mechanisms.pool.rules_for(sc)
    d = model.daily()
    red = d["cost_rebates"].to_numpy()
    assert red[:50].sum() > 0 and red[50:].sum() == 0  # no cash back, no red packets after the switch
    assert model.plan_scenario is phased and phased.phases  # the plan itself is unchanged


# --- the shipped phased plan: a stylized fact (DOMAIN §5/§7) -----------------------------------------
def test_gift_launch_then_content_ends_with_a_larger_more_trusting_pool_than_rebates_throughout():
    """Fair comparison: the same (default) market; rebate_led with its rebates never stopping.

    Rebates throughout is rebate_led with ``rebate_end_day`` beyond the horizon (cash hook,
    cash back, referral rewards and red packets for the whole year), so its pool is not emptied
    by the day-180 stop: the phased plan must win on the pool itself, not on the rebate stop.
    """
    n, seeds = 8000, (0, 1, 2)
    phased = ensemble("gift_launch_content", seeds, **{"population.n_users": n})
    rebates = ensemble("rebate_led", seeds, **{"population.n_users": n, "strategy.rebate_end_day": 100_000})
    pool_p, pool_r = phased.summaries["final_private_pool"], rebates.summaries["final_private_pool"]
    trust_p, trust_r = phased.summaries["mean_trust"], rebates.summaries["mean_trust"]
    assert pool_p.min() > pool_r.max()  # larger in every seed
    assert trust_p.min() > 2 * trust_r.max()  # and far more trusting
    assert np.median(phased.summaries["cum_profit"]) > np.median(rebates.summaries["cum_profit"])
    assert (phased.stack("phase")[:, 60:] == 1).all()


# --- charts -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ens():
    sc = sim.load_scenario("gift_launch_content").with_overrides(SMALL)
    two = validate_dict({**sc.model_dump(mode="json"), "name": "two",
                         "phases": [{"from_day": 30, "label": "<b>bold</b>"}, {"from_day": 90}]})
    other = sim.load_scenario("content_led").with_overrides(SMALL)
    return {"gift": sim.simulate_many(sc, 2), "two": sim.simulate_many(two, 2), "plain": sim.simulate_many(other, 2)}


def _rects(fig):
    return [(s.x0, s.x1) for s in fig.layout.shapes if s.type == "rect"]


def _lines(fig):
    return [s.x0 for s in fig.layout.shapes if s.type == "line" and s.line.dash == "dash"]


def test_one_phased_scenario_gets_a_labelled_band_per_phase(ens):
    fig = figures.band_figure({"gift": ens["gift"]}, "cum_profit")
    assert _rects(fig) == [(59.5, 119.5)]
    assert "content-led" in [a.text for a in fig.layout.annotations]
    fig = figures.band_figure({"two": ens["two"]}, "mean_trust", phase_text="阶段 {k}")
    assert _rects(fig) == [(29.5, 89.5), (89.5, 119.5)]
    texts = [a.text for a in fig.layout.annotations]
    assert "&lt;b&gt;bold&lt;/b&gt;" in texts and "阶段 2" in texts  # a user's label is escaped, never HTML


def test_scenarios_with_different_phases_get_dashed_switch_lines_in_their_colours(ens):
    fig = figures.band_figure({"gift": ens["gift"], "two": ens["two"], "plain": ens["plain"]}, "cum_profit")
    assert _rects(fig) == [] and sorted(_lines(fig)) == [30, 60, 90]
    colors = figures.scenario_colors(["gift", "two", "plain"])
    assert {s.line.color for s in fig.layout.shapes if s.x0 == 60} == {colors["gift"]}
    assert any(a.text == "gift: content-led" for a in fig.layout.annotations)
    # the same phases in two scenarios: shaded once, as for one
    same = validate_dict({**ens["gift"].scenario.model_dump(mode="json"), "name": "gift2"})
    fig = figures.band_figure({"gift": ens["gift"], "gift2": sim.Ensemble(scenario=same, runs=ens["gift"].runs)},
                              "cum_profit")
    assert _rects(fig) == [(59.5, 119.5)]
    assert figures.band_figure({"plain": ens["plain"]}, "cum_profit").layout.shapes == ()


def test_every_time_chart_draws_the_phases(ens):
    two = {"gift": ens["gift"], "plain": ens["plain"]}
    stage = figures.stage_figure(two)
    assert [(s.x0, s.xref) for s in stage.layout.shapes] == [(59.5, "x")]  # only the phased panel
    multi = figures.multi_band_figure({"gift": ens["gift"]}, {"mutes": "m", "leaves": "l"})
    assert [(s.x0, s.xref) for s in multi.layout.shapes] == [(59.5, "x"), (59.5, "x2")]
    assert _rects(figures.leaves_over_time_figure(ens["gift"])) == [(59.5, 119.5)]
    assert _lines(figures.incremental_profit_figure(two, "plain")) == [60]
    run = sim.simulate(ens["gift"].scenario, 0, trace_users=[5])
    journey = figures.journey_figure(run.trace[run.trace.user == 5], scenario=ens["gift"].scenario)
    assert len(_rects(journey)) == 5  # one per panel


def test_the_report_states_the_phases(ens):
    from sim.report import compare_report_html

    page = compare_report_html({"gift": ens["gift"], "plain": ens["plain"]}, lang="en")
    assert "Plan phases" in page and "from day 60 (content-led)" in page and "<code>content_posts_per_day</code> 0.5 → 1.5" in page
    zh = compare_report_html({"gift": ens["gift"]}, lang="zh")
    assert "从第 60 天起" in zh


def test_cli_run_and_validate_state_the_phases():
    runner = CliRunner(env={"COLUMNS": "250"})
    res = runner.invoke(app, ["validate", "gift_launch_content"])
    assert res.exit_code == 0 and "phase from day 60 (content-led): content_posts_per_day 0.5 → 1.5" in res.stdout
    res = runner.invoke(app, ["run", "gift_launch_content", "--users", "300", "--days", "90", "--seeds", "1", "--no-store"])
    assert res.exit_code == 0, res.output
    assert "gift_launch_content plan phases: day 0 the base plan; from day 60 (content-led)" in res.stdout
    res = runner.invoke(app, ["list"])
    assert "gift_launch_content" in res.stdout
