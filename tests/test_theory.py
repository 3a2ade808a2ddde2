"""The referral threshold theory (sim.theory) and the model against it, at small size."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim import ScenarioError, theory


def test_final_size_is_zero_below_threshold_and_solves_the_equation_above():
    for r in (0.0, 0.3, 0.99, 1.0):
        assert theory.final_size(r) == 0.0
    prev = 0.0
    for r in (1.01, 1.2, 1.5, 2.0, 3.0, 6.0):
        s = theory.final_size(r)
        assert s > prev and 0.0 < s < 1.0
        assert s == pytest.approx(1.0 - math.exp(-r * s), abs=1e-9)
        prev = s
    assert theory.final_size(2.0) == pytest.approx(0.7968, abs=1e-4)  # textbook value


def test_final_size_with_seeds_counts_them_and_smooths_the_threshold():
    s = theory.final_size(0.5, seed_share=0.01)
    assert s == pytest.approx(1.0 - 0.99 * math.exp(-0.5 * s), abs=1e-9)
    assert 0.01 < s < 0.03  # ≈ ρ / (1 − r) below the threshold
    assert theory.final_size(1.0, seed_share=0.002) > 0.05  # ≈ √(2ρ) at the threshold
    np.testing.assert_allclose(theory.final_sizes([0.5, 2.0]), [0.0, theory.final_size(2.0)])


@pytest.mark.parametrize("kw, match", [({"r": -1.0}, "r = -1"), ({"r": math.nan}, "r = nan"),
                                       ({"r": 1.0, "seed_share": 1.0}, "seed_share")])
def test_final_size_refuses_bad_input_in_one_line(kw, match):
    with pytest.raises(ScenarioError, match=match) as err:
        theory.final_size(**kw)
    assert "\n" not in str(err.value)


def test_transmissibility_of_the_isolated_setting_is_join_prob():
    sc = theory.isolated_referral(1000, r=1.5, mean_degree=10)
    assert sc.referral.join_prob == pytest.approx(0.15)
    assert theory.transmissibility(sc) == pytest.approx(0.15, rel=1e-3)
    # an entry threshold keeps low-need contacts out: T falls
    assert theory.transmissibility(sc.with_overrides({"strategy.entry_threshold": 0.5})) < 0.1
    # no cash appeal and no purchases: nobody shares unprompted, T = 0
    assert theory.transmissibility(sc.with_overrides({"strategy.referral_reward": 0.0})) == 0.0
    assert theory.transmissibility(sc.with_overrides({"mechanisms.referral": False})) == 0.0
    with pytest.raises(ScenarioError, match="r = 20"):
        theory.isolated_referral(1000, r=20, mean_degree=10)


def _reached(r: float, seed: int, n: int = 3000) -> float:
    run = sim.simulate(theory.isolated_referral(n, r=r, horizon=200), seed=seed)
    return float(run.daily["referral_joins"].sum()) / n


def test_simulated_cascades_follow_the_threshold_curve():
    """≈0 below T·k = 1, on S = 1 − e^(−TkS) above it (3,000 users, 2 seeds)."""
    for seed in (0, 1):
        assert _reached(0.5, seed) < 0.02
        for r in (2.0, 3.0):
            assert abs(_reached(r, seed) - theory.final_size(r)) < 0.05, (r, seed)


def test_threshold_demo_table_curve_and_figure():
    from dashboard import learn
    from sim import figures

    scns = learn.threshold_scenarios(1000, 60, rs=(0.5, 2.0))
    assert list(scns) == ["r=0.5", "r=2"]
    assert all(s.public.ad_reach_per_day == pytest.approx(0.005) for s in scns.values())  # ≥ 5 seeds
    ens = {k: sim.simulate_many(v, seeds=[0, 1], workers=1) for k, v in scns.items()}
    table = learn.threshold_table(ens)
    assert len(table) == 4 and set(table.columns) == {"r", "seed", "reached", "seeded"}
    np.testing.assert_allclose(sorted(set(table["r"].round(3))), [0.5, 2.0], atol=1e-3)
    assert (table["seeded"] > 0).all()
    curve = learn.threshold_curve()
    assert (curve.loc[curve["r"] <= 1.0, "reached"] == 0).all() and curve["reached"].iloc[-1] > 0.9
    fig = figures.threshold_figure(table, curve, "t")
    assert [tr.name for tr in fig.data] == ["Theory: S = 1 − e^(−TkS)", "Each seed", "Median, 10–90 % of seeds"]
    assert len(fig.data[1].x) == 4 and fig.layout.shapes[0].x0 == 1.0
