"""Chance constraints of the optimiser: ``KPI@qNN<=X`` holds when the NN-th percentile over seeds meets X.

A planner's budget is rarely "on the median": ``cost_total@q80<=X`` asks that the cost stays
under X in at least 80 % of seeds. Parsed and refused in one line; in a real (tiny) search the
trials table carries the percentile, feasibility follows it and not the median, and it survives
the store and the fresh-seed check.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim import ScenarioError
from sim.experiments import LocalBackend, Store
from sim.experiments.sweep import quantiles
from sim.planning import optimize as op

ADS = "strategy.ad_posts_per_day"
CONTENT = "strategy.content_posts_per_day"


def test_a_chance_constraint_reads_its_percentile_and_says_it_back():
    c = op.parse_constraint(" cost_total @ q80 <= 2000 ")
    assert (c.kpi, c.op, c.bound, c.quantile) == ("cost_total", "<=", 2000.0, 0.8)
    assert (c.text, c.statistic, c.column) == ("cost_total@q80<=2000", "q80", "cost_total_q80")
    med = op.parse_constraint("cost_total@median<=2000")
    assert med == op.parse_constraint("cost_total<=2000") and med.text == "cost_total<=2000" and med.column == "cost_total_q50"
    values = np.array([100.0, 200.0, 300.0, 400.0, 500.0])
    assert c.value(values) == pytest.approx(quantiles(values, (0.8,))[0]) and c.value(values) > med.value(values)
    assert c.violation(c.value(values)) < 0 and op.parse_constraint("cost_total@q80<=400").violation(c.value(values)) > 0
    lo = op.parse_constraint("final_private_pool@q10>=300")  # reached in at least 90 % of seeds
    assert lo.quantile == pytest.approx(0.1) and lo.violation(lo.value(values)) > 0
    assert lo.to_dict()["quantile"] == pytest.approx(0.1) and lo.to_dict()["statistic"] == "q10"
    # the median and a percentile of the same KPI are two constraints; the same one twice is refused
    assert len(op.constraints_of(["cost_total<=2000", "cost_total@q90<=3000"])) == 2
    with pytest.raises(ScenarioError, match="cost_total@q90<= is given twice"):
        op.constraints_of(["cost_total@q90<=2000", "cost_total@q90<=3000"])


@pytest.mark.parametrize("text", ["cost_total@q0<=1", "cost_total@q100<=1", "cost_total@p90<=1", "cost_total@<=1",
                                  "cost_total@q9x<=1"])
def test_a_bad_percentile_is_one_line(text):
    with pytest.raises(ScenarioError) as err:
        op.parse_constraint(text)
    msg = str(err.value)
    assert "\n" not in msg and ("q1 to q99" in msg or "must look like" in msg)


def test_a_search_keeps_the_percentile_and_its_feasibility_follows_it(tmp_path):
    tiny = sim.load_scenario("spam_blast").with_overrides({"population.n_users": 1_500, "horizon_days": 60})
    store = Store(tmp_path)
    with LocalBackend(workers=2) as backend:
        res = op.optimize(tiny, {ADS: (0, 15), CONTENT: (0, 5)}, "final_private_pool",
                          constraints=["cost_total@q80<=2000"], trials=10, seeds=4, fresh_seeds=3, compare=[],
                          backend=backend, store=store, id="chance")
    t = res.trials
    runs = store.table("chance")
    search = runs[runs["stage"] == "search"]
    for _, row in t.iterrows():  # the column is the 80th percentile of the trial's own seeds
        per_seed = search.loc[search["point"] == row["trial"], "cost_total"].to_numpy(dtype=float)
        assert len(per_seed) == 4
        assert row["cost_total_q80"] == pytest.approx(quantiles(per_seed, (0.8,))[0])
    assert t["feasible"].any() and (~t["feasible"]).any()
    assert (t["feasible"] == (t["cost_total_q80"] <= 2000)).all()  # the percentile decides, not the median
    check = res.fresh_check()
    assert [(c["constraint"], c["statistic"]) for c in check] == [("cost_total@q80<=2000", "q80")]
    rec = res.reevaluation[res.reevaluation["scenario"] == "recommended"]["cost_total"].to_numpy(dtype=float)
    assert check[0]["value"] == pytest.approx(quantiles(rec, (0.8,))[0])
    again = op.load_optimization("chance", store)
    assert again.constraints == res.constraints and again.constraints[0].quantile == pytest.approx(0.8)
    assert "cost_total@q80<=2000" in res.recommended_yaml()
