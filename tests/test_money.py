"""Money over time (``sim.money``): discounting, the monthly cash flow, its bands and its figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.figures import cashflow_figure
from sim.money import (
    FLOW_COLUMNS,
    cashflow_bands,
    discount_factors,
    discounted_payback_day,
    monthly_cashflow,
    npv,
)
from sim.results import COST_COLUMNS, Ensemble, RunResult
from sim.scenario import Scenario


def daily(n: int, margin, **costs) -> pd.DataFrame:
    """A daily table of ``n`` days with the given margin and cost columns (others zero)."""
    d = {"day": np.arange(n), "margin": np.broadcast_to(np.asarray(margin, dtype=float), n).copy()}
    for c in COST_COLUMNS:
        d[c] = np.broadcast_to(np.asarray(costs.get(c, 0.0), dtype=float), n).copy()
    return pd.DataFrame(d)


def test_discount_factors_follow_daily_compounding():
    f = discount_factors(731, 0.21)
    assert f[0] == 1.0
    assert f[365] == pytest.approx(1 / 1.21) and f[730] == pytest.approx(1 / 1.21 ** 2)
    assert np.all(np.diff(f) < 0)
    assert np.all(discount_factors(10, 0.0) == 1.0)
    with pytest.raises(ValueError, match="annual_rate"):
        discount_factors(3, -0.1)


def test_npv_and_discounted_payback_functions():
    assert npv([1.0, 2.0, 3.0], 0.0) == 6.0
    assert discounted_payback_day([-5.0, 5.0], 0.0) == 1.0
    assert discounted_payback_day([-5.0, 5.0], 0.3) == float("inf")
    assert discounted_payback_day([1.0, 2.0], 0.3) == 0.0


def test_monthly_cashflow_sums_days_into_30_day_months():
    d = daily(65, margin=10.0, cost_ads=2.0, cost_staff=1.0)
    d.loc[64, "cost_hooks"] = 100.0  # one big cost on the last day of the short last month
    m = monthly_cashflow(d, 0.0)
    assert m["month"].tolist() == [0, 1, 2]
    assert m["first_day"].tolist() == [0, 30, 60] and m["last_day"].tolist() == [29, 59, 64]
    assert m["inflow"].tolist() == [300.0, 300.0, 50.0]
    assert m["cost_ads"].tolist() == [60.0, 60.0, 10.0] and m["cost_hooks"].tolist() == [0.0, 0.0, 100.0]
    assert m["outflow"].tolist() == [90.0, 90.0, 115.0]
    assert m["net"].tolist() == [210.0, 210.0, -65.0]
    assert m["cumulative"].tolist() == [210.0, 420.0, 355.0]
    assert m["discounted_cumulative"].tolist() == pytest.approx(m["cumulative"].tolist())  # r = 0
    # the cumulative net at the end is the run's cumulative profit; outflow = the sum of its kinds
    assert m["cumulative"].iloc[-1] == pytest.approx((d["margin"] - d[COST_COLUMNS].sum(axis=1)).sum())
    assert np.allclose(m[COST_COLUMNS].sum(axis=1), m["outflow"])


def test_discounted_cumulative_discounts_each_day():
    r = 0.4
    d = daily(90, margin=5.0, cost_content=1.0)
    m = monthly_cashflow(d, r)
    disc = np.cumsum(4.0 * (1 + r) ** (-np.arange(90) / 365))
    assert m["discounted_cumulative"].tolist() == pytest.approx([disc[29], disc[59], disc[89]])
    assert m["discounted_cumulative"].iloc[-1] == pytest.approx(npv(np.full(90, 4.0), r))
    assert np.all(m["discounted_cumulative"] < m["cumulative"])


def _ensemble(tables: list[pd.DataFrame], rate: float) -> Ensemble:
    sc = Scenario().with_overrides({"finance.discount_rate": rate, "horizon_days": len(tables[0])})
    runs = [RunResult(scenario=sc, seed=i, daily=t, users=pd.DataFrame(), summary={}) for i, t in enumerate(tables)]
    return Ensemble(scenario=sc, runs=runs)


def test_cashflow_bands_are_quantiles_over_seeds_at_the_scenarios_rate():
    ens = _ensemble([daily(60, margin=m, cost_ads=1.0) for m in (1.0, 2.0, 3.0, 4.0, 5.0)], rate=0.0)
    b = cashflow_bands(ens)
    assert b["month"].tolist() == [0, 1]
    assert b["inflow_q50"].tolist() == [90.0, 90.0]
    assert b["inflow_q10"].tolist() == pytest.approx([30 * 1.4] * 2)  # 10 % quantile of 30, 60, ..., 150
    assert b["inflow_q90"].tolist() == pytest.approx([30 * 4.6] * 2)
    assert b["cost_ads_q50"].tolist() == [30.0, 30.0]
    assert b["cumulative_q50"].tolist() == [60.0, 120.0]
    for col in FLOW_COLUMNS:
        assert (b[f"{col}_q10"] <= b[f"{col}_q50"]).all() and (b[f"{col}_q50"] <= b[f"{col}_q90"]).all()
    # the rate comes from the scenario unless given
    disc = cashflow_bands(_ensemble([daily(60, margin=2.0)], rate=0.5))
    assert disc["discounted_cumulative_q50"].iloc[-1] == pytest.approx(npv(np.full(60, 2.0), 0.5))
    assert cashflow_bands(_ensemble([daily(60, margin=2.0)], rate=0.5), annual_rate=0.0)[
        "discounted_cumulative_q50"].iloc[-1] == pytest.approx(120.0)


def test_cashflow_figure_draws_inflows_above_outflows_below_and_banded_cumulative_lines():
    ens = _ensemble([daily(90, margin=m, cost_ads=3.0, cost_staff=2.0) for m in (4.0, 6.0, 8.0)], rate=0.2)
    fig = cashflow_figure(cashflow_bands(ens), "Cash", names={"cost_ads": "广告", "inflow": "流入"})
    bars = [tr for tr in fig.data if tr.type == "bar"]
    assert [b.name for b in bars] == ["流入", "广告", "Hooks", "Rebates", "Referrals", "Content", "Staff",
                                      "Accounts", "Commission"]
    assert all(v > 0 for v in bars[0].y) and all(v == -90.0 for v in bars[1].y)  # outflows below zero
    assert all(v == -60.0 for v in bars[6].y)
    assert fig.layout.barmode == "relative" and fig.layout.title.text == "Cash"
    lines = [tr for tr in fig.data if tr.type == "scatter"]
    assert len(lines) == 6 and all(tr.yaxis == "y2" for tr in lines)
    med = [tr for tr in lines if tr.mode == "lines+markers"]
    assert [tr.name for tr in med] == ["Cumulative net", "Discounted cumulative net"]
    upper = [tr for tr in lines if tr.fill == "tonexty"]
    assert len(upper) == 2
    assert list(fig.data[0].x) == [1, 2, 3]
    # the band holds the median: q10 ≤ q50 ≤ q90 on each cumulative line
    lo, hi, mid = lines[0].y, lines[1].y, lines[2].y
    assert all(a <= c <= b for a, b, c in zip(lo, hi, mid, strict=True))


def test_cashflow_figure_shades_plan_phases_where_their_days_fall_on_the_month_axis():
    ens = _ensemble([daily(150, margin=2.0)], rate=0.1)
    flows = cashflow_bands(ens)
    assert not cashflow_figure(flows).layout.shapes  # no scenario given: no phases
    phased = sim.load_scenario("gift_launch_content").with_overrides({"horizon_days": 150})
    assert [ph.from_day for ph in phased.phases] == [60]
    fig = cashflow_figure(flows, scenario=phased, phase_text="阶段 {k}")
    (band,) = fig.layout.shapes
    # month m is drawn at m + 1 and holds days 30m..30m+29: days 60..149 are months 2..4 → x 2.5 to 5.5
    assert (band.x0, band.x1) == pytest.approx((2.5, 5.5))
    assert [a.text for a in fig.layout.annotations] == ["content-led"]
    unlabelled = phased.with_overrides({"phases": [{"from_day": 45, "strategy": {"ad_posts_per_day": 0.2}}]})
    (band,) = cashflow_figure(flows, scenario=unlabelled, phase_text="阶段 {k}").layout.shapes
    assert (band.x0, band.x1) == pytest.approx((2.0, 5.5))  # day 45 is the middle of month 1 (x 1.5 to 2.5)
    assert cashflow_figure(flows, scenario=unlabelled, phase_text="阶段 {k}").layout.annotations[0].text == "阶段 1"
