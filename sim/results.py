"""Results: one run (:class:`RunResult`), many seeds (:class:`Ensemble`), and the KPIs.

The one results format of Siyu. ``RunResult.daily`` has one row per day with the columns in
:data:`DAILY_COLUMNS`; ``RunResult.users`` one row per user; ``RunResult.summary`` the KPIs of
:data:`KPI_INFO`. An :class:`Ensemble` holds the runs of several seeds and gives quantile bands
of any daily column and per-seed KPI tables. Reporters here are pure functions of results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from sim.population import LEAVE_COLUMNS as _LEAVE_BY_CAUSE
from sim.population import Population
from sim.scenario import Scenario

DAILY_COLUMNS = [
    "day", "public", "followers", "customers", "repeat", "members", "partners", "dormant",
    "churned", "private_pool", "reachable", "new_joins", "joins_card", "joins_gift", "joins_content",
    "joins_cash", "purchases", "private_purchases", "platform_purchases",
    "first_purchases", "gmv", "private_gmv", "platform_gmv", "margin", "cost_total",
    "cost_ads", "cost_hooks", "cost_rebates", "cost_referrals", "cost_content", "cost_staff",
    "cost_accounts", "cost_commission", "profit", "cum_profit", "mean_trust", "mean_fatigue",
    "group_activity", "messages_sent", "referrals", "referral_joins", "mutes", "leaves",
    *_LEAVE_BY_CAUSE.values(),
    "failures", "cost_per_exposure", "cac_platform", "public_open", "budget_bound", "budget_left",
    "phase",  # plans in phases: 0 = the base plan, k = after phases[k-1] (issue 11 §1)
]

COST_COLUMNS = [
    "cost_ads", "cost_hooks", "cost_rebates", "cost_referrals", "cost_content",
    "cost_staff", "cost_accounts", "cost_commission",
]

#: daily columns counting leaves by cause (they add up to ``leaves``; see ``sim.population.Cause``)
LEAVE_COLUMNS = list(_LEAVE_BY_CAUSE.values())

STAGE_COLUMNS = ["public", "followers", "customers", "repeat", "members", "partners", "dormant", "churned"]

#: KPI name -> (label, unit, higher_is_better, description)
KPI_INFO: dict[str, tuple[str, str, bool, str]] = {
    "cum_profit": ("Cumulative profit", "RMB", True, "Margin minus all costs over the horizon."),
    "roi": ("ROI", "ratio", True, "Cumulative profit / cumulative cost."),
    "payback_day": ("Payback day", "day", False, "Day from which cumulative profit stays ≥ 0: 0 if never negative, never (inf; JSON null) if still negative at the end."),
    "paid_back": ("Paid back", "share", True, "Whether cumulative profit ends ≥ 0 and stays there (1/0 per run; over seeds: P(paid back))."),
    "cac": ("CAC", "RMB per customer", False, "Acquisition cost (ads, hooks, join cash, referral rewards) / new customers."),
    "ltv": ("LTV", "RMB margin per customer", True, "Cumulative margin / customers ever acquired (observed over the horizon)."),
    "ltv_referral": ("LTV incl. referrals", "RMB margin per customer", True, "Mean over customers (≥ 1 order) of their own margin plus the margin of the users they referred directly: the articles' LTV ≈ order value × purchases × (1 + referred customers × their order value × purchases) in margin, on the basis of LTV (so LTV incl. referrals − LTV = referred users' margin per customer); undefined without customers."),
    "ltv_cac": ("LTV:CAC", "ratio", True, "LTV / CAC (rule of thumb ≥ 3)."),
    "final_private_pool": ("Final private pool", "users", True, "Users in the private pool (incl. dormant) on the last day."),
    "repeat_rate": ("Repeat rate", "share", True, "Share of buyers who bought at least twice."),
    "churn_rate": ("Churn", "share", False, "Share of users who ever joined the private pool and left."),
    "mean_trust": ("Mean trust", "0-1", True, "Mean trust of the private pool on the last day."),
    "gmv_total": ("GMV", "RMB", True, "Gross merchandise value over the horizon."),
    "cost_total": ("Total cost", "RMB", False, "Every cost over the horizon: ads, hooks, rebates, referral rewards, content, staff, accounts, commission (the sum of the daily cost_total)."),
    "peak_month_cost": ("Peak monthly cost", "RMB", False, "The largest total cost of one 30-day month (days 0-29, 30-59, ...): what a budget per month must cover."),
    "mutes_total": ("Mutes", "users", False, "Mute events over the horizon."),
    "referral_joins_total": ("Referral joins", "users", True, "Users who joined through a friend's share."),
    "budget_bound_day": ("Budget bound from day", "day", True, "First day a budget cap bound (the operator stopped or cut spending); never (inf; JSON null) if it never bound or there is no cap."),
    "budget_binds": ("Budget binds", "share", False, "Whether a budget cap bound on any day (1/0 per run; over seeds: P(budget binds))."),
}

# money over time (sim.money): a block of its own
KPI_INFO.update({
    "npv": ("NPV", "RMB", True, "Net present value of daily profit at the annual finance.discount_rate r: Σ profit on day t × (1 + r)^(−t/365), day 0 undiscounted (equals cumulative profit at r = 0)."),
    "discounted_payback_day": ("Discounted payback day", "day", False, "Day from which cumulative discounted profit stays ≥ 0 (never earlier than the payback day): 0 if never negative, never (inf; JSON null) if still negative at the end."),
    "paid_back_discounted": ("Paid back (discounted)", "share", True, "Whether cumulative discounted profit ends ≥ 0 and stays there (1/0 per run; over seeds: P(discounted payback))."),
})


#: the users-table columns the KPIs read (``sim.runner.kpis``, ``sim.runner.ltv_with_referrals``)
KPI_USER_COLUMNS = ("stage", "trust", "purchases", "join_day", "spend", "referrer")


class UsersTable:
    """A finished run's users table, built on first use from the population's per-user arrays.

    A worker process sends these arrays back (pickled as plain numpy arrays, cheaper than the
    table) and the table (:meth:`sim.population.Population.table`) is built only where and
    when someone reads ``RunResult.users``; the KPIs read the few columns of :meth:`kpi_columns`.
    """

    def __init__(self, pop: Population) -> None:
        """Keep ``pop``'s per-user arrays and sizes (a finished run: they no longer change)."""
        self._state: dict[str, Any] | None = {
            k: v for k, v in vars(pop).items() if isinstance(v, int) or (isinstance(v, np.ndarray) and v.shape == (pop.n,))}
        self._frame: pd.DataFrame | None = None

    def __getstate__(self) -> dict[str, Any]:
        """The arrays while the table is not built, else the table alone (never both)."""
        return {"_state": self._state, "_frame": None if self._state is not None else self._frame}

    def frame(self) -> pd.DataFrame:
        """The users table (one row per user), built once (the arrays are then let go)."""
        if self._frame is None:
            pop = object.__new__(Population)
            pop.__dict__.update(self._state or {})
            self._frame = pop.table()
            self._state = None
        return self._frame

    def kpi_columns(self) -> dict[str, np.ndarray]:
        """The columns :data:`KPI_USER_COLUMNS` as numpy arrays, ``stage`` as ``Stage`` codes (``sim.runner.kpis``)."""
        if self._frame is not None:
            f = self._frame
            return {"stage": f["stage"].cat.codes.to_numpy(), **{k: f[k].to_numpy() for k in KPI_USER_COLUMNS[1:]}}
        st = self._state or {}
        return {k: st[k] for k in KPI_USER_COLUMNS}


