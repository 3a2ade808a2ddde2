"""Incremental KPIs: what a scenario adds over a baseline, seed pair by seed pair.

A planner's question is rarely "does this plan make money?" — platform sales are profitable
from day 0 — but "when does the *extra* private-domain spending pay back against staying
with the baseline (e.g. ``public_only``)?". The rule (docs/MODEL.md, "Incremental KPIs"):

- runs are paired by seed index with **common random numbers**: run *i* of the scenario is
  compared with run *i* of the baseline (same seed, so the same population and, as long as
  the two plans act alike, the same draws), never across seeds;
- the *cumulative incremental profit* of a pair on day *t* is
  ``cum_profit_scenario(t) − cum_profit_baseline(t)``;
- ``inc_profit`` is its value on the last day; ``inc_cost`` the difference of total costs;
- ``inc_roi = inc_profit / |inc_cost|`` (0 when both are 0; NaN — undefined, shown "—" —
  when the costs are equal but the profits are not), so swapping scenario and baseline flips
  its sign;
- ``inc_payback_day`` is the first day after which the cumulative incremental profit stays
  ≥ 0 (0 if it is never negative; ``math.inf`` — "never", JSON ``null`` — if it is negative on
  the last day), with the 0/1 companion ``inc_paid_back``;
- P(incremental payback before day D) is the share of pairs with ``inc_payback_day < D``.

Both ensembles must have the same seeds and horizon.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.results import Ensemble, RunResult, quantile
from sim.runner import payback_day

__all__ = [
    "INCREMENTAL_INFO",
    "check_pairable",
    "incremental_bands",
    "incremental_cum_profit",
    "incremental_kpis",
    "incremental_summary",
    "incremental_table",
    "payback_probability",
    "unpairable",
]

#: incremental KPI name -> (label, unit, higher_is_better, description)
INCREMENTAL_INFO: dict[str, tuple[str, str, bool, str]] = {
    "inc_profit": ("Incremental profit", "RMB", True,
                   "Cumulative profit minus the baseline's over the horizon (same seed)."),
    "inc_cost": ("Incremental cost", "RMB", False,
                 "Total costs minus the baseline's over the horizon (same seed)."),
    "inc_roi": ("Incremental ROI", "ratio", True,
                "Incremental profit / |incremental cost|: extra profit per RMB of extra (or saved) cost; "
                "0 if both are 0, undefined if only the costs are equal."),
    "inc_payback_day": ("Incremental payback day", "day", False,
                        "First day after which cumulative incremental profit stays ≥ 0: 0 if never negative, "
                        "never (inf; JSON null) if still negative at the end."),
    "inc_paid_back": ("Incrementally paid back", "share", True,
                      "Whether cumulative incremental profit ends ≥ 0 and stays there (1/0 per seed pair; "
                      "over pairs: P(incremental payback))."),
}


def check_pairable(scenario: Ensemble, baseline: Ensemble, name: str = "scenario",
                   base_name: str = "baseline") -> None:
    """Raise :class:`ScenarioError` unless both ensembles have the same seeds and horizon."""
    if scenario.seeds != baseline.seeds:
        raise ScenarioError(f"{name} and baseline {base_name} must be run with the same seeds "
                            f"(got {scenario.seeds} and {baseline.seeds})")
    if scenario.scenario.horizon_days != baseline.scenario.horizon_days:
        raise ScenarioError(f"{name} and baseline {base_name} must have the same horizon_days "
                            f"(got {scenario.scenario.horizon_days} and {baseline.scenario.horizon_days})")


def incremental_cum_profit(run: RunResult, base: RunResult) -> np.ndarray:
    """Cumulative incremental profit of one seed pair, one value per day."""
    return run.daily["cum_profit"].to_numpy(dtype=float) - base.daily["cum_profit"].to_numpy(dtype=float)


def incremental_kpis(run: RunResult, base: RunResult) -> dict[str, float]:
    """The incremental KPIs (:data:`INCREMENTAL_INFO`) of one seed pair."""
    cum = incremental_cum_profit(run, base)
    profit = float(cum[-1])
    cost = float(run.daily["cost_total"].sum() - base.daily["cost_total"].sum())
    if cost != 0.0:
        roi = profit / abs(cost)
    else:
        roi = 0.0 if profit == 0.0 else math.nan
    payback = payback_day(cum)
    return {"inc_profit": profit, "inc_cost": cost, "inc_roi": roi, "inc_payback_day": payback,
            "inc_paid_back": float(math.isfinite(payback))}


def incremental_table(scenario: Ensemble, baseline: Ensemble) -> pd.DataFrame:
    """One row per seed pair (index ``seed``), one column per incremental KPI."""
    check_pairable(scenario, baseline)
    rows = [{"seed": r.seed, **incremental_kpis(r, b)} for r, b in zip(scenario.runs, baseline.runs, strict=True)]
    return pd.DataFrame(rows).set_index("seed")


def payback_probability(table: pd.DataFrame, before_day: float) -> float:
    """P(incremental payback before day ``before_day``): share of pairs with ``inc_payback_day < before_day``."""
    days = table["inc_payback_day"].to_numpy(dtype=float)
    return float(np.mean(days < before_day)) if len(days) else math.nan


def incremental_bands(table: pd.DataFrame, quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> pd.DataFrame:
    """KPI × quantile table over seed pairs (``inf`` counts as the largest value, NaN is left out)."""
    return pd.DataFrame({f"q{round(q * 100):d}": {k: quantile(table[k].to_numpy(dtype=float), q)
                                                  for k in INCREMENTAL_INFO}
                         for q in quantiles})


def unpairable(ensembles: Mapping[str, Ensemble], baseline: str) -> dict[str, str]:
    """Scenarios that cannot be paired with ``baseline`` (other seeds or horizon) → the one-line reason."""
    out = {}
    for name, ens in ensembles.items():
        if name != baseline:
            try:
                check_pairable(ens, ensembles[baseline], name, baseline)
            except ScenarioError as err:
                out[name] = str(err)
    return out


def incremental_summary(ensembles: Mapping[str, Ensemble], baseline: str,
                        before_day: float, strict: bool = True) -> dict[str, dict[str, Any]]:
    """For every scenario but the baseline: per-pair table, bands and P(payback before ``before_day``).

    With ``strict=False`` scenarios that cannot be paired with the baseline are left out
    (:func:`unpairable` names them and says why).

    Raises:
        ScenarioError: ``baseline`` is not one of ``ensembles``, or (``strict``) a scenario
            cannot be paired with it.
    """
    if baseline not in ensembles:
        raise ScenarioError(f"baseline {baseline!r} is not one of the compared scenarios "
                            f"({', '.join(ensembles)})")
    base = ensembles[baseline]
    out: dict[str, dict[str, Any]] = {}
    for name, ens in ensembles.items():
        if name == baseline:
            continue
        if not strict:
            try:
                check_pairable(ens, base, name, baseline)
            except ScenarioError:
                continue
        check_pairable(ens, base, name, baseline)
        table = incremental_table(ens, base)
        out[name] = {"table": table, "bands": incremental_bands(table),
                     "p_payback_before": payback_probability(table, before_day),
                     "before_day": float(before_day)}
    return out
