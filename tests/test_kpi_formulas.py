"""The KPI formulas (``sim.runner.kpis``) on hand-built daily and user tables, edge cases included."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.population import NEVER
from sim.runner import kpis, payback_day

STAGES = ["public", "follower", "customer", "repeat", "member", "partner", "dormant", "churned"]


def daily(profit, **cols) -> pd.DataFrame:
    """A daily table with the given profit per day (and other columns; default zero)."""
    profit = np.asarray(profit, dtype=float)
    n = len(profit)
    d = {"day": np.arange(n), "profit": profit, "cum_profit": np.cumsum(profit)}
    for k in ("cost_total", "first_purchases", "acq_cost", "margin", "gmv", "purchases", "mutes", "referral_joins",
              "budget_bound"):
        d[k] = np.asarray(cols.get(k, np.zeros(n)), dtype=float)
    return pd.DataFrame(d)


def users(rows: list[dict]) -> pd.DataFrame:
    """A user table; each row gives any of stage, purchases, private_purchases, join_day, referrer, spend, trust."""
    base = {"stage": "public", "purchases": 0, "private_purchases": 0, "join_day": NEVER, "referrer": -1,
            "spend": 0.0, "trust": 0.0}
    df = pd.DataFrame([{**base, **r} for r in rows])
    df["stage"] = pd.Categorical(df["stage"], categories=STAGES)
    return df


NOBODY = users([{}, {}])


# --- payback and profit ------------------------------------------------------------------------
@pytest.mark.parametrize("profit, want", [
    ([5, 1, 0, 2], 0.0),            # never negative
    ([0, 0, 0], 0.0),               # zero is not negative
    ([-3, 4, 1], 1.0),              # negative on day 0 only: turns on day 1
    ([-3, -1, 2, 5], 3.0),          # cumulative -3, -4, -2, 3
    ([-3, 5, -4, 6], 3.0),          # dips again: the last negative day counts
    ([2, -3, 4, 1], 2.0),           # positive, then negative, then back
    ([-1, -1, -1, 4], 3.0),         # turns on the last day
])
def test_payback_day_on_hand_built_series(profit, want):
    k = kpis(daily(profit), NOBODY, len(profit))
    assert k["payback_day"] == want and k["paid_back"] == 1.0
    assert payback_day(np.cumsum(profit)) == want


@pytest.mark.parametrize("profit", [[-1], [-5, 2, 1], [3, -4], [1, 1, -3], [-2, 5, -4]])
def test_still_negative_at_the_end_is_never_paid_back(profit):
    k = kpis(daily(profit), NOBODY, len(profit))
    assert k["payback_day"] == math.inf and k["paid_back"] == 0.0
    assert payback_day(np.cumsum(profit)) == math.inf


def test_cum_profit_and_roi():
    d = daily([-10, 30, 5], cost_total=[20, 10, 10])
    k = kpis(d, NOBODY, 3)
    assert k["cum_profit"] == 25.0 and k["roi"] == pytest.approx(25 / 40)
    assert kpis(daily([0, 0]), NOBODY, 2)["roi"] == 0.0  # no cost: ROI 0, not a division by zero
    assert kpis(daily([-5, 1], cost_total=[4, 1]), NOBODY, 2)["roi"] == pytest.approx(-4 / 5)


# --- acquisition and value ---------------------------------------------------------------------
def test_cac_ltv_and_their_ratio():
    d = daily([0, 0, 0], first_purchases=[2, 0, 2], acq_cost=[10, 6, 4], margin=[30, 10, 20], gmv=[70, 20, 40])
    u = users([{"purchases": 1}, {"purchases": 3}, {"purchases": 2}, {}, {"purchases": 1}])
    k = kpis(d, u, 3)
    assert k["cac"] == pytest.approx(20 / 4)
    assert k["ltv"] == pytest.approx(60 / 4)
    assert k["ltv_cac"] == pytest.approx(3.0)
    assert k["gmv_total"] == 130.0
    assert k["repeat_rate"] == pytest.approx(2 / 4)


def test_cac_is_undefined_without_new_customers_and_ltv_zero_without_customers():
    k = kpis(daily([0, 0], acq_cost=[5, 5], margin=[1, 1]), NOBODY, 2)
    assert math.isnan(k["cac"]) and math.isnan(k["ltv_cac"])
    assert k["ltv"] == 0.0 and k["repeat_rate"] == 0.0 and math.isnan(k["ltv_referral"])
    free = kpis(daily([0], first_purchases=[2], margin=[8]), users([{"purchases": 1}, {"purchases": 1}]), 1)
    assert free["cac"] == 0.0 and math.isnan(free["ltv_cac"]) and free["ltv"] == 4.0


def test_ltv_with_referrals_is_margin_per_customer_incl_the_margin_of_those_they_brought():
    # cost of goods per order = (Σ gmv − Σ margin) / Σ purchases = (58 − 22) / 6 = 6 RMB,
    # so a user's margin is spend − 6 × purchases
    u = users([
        {"stage": "customer", "join_day": 0, "private_purchases": 1, "purchases": 1, "spend": 10.0},  # 0: margin 4
        {"stage": "repeat", "join_day": 1, "private_purchases": 2, "purchases": 2, "spend": 20.0, "referrer": 0},  # 8
        {"stage": "follower", "join_day": 2, "spend": 0.0, "referrer": 0},                                # 0
        {"stage": "customer", "join_day": 2, "private_purchases": 1, "purchases": 1, "spend": 10.0, "referrer": 1},  # 4
        {"stage": "public", "purchases": 1, "spend": 8.0},                      # 4: platform only, on discount: 2
        {"stage": "churned", "join_day": 0, "purchases": 1, "private_purchases": 0, "spend": 10.0, "referrer": 0},  # 4
    ])
    k = kpis(daily([0], first_purchases=[5], acq_cost=[1], gmv=[58], margin=[22], purchases=[6]), u, 1)
    assert k["ltv"] == pytest.approx(22 / 5)  # customers: users 0, 1, 3, 4, 5
    # own margin + margin of the users each referred directly (not the whole cascade)
    want = ((4 + 8 + 0 + 4) + (8 + 4) + 4 + 2 + 4) / 5
    assert k["ltv_referral"] == pytest.approx(want)
    # same basis: the difference is the margin of referred users per customer
    assert k["ltv_referral"] - k["ltv"] == pytest.approx((8 + 0 + 4 + 4) / 5)


def test_ltv_with_referrals_equals_ltv_without_referrals():
    u = users([{"purchases": 2, "spend": 30.0}, {"purchases": 1, "spend": 15.0}, {}])
    k = kpis(daily([0], first_purchases=[2], gmv=[45], margin=[18], purchases=[3]), u, 1)
    assert k["ltv_referral"] == pytest.approx(k["ltv"]) == pytest.approx(9.0)


# --- money over time (sim.money) -------------------------------------------------------------
@pytest.mark.parametrize("profit", [[5, 1, 0, 2], [-3, -1, 2, 5], [-3, 5, -4, 6], [-1], [2.5, -7.25, 1e4]])
def test_npv_at_rate_zero_is_cumulative_profit_and_payback_unchanged(profit):
    k = kpis(daily(profit), NOBODY, len(profit), discount_rate=0.0)
    assert k["npv"] == pytest.approx(k["cum_profit"])
    assert k["discounted_payback_day"] == k["payback_day"]
    assert k["paid_back_discounted"] == k["paid_back"]


def test_npv_of_a_constant_daily_profit_is_a_geometric_sum():
    n, r = 730, 0.12
    v = (1 + r) ** (-1 / 365)
    k = kpis(daily(np.full(n, 10.0)), NOBODY, n, discount_rate=r)
    assert k["npv"] == pytest.approx(10 * (1 - v ** n) / (1 - v))
    assert k["npv"] < k["cum_profit"] == pytest.approx(10 * n)


def test_one_payment_a_year_out_is_worth_one_over_one_plus_r():
    profit = np.zeros(366)
    profit[365] = 110.0
    assert kpis(daily(profit), NOBODY, 366, discount_rate=0.10)["npv"] == pytest.approx(100.0)
    assert kpis(daily([100.0]), NOBODY, 1, discount_rate=0.5)["npv"] == 100.0  # day 0 is not discounted


def test_discounted_payback_on_a_hand_built_series():
    # invest 1000 on day 0, earn 10 a day: undiscounted cumulative ≥ 0 from day 100
    profit = np.r_[-1000.0, np.full(400, 10.0)]
    r = 0.5
    k = kpis(daily(profit), NOBODY, len(profit), discount_rate=r)
    assert k["payback_day"] == 100.0
    disc = np.cumsum(profit * (1 + r) ** (-np.arange(len(profit)) / 365))
    want = float(np.flatnonzero(disc < 0)[-1] + 1)
    assert k["discounted_payback_day"] == want > 100.0 and k["paid_back_discounted"] == 1.0


def test_paid_back_but_never_paid_back_discounted():
    k = kpis(daily([-10.0, 10.0]), NOBODY, 2, discount_rate=0.2)
    assert k["payback_day"] == 1.0 and k["paid_back"] == 1.0
    assert k["discounted_payback_day"] == math.inf and k["paid_back_discounted"] == 0.0
    assert k["npv"] < 0


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=1, max_size=60), st.floats(0.0, 1.0))
def test_discounting_never_pays_back_earlier(profit, r):
    k = kpis(daily(profit), NOBODY, len(profit), discount_rate=r)
    assert k["discounted_payback_day"] >= k["payback_day"]
    if k["paid_back_discounted"] == 1.0:
        assert k["paid_back"] == 1.0


# --- the pool ----------------------------------------------------------------------------------
def test_pool_churn_and_trust_kpis():
    u = users([
        {"stage": "follower", "join_day": 0, "trust": 0.2},
        {"stage": "dormant", "join_day": 0, "trust": 0.4},
        {"stage": "partner", "join_day": 3, "trust": 0.9},
        {"stage": "churned", "join_day": 1, "trust": 0.8},
        {"stage": "churned", "join_day": 2, "trust": 0.7},
        {"stage": "public", "trust": 0.0},
    ])
    k = kpis(daily([0, 0], mutes=[2, 3], referral_joins=[1, 4]), u, 2)
    assert k["final_private_pool"] == 3.0
    assert k["churn_rate"] == pytest.approx(2 / 5)
    assert k["mean_trust"] == pytest.approx(0.5)
    assert k["mutes_total"] == 5.0 and k["referral_joins_total"] == 5.0


def test_kpis_read_the_stage_as_names_categories_or_codes_alike():
    # a users table's stage column as plain names, as a categorical of the stage names, or as the
    # Stage codes the engine's KPI columns hold (UsersTable.kpi_columns): the same KPIs
    rows = [{"stage": s, "join_day": 0, "trust": 0.1 * (i + 1), "purchases": i % 3}
            for i, s in enumerate(["follower", "churned", "partner", "dormant", "churned", "repeat"])]
    rows.append({"stage": "public", "trust": 0.0})
    cat = users(rows)
    names = cat.assign(stage=cat["stage"].astype(str))
    codes = {c: cat[c].to_numpy() for c in cat.columns}
    codes["stage"] = cat["stage"].cat.codes.to_numpy().astype(np.int8)
    want = kpis(daily([0, 1]), cat, 2)
    assert want["churn_rate"] == pytest.approx(2 / 6) and want["final_private_pool"] == 4.0
    for other in (names, codes):
        got = kpis(daily([0, 1]), other, 2)
        assert got == pytest.approx(want, nan_ok=True, rel=0, abs=0)


def test_kpis_of_a_run_without_a_private_pool():
    k = kpis(daily([1, 1]), NOBODY, 2)
    assert k["final_private_pool"] == 0.0
    assert math.isnan(k["churn_rate"]) and math.isnan(k["mean_trust"])  # undefined, shown "—"
    assert set(k) >= {"cum_profit", "roi", "payback_day", "paid_back", "cac", "ltv", "ltv_referral", "ltv_cac",
                      "npv", "discounted_payback_day", "paid_back_discounted",
                      "final_private_pool", "repeat_rate", "churn_rate", "mean_trust", "gmv_total",
                      "mutes_total", "referral_joins_total"}


def test_every_private_stage_counts_in_the_final_pool_and_its_trust():
    private = ["follower", "customer", "repeat", "member", "partner", "dormant"]
    rows = [{"stage": s, "join_day": 0, "trust": 0.1 * (i + 1)} for i, s in enumerate(private)]
    rows += [{"stage": "churned", "join_day": 0, "trust": 0.99}, {"stage": "public", "trust": 0.99}]
    k = kpis(daily([0]), users(rows), 1)
    assert k["final_private_pool"] == 6.0 and k["mean_trust"] == pytest.approx(0.35)
    assert k["churn_rate"] == pytest.approx(1 / 7)
    for drop in private:  # each stage on its own is counted
        one = [r for r in rows if r["stage"] != drop]
        assert kpis(daily([0]), users(one), 1)["final_private_pool"] == 5.0
    # a user who never joined is not in the pool whatever its stage says
    ghost = users([{"stage": "follower", "join_day": NEVER, "trust": 0.5}])
    assert kpis(daily([0]), ghost, 1)["final_private_pool"] == 0.0


def test_peak_month_cost_is_the_largest_30_day_month_and_counts_a_short_last_month():
    cost = np.ones(75)  # months of 30, 30 and 15 days
    cost[30:60] = 2.0  # the second month costs 60
    cost[29] = 11.0  # day 29 belongs to the first month (40), not the second
    assert kpis(daily(np.zeros(75), cost_total=cost), NOBODY, 75)["peak_month_cost"] == 60.0
    cost[60:] = 5.0  # the last, 15-day month costs 75
    assert kpis(daily(np.zeros(75), cost_total=cost), NOBODY, 75)["peak_month_cost"] == 75.0
    assert kpis(daily(np.zeros(10), cost_total=np.full(10, 3.0)), NOBODY, 10)["peak_month_cost"] == 30.0


def test_cost_total_is_the_sum_of_the_daily_costs():
    cost = np.array([1.5, 0.0, 2.25, 10.0])
    k = kpis(daily(np.zeros(4), cost_total=cost), NOBODY, 4)
    assert k["cost_total"] == 13.75 and isinstance(k["cost_total"], float)
    assert kpis(daily(np.zeros(3)), NOBODY, 3)["cost_total"] == 0.0
