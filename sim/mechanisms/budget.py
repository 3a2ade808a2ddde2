"""The budget cap rule (预算): what the operator stops when a monthly or yearly cap binds.

Rule (docs/MODEL.md, "Budget cap rule"; parameters ``budget.*``):

- *Covered spending*: the merchant's discretionary costs — paid ads (``cost_ads``, if
  ``budget.include_ads``), hooks (``cost_hooks``), rebates and cash and red packets
  (``cost_rebates``), referral rewards and partner commissions (``cost_referrals``), content
  (``cost_content``), staff (``cost_staff``) and accounts (``cost_accounts``, with the
  mini-program). Platform commission is a fee on sales, not a choice, and is not covered.
- *Periods*: ``monthly_cap`` applies to each 30-day month (days 0–29, 30–59, …) and
  ``yearly_cap`` to each 365-day year; 0 means no cap. Both may apply.
- *Running costs first*: staff, accounts, content and the mini-program are never cut — they
  serve the users already in the pool. The operator keeps a reserve for them: today's
  running cost of the current pool times the days left in each period (today included).
  Discretionary spending may use only what is left above that reserve (the *room*).
- *Priority order*: at the start of each day the operator estimates each discretionary kind's
  cost (its spending on the last day it ran uncut; red packets from today's group members) and,
  while the estimates exceed the room, stops kinds for the day in the order
  :data:`CUT_ORDER`: red packets, referral rewards (and partner commissions), rebates (join
  cash, cash back and the cash hook: rebates stop as at ``strategy.rebate_end_day``), lead-in
  hooks, paid ads.
- *Hard cap*: whatever runs is still paid only while it fits the room, in the day's schedule
  order: paid exposures, hook and referral joiners, cash back and commissions are truncated to
  what the room pays for (a red-packet drop is all or nothing).
- *New joins*: a joiner is admitted only if the hook, cash and reward it costs and the
  running cost the larger pool adds, for the rest of every period, fit — and the larger pool's
  running cost for a whole period fits each cap (so a later period can always pay it).

So covered spending never exceeds a cap in any month or year, and a cap that is never reached
changes nothing (bit-identical results). A scenario whose cap cannot pay its fixed daily costs
(:func:`fixed_daily_cost`) for a whole period is rejected. :func:`max_overspend` and the KPI
``budget_bound_day`` let an optimiser use the budget as a constraint.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.jit import rule

if TYPE_CHECKING:
    from sim.scenario import Budget as BudgetParams
    from sim.scenario import Scenario

MONTH_DAYS = 30
YEAR_DAYS = 365

#: discretionary kinds the operator stops, first cut first (running costs are never cut)
CUT_ORDER = ("red_packets", "referral_rewards", "rebates", "hooks", "ads")

#: covered kinds and the daily cost column each is booked in
KINDS: dict[str, str] = {
    "ads": "cost_ads", "hooks": "cost_hooks", "rebates": "cost_rebates", "red_packets": "cost_rebates",
    "referral_rewards": "cost_referrals", "content": "cost_content", "staff": "cost_staff",
    "accounts": "cost_accounts",
}

#: hidden ledger key: today's red-packet spending (also booked in ``cost_rebates``)
RED_PACKET_KEY = "red_packet_cost"

_EPS = 1e-9  # RMB: float slack when dividing the room into units


def covered_columns(params: BudgetParams) -> list[str]:
    """Daily cost columns that count against the caps."""
    cols = ["cost_hooks", "cost_rebates", "cost_referrals", "cost_content", "cost_staff", "cost_accounts"]
    return (["cost_ads"] + cols) if params.include_ads else cols


def caps(params: BudgetParams) -> list[tuple[int, float]]:
    """The active caps as ``(period in days, cap in RMB)``."""
    out = []
    if params.monthly_cap > 0:
        out.append((MONTH_DAYS, float(params.monthly_cap)))
    if params.yearly_cap > 0:
        out.append((YEAR_DAYS, float(params.yearly_cap)))
    return out


def running_costs(sc: Scenario, pool: int) -> dict[str, float]:
    """Today's running costs with ``pool`` users in the private pool (``Touchpoints.bill``)."""
    rc = running_constants(sc)
    if pool <= 0 and not rc[R_CONTENT_ON]:
        return {}
    staff, accounts, content = running_parts(pool, rc)
    return {"cost_staff": staff, "cost_accounts": accounts, "cost_content": content}


