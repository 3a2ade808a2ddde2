"""Optimising a phase switch day: when should gift_launch_content's gift-hook launch give way to content?

The phase's ``from_day`` is an integer decision variable reached by ``phases.0.from_day``
(sim.experiments.parameter resolves list items); over 120 days a longer gift launch brings a
larger pool, so the search must find a late switch. The recommended YAML keeps the phase with
the decided day; a switch day outside the horizon is one line before any run.
"""

from __future__ import annotations

import pytest

import sim
from sim import ScenarioError
from sim.experiments import LocalBackend
from sim.planning import optimize as op

DAY = "phases.0.from_day"


@pytest.fixture(scope="module")
def phased() -> sim.Scenario:
    return sim.load_scenario("gift_launch_content").with_overrides({"population.n_users": 1_500, "horizon_days": 120})


def test_the_search_moves_the_switch_day_and_the_plan_keeps_the_phase(phased, tmp_path):
    with LocalBackend(workers=2) as backend:
        res = op.optimize(phased, [f"{DAY}=10:110"], "final_private_pool", trials=8, seeds=2, fresh_seeds=2,
                          compare=[], backend=backend, store=False)
    days = res.trials[DAY]
    assert all(float(d).is_integer() and 10 <= d <= 110 for d in days)
    best = res.plan()[DAY]
    assert isinstance(best, int) and best > 60, res.trials[[DAY, "objective"]]
    res.base_ref = "gift_launch_content"
    loaded = sim.load_scenario(res.write_yaml(tmp_path / "plan.yaml"))
    assert loaded.phases[0].from_day == best
    assert loaded.phases[0].strategy.content_posts_per_day == phased.phases[0].strategy.content_posts_per_day
    assert "extends: gift_launch_content" in (tmp_path / "plan.yaml").read_text()


def test_a_switch_day_outside_the_horizon_or_a_missing_phase_is_one_line(phased):
    with pytest.raises(ScenarioError, match="outside the horizon"):
        op.decisions(phased, [f"{DAY}=10:200"])
    with pytest.raises(ScenarioError, match="no item '3'"):
        op.decisions(phased, ["phases.3.from_day=10:100"])
    with pytest.raises(ScenarioError, match="only the plan can be decided"):
        op.decisions(phased, ["phases.0.label"])
    decs = op.decisions(phased, [f"{DAY}=10:110", "phases.0.strategy.content_posts_per_day=0.5:3"])
    assert [d.kind for d in decs] == ["int", "float"]