@dataclass
class RunResult:
    """One replicate: daily table, final user table, KPIs, optional per-user trace.

    ``users`` may be given as a :class:`UsersTable`; it is then built on first read.
    """

    scenario: Scenario
    seed: int
    daily: pd.DataFrame
    users: pd.DataFrame
    summary: dict[str, float]
    trace: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def cascades(self) -> pd.DataFrame:
        """Referral cascades: one row per root (a user who referred but was not referred)."""
        return cascade_table(self.users)


def _get_users(run: RunResult) -> pd.DataFrame:
    users = run.__dict__["_users"]
    return users.frame() if isinstance(users, UsersTable) else users


def _set_users(run: RunResult, users: pd.DataFrame | UsersTable) -> None:
    run.__dict__["_users"] = users


RunResult.users = property(_get_users, _set_users, doc="The users table (one row per user).")  # type: ignore[assignment]


@dataclass
class Ensemble:
    """The runs of one scenario over several seeds."""

    scenario: Scenario
    runs: list[RunResult]

    @property
    def seeds(self) -> list[int]:
        """Seeds of the replicates, in order."""
        return [r.seed for r in self.runs]

    @cached_property
    def summaries(self) -> pd.DataFrame:
        """One row per seed, one column per KPI (computed once; treat as read-only)."""
        return pd.DataFrame([{"seed": r.seed, **r.summary} for r in self.runs]).set_index("seed")

    def stack(self, column: str) -> np.ndarray:
        """A (seeds × days) array of one daily column."""
        return np.vstack([r.daily[column].to_numpy(dtype=float) for r in self.runs])

    def band(self, column: str, quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> pd.DataFrame:
        """Quantile bands of a daily column over seeds: columns ``day`` and ``q10``, ``q50``, ``q90``..."""
        arr = self.stack(column)
        out = {"day": self.runs[0].daily["day"].to_numpy()}
        for q in quantiles:
            out[f"q{round(q * 100):d}"] = np.quantile(arr, q, axis=0)
        return pd.DataFrame(out)

    def summary_bands(self, quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> pd.DataFrame:
        """KPI × quantile table over seeds (index KPI, columns ``q10``, ``q50``, ``q90``).

        ``inf`` ("never") counts as the largest value (:func:`quantile`); NaN (undefined) is
        left out.
        """
        s = self.summaries
        return pd.DataFrame({f"q{round(q * 100):d}": {k: quantile(s[k].to_numpy(dtype=float), q) for k in s.columns}
                             for q in quantiles})


def quantile(values: np.ndarray, q: float) -> float:
    """The ``q``-quantile (linear interpolation) with ``+inf`` as the largest value and NaN left out.

    ``numpy`` gives NaN when it interpolates towards ``inf``; here any weight on an infinite
    order statistic gives ``inf`` ("never"), so a median of "never" in most seeds is "never".
    """
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return float("nan")
    h = (len(x) - 1) * q
    lo, hi = int(np.floor(h)), int(np.ceil(h))
    frac = h - lo
    if np.isinf(x[hi]) and (frac > 0 or np.isinf(x[lo])):
        return float(x[hi])
    if np.isinf(x[lo]):  # -inf below
        return float(x[lo])
    return float(x[lo] + (x[hi] - x[lo]) * frac)


def prob_beats(a: Ensemble, b: Ensemble, kpi: str = "cum_profit") -> float:
    """P(A beats B) on a KPI: share of all seed pairs where A is better (ties count half)."""
    xa = a.summaries[kpi].to_numpy(dtype=float)
    xb = b.summaries[kpi].to_numpy(dtype=float)
    higher = KPI_INFO.get(kpi, ("", "", True, ""))[2]
    diff = xa[:, None] - xb[None, :]
    if not higher:
        diff = -diff
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def compare_table(ensembles: dict[str, Ensemble], baseline: str | None = None) -> pd.DataFrame:
    """KPI table for several scenarios: median [p10, p90] and, if given, median difference to baseline."""
    rows = []
    for name, ens in ensembles.items():
        bands = ens.summary_bands()
        for kpi in KPI_INFO:
            row = {"scenario": name, "kpi": kpi, "label": KPI_INFO[kpi][0],
                   "q10": bands.loc[kpi, "q10"], "q50": bands.loc[kpi, "q50"], "q90": bands.loc[kpi, "q90"]}
            if baseline and baseline in ensembles:
                base = ensembles[baseline].summaries[kpi].to_numpy(dtype=float)
                mine = ens.summaries[kpi].to_numpy(dtype=float)
                with np.errstate(invalid="ignore"):
                    d = (mine[:, None] - base[None, :]).ravel()
                d = d[np.isfinite(d)]  # no difference is defined with "never" on either side
                row.update(diff_q10=quantile(d, 0.1), diff_q50=quantile(d, 0.5), diff_q90=quantile(d, 0.9))
            rows.append(row)
    return pd.DataFrame(rows)


def cascade_table(users: pd.DataFrame) -> pd.DataFrame:
    """Cascade sizes: every root referrer with the number of users its tree brought in."""
    ref = users["referrer"].to_numpy()
    n = len(ref)
    referred = ref >= 0
    if not referred.any():
        return pd.DataFrame({"root": pd.Series(dtype=int), "size": pd.Series(dtype=int),
                             "depth": pd.Series(dtype=int)})
    root = np.arange(n)
    depth = np.zeros(n, dtype=np.int64)
    parent = np.where(referred, ref, np.arange(n))
    # pointer jumping: follow referrer links to the root in O(log depth) passes
    while True:
        nxt = parent[root]
        moved = nxt != root
        if not moved.any():
            break
        depth += moved
        root = nxt
    sizes = np.bincount(root[referred], minlength=n)
    roots = np.flatnonzero(sizes)
    maxdepth = np.zeros(n, dtype=np.int64)
    np.maximum.at(maxdepth, root[referred], depth[referred])
    return pd.DataFrame({"root": roots, "size": sizes[roots], "depth": maxdepth[roots]}).sort_values(
        "size", ascending=False, ignore_index=True)