@rule
def running_parts(pool, rc):
    """The staff, accounts (and mini-program) and content costs of a day with ``pool`` users (:func:`running_constants` ``rc``).

    Staff scale with the pool (``staff_cost_per_day × pool / users_per_staff``), accounts are
    paid per account started (``account_cost_per_day × ⌈pool / friends_per_account⌉``).
    """
    accounts = rc[_R_ACCOUNT] * math.ceil(pool / rc[_R_FRIENDS])
    if rc[_R_HAS_MINI] > 0.0:
        accounts = accounts + rc[_R_MINI]
    return rc[_R_STAFF] * pool / rc[_R_USERS_PER_STAFF], accounts, rc[_R_CONTENT]


#: slots of :func:`running_constants`
R_CONTENT_ON, _R_ACCOUNT, _R_FRIENDS, _R_STAFF, _R_USERS_PER_STAFF, _R_CONTENT, _R_HAS_MINI, _R_MINI = range(8)
N_RUNNING = 8
_RUNNING: tuple = (None, None)  # (scenario, its running-cost constants): the last scenario asked for


def running_constants(sc: Scenario) -> np.ndarray:
    """The constants of :func:`running_costs` for ``sc`` (float64, slots ``R_CONTENT_ON``, ``_R_…``), read once per scenario.

    The content hook on (1 or 0), ``account_cost_per_day``, ``friends_per_account``,
    ``staff_cost_per_day``, ``users_per_staff``, the content posts' cost a day, whether a
    mini-program runs (1 or 0) and its cost a day.
    """
    global _RUNNING
    key, rc = _RUNNING
    if key is sc:
        return rc
    tp, st = sc.touchpoints, sc.strategy
    rc = np.array([st.hooks.content.enabled, tp.account_cost_per_day, tp.friends_per_account, tp.staff_cost_per_day,
                   tp.users_per_staff, st.content_cost_per_post * st.content_posts_per_day, tp.mini_program,
                   tp.mini_program_cost_per_day], dtype=np.float64)
    _RUNNING = (sc, rc)
    return rc


def fixed_daily_cost(sc: Scenario) -> float:
    """Costs of a day that do not scale with the pool: content posts, the mini-program, one account."""
    tp = sc.touchpoints
    return (sc.strategy.content_cost_per_post * sc.strategy.content_posts_per_day
            + (tp.mini_program_cost_per_day if tp.mini_program else 0.0) + tp.account_cost_per_day)


def check_caps(sc: Scenario) -> None:
    """Raise ``ValueError`` (one line) if a cap cannot pay the fixed daily costs for its whole period."""
    fixed = fixed_daily_cost(sc)
    for field, days in (("monthly_cap", MONTH_DAYS), ("yearly_cap", YEAR_DAYS)):
        cap = getattr(sc.budget, field)
        if 0 < cap < fixed * days:
            raise ValueError(
                f"budget.{field} = {cap:,.0f} RMB is below the plan's fixed costs of {fixed * days:,.0f} RMB "
                f"per {days} days ({fixed:,.2f} RMB a day: content posts, mini-program, one account); "
                f"raise it to at least {math.ceil(fixed * days):,} or set it to 0 (no cap)")


def covered_spending(daily: pd.DataFrame, params: BudgetParams) -> np.ndarray:
    """Covered spending of each day of a daily results table."""
    return daily[covered_columns(params)].to_numpy(dtype=float).sum(axis=1)


