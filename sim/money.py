"""Money over time: discounting (NPV, discounted payback) and the monthly cash flow.

Convention (docs/MODEL.md, "Money over time"): cash happens on the day it is booked, and a
cash flow on day ``t`` (day 0 = the first simulated day) is worth ``(1 + r)^(-t/365)`` today,
where ``r`` is the annual discount rate ``finance.discount_rate`` — daily compounding at the
daily rate ``(1 + r)^(1/365) − 1`` equivalent to ``r`` a year. Day 0 is not discounted, so with
``r = 0`` the NPV is the cumulative profit.

The monthly cash flow groups days into 30-day months (days 0-29, 30-59, ...; the last month may
be shorter), as the budget caps do: the inflow is the margin (GMV minus the cost of goods; GMV
itself is not cash the merchant keeps and is not shown), the outflows are the costs of
:data:`sim.results.COST_COLUMNS`, and the net is their difference (the profit of the month).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.results import COST_COLUMNS, Ensemble, quantile

__all__ = [
    "FLOW_COLUMNS",
    "MONTH_DAYS",
    "cashflow_bands",
    "discount_factors",
    "discounted_payback_day",
    "monthly_cashflow",
    "npv",
    "peak_month_cost",
]

#: days in a cash-flow month (the budget caps' month)
MONTH_DAYS = 30


def discount_factors(n_days: int, annual_rate: float) -> np.ndarray:
    """Discount factors ``(1 + r)^(-t/365)`` of days ``t = 0 .. n_days − 1``."""
    if annual_rate < 0:
        raise ValueError(f"annual_rate must be ≥ 0 (got {annual_rate})")
    return (1.0 + annual_rate) ** (-np.arange(n_days, dtype=float) / 365.0)


def npv(daily_profit: np.ndarray, annual_rate: float) -> float:
    """Net present value at day 0 of a daily profit series: ``Σ_t profit_t (1 + r)^(-t/365)``."""
    x = np.asarray(daily_profit, dtype=float)
    return float(np.dot(x, discount_factors(len(x), annual_rate)))


def discounted_payback_day(daily_profit: np.ndarray, annual_rate: float) -> float:
    """First day from which the discounted cumulative profit stays ≥ 0 (0 if never negative, inf if never).

    The rule of :func:`sim.runner.payback_day` applied to ``cumsum(profit_t (1 + r)^(-t/365))``.
    """
    from sim.runner import payback_day

    x = np.asarray(daily_profit, dtype=float)
    return payback_day(np.cumsum(x * discount_factors(len(x), annual_rate)))


def peak_month_cost(daily_cost: np.ndarray) -> float:
    """The largest total cost of one 30-day month (days 0-29, 30-59, ...; a last, shorter month as it is)."""
    x = np.asarray(daily_cost, dtype=float)
    if not len(x):
        return 0.0
    return float(np.add.reduceat(x, np.arange(0, len(x), MONTH_DAYS)).max())


def monthly_cashflow(daily: pd.DataFrame, annual_rate: float) -> pd.DataFrame:
    """The cash flow of one run by 30-day month.

    Args:
        daily: A run's daily table (``day``, ``margin``, the :data:`~sim.results.COST_COLUMNS`).
        annual_rate: Annual discount rate of the discounted cumulative net.

    Returns:
        One row per month: ``month`` (0, 1, ...), ``first_day``, ``last_day``, ``inflow``
        (margin), one column per cost kind (positive RMB spent), ``outflow`` (their sum),
        ``net`` (inflow − outflow), ``cumulative`` (cumulative net at the month's end) and
        ``discounted_cumulative`` (cumulative discounted net, day by day, at the month's end).
    """
    days = daily["day"].to_numpy()
    month = days // MONTH_DAYS
    margin = daily["margin"].to_numpy(dtype=float)
    costs = {c: daily[c].to_numpy(dtype=float) for c in COST_COLUMNS}
    outflow = np.sum(list(costs.values()), axis=0) if costs else np.zeros(len(days))
    net = margin - outflow
    disc = np.cumsum(net * discount_factors(len(net), annual_rate))
    frame = pd.DataFrame({"month": month, "day": days, "inflow": margin, **costs, "outflow": outflow, "net": net})
    out = frame.groupby("month", sort=True).agg(
        first_day=("day", "min"), last_day=("day", "max"), inflow=("inflow", "sum"),
        **{c: (c, "sum") for c in COST_COLUMNS}, outflow=("outflow", "sum"), net=("net", "sum"))
    out["cumulative"] = out["net"].cumsum()
    last = np.flatnonzero(np.r_[month[1:] != month[:-1], True])  # each month's last day (days are in order)
    out["discounted_cumulative"] = disc[last]
    return out.reset_index()


#: columns of :func:`monthly_cashflow` that :func:`cashflow_bands` summarises over seeds
FLOW_COLUMNS = ["inflow", *COST_COLUMNS, "outflow", "net", "cumulative", "discounted_cumulative"]


def cashflow_bands(ensemble: Ensemble, annual_rate: float | None = None,
                   quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> pd.DataFrame:
    """The monthly cash flow over seeds: every flow column's quantiles per month.

    Args:
        ensemble: The runs of one scenario.
        annual_rate: Discount rate; default the scenario's ``finance.discount_rate``.
        quantiles: The quantiles (default median and the 10–90 % band).

    Returns:
        One row per month: ``month``, ``first_day``, ``last_day`` and, for every column of
        :data:`FLOW_COLUMNS`, ``<column>_q10``, ``<column>_q50``, ``<column>_q90``.
        Quantiles are taken per column and month, so the medians of the parts need not add up
        to the median of the net.
    """
    rate = ensemble.scenario.finance.discount_rate if annual_rate is None else annual_rate
    tables = [monthly_cashflow(r.daily, rate) for r in ensemble.runs]
    out = tables[0][["month", "first_day", "last_day"]].copy()
    for col in FLOW_COLUMNS:
        arr = np.vstack([tab[col].to_numpy(dtype=float) for tab in tables])
        for q in quantiles:
            out[f"{col}_q{round(q * 100):d}"] = [quantile(arr[:, j], q) for j in range(arr.shape[1])]
    return out
