"""The engine and its plain-Mesa twin (benchmarks/plain_mesa.py) agree in distribution.

The twin writes the private pool's rules out again as per-agent Mesa code (see its module
docstring for what it includes). On small runs of shipped scenarios, over independent seeds,
every KPI the twin models must agree with the engine's within seed spread: the difference of
the means over seeds at most ``Z`` standard errors (Welch) — see ``plain_mesa.agreement``.
A twin with one rule parameter perturbed must be told apart, so the check can fail.

Runs are small (2,000 users, 120 days, 6 seeds each) and not timed; the 20,000-user version
with 10 seeds is ``benchmarks/plain_mesa_bench.py`` (figures in docs/PERFORMANCE.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import sim

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from plain_mesa import PlainMesaModel, agreement, compare, run_twin  # noqa: E402

N_USERS, DAYS, SEEDS = 2_000, 120, 6
#: z-score bound of the CI check: with 6 seeds a side and 36 KPI comparisons, identical models
#: fail it with probability at most about 2 % (Student t, 10 degrees of freedom, union bound)
Z = 5.0

#: every scenario runs with five times its paid reach, so that the 2,000-user market fills a
#: private pool of a few hundred users within the short horizon (the shipped reach gives a few
#: dozen, too few to tell the models apart); the 20,000-user benchmark runs them as shipped
SMALL = {"population.n_users": N_USERS, "horizon_days": DAYS, "public.ad_reach_per_day": 0.05}

#: shipped scenarios, what each exercises, and a perturbed twin that must be told apart
SCENARIOS = {
    # fatigue: mutes, overload leaves, dormant clean-up; the twin's users leave half as fast past the leave threshold
    "spam_blast": ({}, {"fatigue.leave_rate": 0.1}, "leaves_fatigue"),
    # cash hooks, cash back, red packets, rebates stopping on day 60, lost-incentive churn (twice as strong)
    "rebate_led": ({"strategy.rebate_end_day": 60}, {"fatigue.incentive_leave_rate": 0.06}, "leaves"),
    # referral cascades, campaigns, group-buys, partners, routing by tags, the mini-program
    "hybrid_referral": ({}, None, None),
}


def _report(ag: dict) -> str:
    return "; ".join(f"{k}: engine {v['engine_median']:.4g} twin {v['twin_median']:.4g} z={v['z']:.2f}"
                     for k, v in ag.items() if not v["agrees"])


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_engine_and_plain_mesa_twin_agree(name):
    extra, perturbed, flagged = SCENARIOS[name]
    sc = sim.load_scenario(name).with_overrides({**SMALL, **extra})
    result = compare(sc, SEEDS)
    ag = agreement(result["engine"], result["twin"], z_max=Z)
    assert all(v["agrees"] for v in ag.values()), _report(ag)
    # the comparison is not vacuous: a pool, its purchases, its mutes and leaves are there in both models
    for k in ("final_private_pool", "purchases", "mutes", "leaves"):
        assert min(ag[k]["engine_median"], ag[k]["twin_median"]) > 10, k
    if perturbed is None:
        return
    # the criterion can fail: the same engine runs against a twin with one parameter changed
    twin = [run_twin(sc.with_overrides(perturbed), 10_000 + s)[0] for s in range(SEEDS)]
    bad = agreement(result["engine"], twin, z_max=Z)
    assert not bad[flagged]["agrees"], bad[flagged]


def test_agreement_criterion():
    same = [{"x": 10.0 + d} for d in (-1, 0, 1, 0.5, -0.5)]
    shifted = [{"x": 14.0 + d} for d in (-1, 0, 1, 0.5, -0.5)]
    assert agreement(same, same, kpis=("x",))["x"]["agrees"]
    assert not agreement(same, shifted, kpis=("x",))["x"]["agrees"]  # 4 apart, se ≈ 0.5
    zeros = [{"x": 0.0}] * 3
    assert agreement(zeros, zeros, kpis=("x",))["x"]["agrees"]
    assert not agreement(zeros, [{"x": 1.0}] * 3, kpis=("x",))["x"]["agrees"]
    nan = [{"x": float("nan")}] * 3
    assert agreement(nan, nan, kpis=("x",))["x"]["agrees"]
    assert not agreement(nan, same, kpis=("x",))["x"]["agrees"]


def test_twin_is_plain_mesa_and_deterministic():
    sc = sim.load_scenario("content_led").with_overrides({"population.n_users": 300, "horizon_days": 30})
    a, b = PlainMesaModel(sc, seed=3), PlainMesaModel(sc, seed=3)
    for _ in range(sc.horizon_days):
        a.step()
        b.step()
    assert repr(a.rows) == repr(b.rows)  # (mean trust is NaN before anyone joins)
    assert len(a.agents) == 300 and len(a.pool) == a.rows[-1]["private_pool"] > 0
    with pytest.raises(ValueError, match="budget"):
        PlainMesaModel(sc.with_overrides({"budget.monthly_cap": 1e6}), seed=0)


@pytest.mark.parametrize("overrides", [
    {"network.kind": "well_mixed"}, {"network.kind": "small_world"}, {"network.kind": "random"},
    {"fulfilment.capacity_per_day": 1.0, "fulfilment.failure_rate": 0.0},
])
def test_twin_runs_every_network_and_capacity(overrides):
    sc = sim.load_scenario("hybrid_referral").with_overrides(
        {"population.n_users": 400, "horizon_days": 40, "public.ad_reach_per_day": 0.2, **overrides})
    m = PlainMesaModel(sc, seed=1)
    for _ in range(sc.horizon_days):
        m.step()
    degrees = [len(u.contacts) for u in m.users]
    if overrides.get("network.kind") == "well_mixed":
        assert not m.graph and max(degrees) == 0
    else:
        assert m.graph and abs(sum(degrees) / len(degrees) - sc.network.mean_degree) < 2
        assert all(u in v.contacts for u in m.users for v in u.contacts)  # symmetric
        assert any(any(u.exposed) for u in m.users)  # shares used edges
        assert all(u.fresh == u.exposed.count(False) for u in m.users)
    assert sum(r.get("referrals", 0) for r in m.rows) > 0  # campaign seeds shared
    if "fulfilment.capacity_per_day" in overrides:  # capacity int(0.04) = 0 a day: every private order fails
        assert all(r.get("failures", 0) == r.get("private_purchases", 0) for r in m.rows)