def max_overspend(daily: pd.DataFrame, params: BudgetParams) -> float:
    """Largest covered spending above a cap in any month or year (≤ 0: the budget holds).

    With no cap, ``-inf``. A constraint for an optimiser: feasible iff ``max_overspend ≤ 0``.
    """
    spend = covered_spending(daily, params)
    days = np.arange(len(spend))
    worst = -math.inf
    for period, cap in caps(params):
        per = np.bincount(days // period, weights=spend)
        worst = max(worst, float((per - cap).max()))
    return worst


def bound_from_day(daily: pd.DataFrame) -> float:
    """First day the budget bound (``budget_bound`` = 1); ``inf`` if it never did."""
    hit = np.flatnonzero(daily["budget_bound"].to_numpy() > 0)
    return float(hit[0]) if len(hit) else math.inf


def binding(summaries: pd.DataFrame, params: BudgetParams) -> dict[str, float] | None:
    """How often a scenario's caps bound over its seeds (``None`` if it has no cap or they never bound).

    Args:
        summaries: ``Ensemble.summaries`` (columns ``budget_binds`` and ``budget_bound_day``).
        params: The scenario's ``budget`` section.

    Returns:
        ``{"seeds_bound", "seeds", "first_day_median"}`` (the median counts "never" as largest).
    """
    from sim.results import quantile

    binds = summaries["budget_binds"].to_numpy(dtype=float)
    if not caps(params) or binds.sum() == 0:
        return None
    return {"seeds_bound": float(binds.sum()), "seeds": float(len(binds)),
            "first_day_median": quantile(summaries["budget_bound_day"].to_numpy(dtype=float), 0.5)}


def caps_text(params: BudgetParams) -> str:
    """``"monthly cap 2,500 RMB, yearly cap 30,000 RMB"``."""
    return ", ".join(f"{'monthly' if days == MONTH_DAYS else 'yearly'} cap {cap:,.0f} RMB"
                     for days, cap in caps(params))


class BudgetTracker:
    """The budget state of one run: spending so far in each period, today's room and cuts."""

    def __init__(self, model) -> None:
        """Read the caps of ``model.scenario.budget`` (inactive when there are none)."""
        self.model = model
        sc = model.scenario
        self.caps = caps(sc.budget)
        self.active = bool(self.caps)
        self.columns = covered_columns(sc.budget)
        self._covered = frozenset(self.columns)
        self.spent = [0.0 for _ in self.caps]  # covered spending so far in each cap's current period
        self.last_full = {k: 0.0 for k in CUT_ORDER}  # each kind's cost on the last day it ran uncut
        self.kinds = [k for k in CUT_ORDER if KINDS[k] in self.columns]  # the kinds it may stop
        self.cut: tuple[str, ...] = ()
        self.bound = False

    # --- helpers ---------------------------------------------------------------------------
    def _today(self) -> float:
        # the covered columns' sum in their order (a column never booked today reads 0.0)
        return sum(map(self.model.ledger.get, self.columns))

    def _running(self, pool: int) -> float:
        covered = self._covered
        return sum([v for k, v in running_costs(self.model.scenario, pool).items() if k in covered])

    def room(self, extra_users: int = 0) -> float:
        """RMB of discretionary spending still allowed today with ``extra_users`` more in the pool."""
        if not self.active:
            return math.inf
        t = self.model.day.t
        pool = self.model.touchpoints.pool_size() + extra_users
        run = self._running(pool)
        today = self._today()
        out = math.inf
        for (period, cap), spent in zip(self.caps, self.spent, strict=True):
            left = period - t % period
            out = min(out, cap - spent - today - run * left)
            if extra_users and run * period > cap:  # a later period could not pay the larger pool
                out = -math.inf
        return out

    # --- the day --------------------------------------------------------------------------
    def start_day(self) -> None:
        """Open today: roll periods over, estimate the discretionary kinds and stop the first-cut ones."""
        self.bound = False
        self.cut = ()
        if not self.active:
            return
        m, t = self.model, self.model.day.t
        for i, (period, _cap) in enumerate(self.caps):
            if t % period == 0:
                self.spent[i] = 0.0
        est = {k: self.last_full[k] for k in self.kinds}
        est["red_packets"] = self._red_packet_cost() if m.day.red_packet else 0.0
        room = self.room()
        total = sum(est.values())
        cut = []
        for kind in self.kinds:
            if total <= room:
                break
            if est[kind] > 0 or room < 0:
                cut.append(kind)
                total -= est[kind]
        self.cut = tuple(cut)
        day = m.day
        if "red_packets" in cut:
            day.red_packet = False
        if "rebates" in cut:
            day.rebates_active = False
            day.red_packet = False
        if cut:
            self.bound = True

    def _red_packet_cost(self) -> float:
        pop, sc = self.model.pop, self.model.scenario
        j = pop.joined
        s = pop.stage[j]
        n = np.count_nonzero((pop.group[j] >= 0) & (s >= 1) & (s <= 5))
        return float(n) * sc.strategy.red_packet_per_member

    def check_red_packet(self) -> None:
        """Drop today's red packet unless the room pays all of it (before group activity updates)."""
        day = self.model.day
        if self.active and day.red_packet and self._red_packet_cost() > self.room():
            day.red_packet = False
            self.bound = True

    def stopped(self, kind: str) -> bool:
        """Whether ``kind`` was stopped for today by the priority order."""
        return kind in self.cut

    def affordable(self, unit_cost: float, n: int) -> int:
        """How many of ``n`` units costing ``unit_cost`` each the room pays for (all when inactive)."""
        if not self.active or n == 0 or unit_cost <= 0:
            return n
        room = self.room()
        k = n if unit_cost * n <= room else max(0, min(n, int(math.floor((room + _EPS) / unit_cost))))
        while k > 0 and unit_cost * k > room:
            k -= 1
        if k < n:
            self.bound = True
        return k

    def grant(self, amount: float) -> float:
        """The part of ``amount`` RMB the room pays for."""
        if not self.active or amount <= 0:
            return amount
        room = max(0.0, self.room())
        if amount <= room:
            return amount
        self.bound = True
        return room

    def admissible(self, k: int, per_join: float) -> int:
        """How many of ``k`` joiners costing ``per_join`` each (plus their running cost) may join."""
        if not self.active or k == 0:
            return k
        def fits(j: int) -> bool:
            return per_join * j <= self.room(extra_users=j)
        if fits(k):
            return k
        lo, hi = 0, k  # fits(lo) or lo == 0; not fits(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if fits(mid):
                lo = mid
            else:
                hi = mid
        self.bound = True
        return lo if fits(lo) else 0

    def end_day(self) -> None:
        """Close today (after the running costs are billed): add its covered spending, record the flags."""
        led = self.model.ledger
        led["budget_bound"] = float(self.bound)
        if not self.active:
            led["budget_left"] = math.nan
            return
        today = self._today()
        for i in range(len(self.caps)):
            self.spent[i] += today
        led["budget_left"] = min(cap - s for (_p, cap), s in zip(self.caps, self.spent, strict=True))
        if not self.bound:
            red = led[RED_PACKET_KEY]
            self.last_full.update({
                "ads": led["cost_ads"], "hooks": led["cost_hooks"],
                "rebates": led["cost_rebates"] - red, "referral_rewards": led["cost_referrals"],
            })


__all__ = [
    "CUT_ORDER", "KINDS", "MONTH_DAYS", "YEAR_DAYS", "BudgetTracker", "binding", "bound_from_day", "caps",
    "caps_text", "check_caps",
    "covered_columns", "covered_spending", "fixed_daily_cost", "max_overspend", "running_costs",
]
