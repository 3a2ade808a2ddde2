"""The Siyu model: a Mesa model whose step is one day of private-domain operations.

:class:`SiyuModel` holds the vectorised user population (``sim.population``), the social
network (``sim.network``), the WeChat groups (``sim.mechanisms.community``) and three Mesa
agents (``sim.agents``): the operator, the public channel and the private touchpoints.
``step()`` runs the mechanisms in the fixed order below (docs/MODEL.md, "Process overview"):

1. plan the day (shocks, events, rebates, red packets, campaigns) — operator; if a budget
   cap is near, stop discretionary kinds in the budget rule's priority order
   (``sim.mechanisms.budget``);
2. acquisition: public exposure, platform orders, hooks — public channel;
3. group activity (decay, content, check-ins, red packets — a drop the budget cannot pay is off);
4. the morning pass over the private pool (``sim.mechanisms.pool``), user by user: fatigue
   decay; dormant clean-up or re-engagement; messages, one-to-one chats and red packets;
   fatigue; trust; mute or leave; the purchase decision — then today's orders are booked
   together (money, fulfilment capacity, failures);
5. referral shares and campaign seeds, and the cascades over the network;
6. promotion up the value ladder;
7. running costs; 8. the budget's books; 9. the day's row of results (``day.day_row``: the
   ledger's values and what is computed from them and the pool, into preallocated tables).

On a common day — no budget cap, no campaign, a network (``pool.fused``) — steps 2–9 are one
compiled call (``pool.days``) with the same draws and books in the same order; the other days
run them as separate calls with Python between them. :meth:`SiyuModel.advance` runs many days
as that many steps would, with each run of common days planned ahead and made one call.

All randomness comes from ``self.rng`` (seeded once) and the compiled pass's stream drawn from
it (``self.draws``), so a seed replays a run exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from mesa import Model

from sim import jit
from sim.agents import Operator, PublicChannel, Touchpoints
from sim.mechanisms import community, pool, purchase
from sim.mechanisms.acquisition import cost_per_exposure
from sim.mechanisms.budget import BudgetTracker
from sim.mechanisms.day import COMPUTED_COLUMNS, INT_COLUMNS, LEDGER_KEYS, Day, Ledger, day_row
from sim.population import CAUSE_NAMES, Event, Population, Stage
from sim.results import DAILY_COLUMNS
from sim.scenario import Scenario
from sim.shared_setup import SetUp

_PUBLIC, _FOLLOWER, _CUSTOMER, _REPEAT = Stage.PUBLIC.value, Stage.FOLLOWER.value, Stage.CUSTOMER.value, Stage.REPEAT.value
_MEMBER, _PARTNER, _DORMANT, _CHURNED = Stage.MEMBER.value, Stage.PARTNER.value, Stage.DORMANT.value, Stage.CHURNED.value
#: the day's row: the integer columns (int64) and the ledger's keys followed by the computed columns
_FLOAT_COLUMNS = (*LEDGER_KEYS, *COMPUTED_COLUMNS)
#: the daily table's columns in order, each as (is an int column, index in its row)
_DAILY_ORDER = [(col in INT_COLUMNS, INT_COLUMNS.index(col) if col in INT_COLUMNS else _FLOAT_COLUMNS.index(col))
                for col in [*DAILY_COLUMNS, "acq_cost"]]


class SiyuModel(Model):
    """One replicate of a scenario; call :meth:`step` once per day, or :meth:`advance` for many."""

    def __init__(self, scenario: Scenario, seed: int = 0, trace_users: list[int] | None = None,
                 setup: SetUp | None = None) -> None:
        """Draw the population and network for ``scenario`` with ``seed``, or take them from ``setup``.

        ``setup`` (:class:`sim.shared_setup.SetUp`) is what this run would draw, drawn before
        (``setup_key(scenario, seed)`` equal): the run is the same, bit for bit.
        """
        super().__init__(seed=seed)
        self.scenario = scenario  # the scenario in force today (a phase switch replaces it)
        self.plan_scenario = scenario  # the scenario as given, with its phases
        # plans in phases: (first day, scenario in force from then) of each phase after the base
        self._switches = [(ph.from_day, s) for ph, s in zip(scenario.phases, scenario.phase_scenarios()[1:], strict=True)]
        self.phase = 0
        self.seed = seed
        if setup is None:
            setup = SetUp.draw(scenario, seed, self.rng)
        else:
            setup.restore(self.rng, seed)
        self.pop = Population.from_traits(setup.traits)  # the traits shared, a fresh state
        self.graph = setup.graph
        self.edge_used = np.zeros(self.graph.nnz, dtype=bool) if self.graph is not None else None
        # contacts each user has not yet exposed to a share (decremented as edges are used)
        self._fresh = np.diff(self.graph.indptr).astype(np.float32) if self.graph is not None else None
        self.rules = pool.rules_for(scenario)
        self.day_constants = pool.day_constants(scenario)  # the pool's day's other numbers (pool.days)
        self.draws = jit.stream(self.rng)  # random stream of the compiled daily pass
        self.groups = community.Groups(self.pop.n, scenario.touchpoints.group_size,
                                       scenario.community.initial_activity)
        self.operator = Operator(self)
        self.channel = PublicChannel(self)
        self.touchpoints = Touchpoints(self)
        self.budget = BudgetTracker(self)
        self.t = 0
        self.day = Day(t=0)
        self.ledger = Ledger()
        rows = max(1, scenario.horizon_days)  # the days' rows (grown if the model steps longer)
        self._ints = np.zeros((rows, len(INT_COLUMNS)), dtype=np.int64)  # per day, INT_COLUMNS
        self._floats = np.zeros((rows, len(_FLOAT_COLUMNS)), dtype=np.float64)  # per day, _FLOAT_COLUMNS
        self._days = 0  # rows recorded
        self._cum_profit = 0.0
        self.capacity_left = 0
        self._n_churned = 0
        self.trace_ids = np.asarray(sorted(set(trace_users or [])), dtype=np.int64)
        if len(self.trace_ids) and (self.trace_ids.min() < 0 or self.trace_ids.max() >= self.pop.n):
            raise ValueError(f"trace_users must be user ids in 0..{self.pop.n - 1}")
        self.trace_on = len(self.trace_ids) > 0
        self.msg_today = np.zeros(self.pop.n, dtype=np.float32) if self.trace_on else None
        self.trace_rows: list[tuple[np.ndarray, ...]] = []  # per day: day, stage, trust, ... of the traced users

    # --- helpers used by the mechanisms ---------------------------------------------------------
    def fresh_reach(self, idx: np.ndarray) -> np.ndarray:
        """Contacts of users ``idx`` not yet exposed by their shares (well-mixed: contacts per share)."""
        if self._fresh is None:
            return np.full(len(idx), float(self.scenario.referral.well_mixed_contacts), dtype=np.float32)
        return self._fresh[idx]

    def use_edges(self, owner: np.ndarray) -> None:
        """Count edges just used by their owners (one chance per edge)."""
        if self._fresh is not None and len(owner):
            np.subtract.at(self._fresh, owner, 1.0)

    def n_churned(self) -> int:
        """Users who left the private pool so far."""
        return int(self._n_churned)

    def add_churned(self, k: int) -> None:
        """Count ``k`` users who just left (recounted exactly every evening)."""
        self._n_churned += int(k)

    def record_orders(self, buyers: np.ndarray, discount: float) -> None:
        """Book orders (see :func:`sim.mechanisms.purchase.book`)."""
        purchase.book(self, buyers, discount)

    # --- the day ---------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one day (the order is the model's schedule; see the module docstring)."""
        self.day = Day(t=self.t)
        if self.phase < len(self._switches) and self._switches[self.phase][0] <= self.t:
            self._switch_phase()
        if self.trace_on:
            self.pop.events[:] = 0
            self.msg_today[:] = 0.0
        self.operator.plan()
        self._open_books()
        if pool.fused(self):
            self._common_day()
        else:
            self._separate_day()
        if self.trace_on:
            self._trace_row()
        self.t += 1

    def advance(self, days: int) -> None:
        """Run ``days`` days: the same run, bit for bit, as ``days`` calls of :meth:`step`.

        Runs of common days (``pool.fused``) with no user traced are planned ahead
        (:meth:`_plans_ahead`) and each run of them is one compiled call (``pool.days``), so
        they pay no Python a day; the other days are steps.
        """
        end = self.t + days
        while self.t < end:
            plans = self._plans_ahead(end)
            if len(plans) < 2:
                self.step()
                continue
            self._open_books()  # without a cap the budget opens nothing: the same every day
            counts, self._cum_profit = pool.days(self, plans)
            self._n_churned = int(counts[_CHURNED])
            self.day = plans[-1]
            self.t += len(plans)
            self.steps += len(plans)  # as Mesa counts its steps

    def _plans_ahead(self, end: int) -> list[Day]:
        """The plans of the common days (``pool.fused``) from today on, before day ``end`` and the next phase.

        None if a user is traced (the trace's rows are taken day by day); the plan reads only the
        scenario and the day, so the days are planned as their steps would plan them.
        """
        if self.trace_on:
            return []
        if self.phase < len(self._switches):
            end = min(end, self._switches[self.phase][0])  # a phase's first day is a step: it switches
        plans = []
        for t in range(self.t, end):
            self.day = Day(t=t)
            self.operator.plan()
            if not pool.fused(self):  # a campaign day, a budget cap or no network: a step
                break
            plans.append(self.day)
        return plans

    def _open_books(self) -> None:
        """Open today's books, after the plan: a fresh ledger, the day's fulfilment capacity, the budget's day."""
        self.ledger = Ledger()
        self.capacity_left = self._capacity()
        self.budget.start_day()

    def _capacity(self) -> int:
        """Orders the fulfilment capacity ships today (every day's the same; 0: unlimited)."""
        cap = self.scenario.fulfilment.capacity_per_day
        return int(cap * self.pop.n / 10_000) if cap > 0 else 0

    def _common_day(self) -> None:
        """Steps 2–9 of a common day (no budget cap, no campaign, a network) in one compiled call (``pool.days``)."""
        counts, self._cum_profit = pool.days(self, [self.day])
        self._n_churned = int(counts[_CHURNED])

    def _separate_day(self) -> None:
        """Steps 2–9 as separate calls, with Python between them (the budget's questions, a campaign's seeds)."""
        self.channel.step()
        self.budget.check_red_packet()
        community.update_activity(self)
        pool.morning(self)
        pool.share(self)
        counts, trust_sum, fatigue_sum = pool.evening(self)
        self._n_churned = int(counts[_CHURNED])
        self.touchpoints.bill()
        self.budget.end_day()
        self._record(counts, trust_sum, fatigue_sum)

    def _switch_phase(self) -> None:
        """The phase rule: from a phase's first day its strategy is in force (docs/MODEL.md).

        Everything derived from the strategy is read from ``self.scenario`` day by day, except
        the compiled rules' parameters, which are rebuilt here.
        """
        self.phase += 1
        self.scenario = self._switches[self.phase - 1][1]
        self.rules = pool.rules_for(self.scenario)
        self.day_constants = pool.day_constants(self.scenario)

    def next_rows(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next ``n`` days' rows of results to write: their int64 and float64 parts (the tables grown if full)."""
        k = self._days
        while k + n > len(self._ints):
            self._ints = np.concatenate([self._ints, np.zeros_like(self._ints)])
            self._floats = np.concatenate([self._floats, np.zeros_like(self._floats)])
        self._days = k + n
        return self._ints[k : k + n], self._floats[k : k + n]

    def _record(self, counts: np.ndarray, trust_sum: float, fatigue_sum: float) -> None:
        """Keep the day's row of results (the daily table's columns, built by :meth:`daily`).

        The ledger's values are copied as they are; the stage counts, the pool's means, the costs'
        total, profit and cumulative profit, the price of an exposure and the platform CAC are
        computed here (``day.day_row``; the common day writes it in its compiled call).
        """
        pop, groups = self.pop, self.groups
        ints, floats = self.next_rows(1)
        self._cum_profit = day_row(ints[0], floats[0], counts, self.ledger.values, self.t, self.phase,
                                   pop.n - pop.n_joined, float(trust_sum), float(fatigue_sum), groups.activity,
                                   groups.count, cost_per_exposure(self.scenario.public, self.t), self._cum_profit)

    def _trace_row(self) -> None:
        """Keep the day's state of the traced users (:meth:`trace`)."""
        pop, ids = self.pop, self.trace_ids
        ev = pop.events[ids]
        self.trace_rows.append((
            np.full(len(ids), self.t, dtype=np.int64), pop.stage[ids], pop.trust[ids], pop.fatigue[ids],
            self.msg_today[ids], pop.purchases[ids], ev,
            np.where(ev & Event.LEFT.value, pop.leave_cause[ids],
                     np.where(ev & Event.MUTED.value, pop.mute_cause[ids], 0))))

    @property
    def rows(self) -> list[dict[str, float]]:
        """The rows of results kept so far, one dict per day (column name -> value)."""
        k = self._days
        return [{**dict(zip(INT_COLUMNS, i, strict=True)), **dict(zip(_FLOAT_COLUMNS, f, strict=True))}
                for i, f in zip(self._ints[:k].tolist(), self._floats[:k].tolist(), strict=True)]

    # --- outputs ---------------------------------------------------------------------------------
    def daily(self) -> pd.DataFrame:
        """The daily results table (one row per simulated day)."""
        ints, floats = self._ints[: self._days].T, self._floats[: self._days].T
        return pd.DataFrame({col: (ints if is_int else floats)[j]
                             for col, (is_int, j) in zip([*DAILY_COLUMNS, "acq_cost"], _DAILY_ORDER, strict=True)})

    def trace(self) -> pd.DataFrame | None:
        """The per-user trace of the traced users (``None`` if none were traced)."""
        if not self.trace_on:
            return None
        ids = self.trace_ids
        day, stage, trust, fatigue, messages, purchases, events, cause = (
            np.concatenate(col) for col in zip(*self.trace_rows, strict=True))
        names = [s.name.lower() for s in Stage]
        # each distinct set of event bits spelled once ("joined|bought"), then looked up per row
        codes, where = np.unique(events, return_inverse=True)
        spelled = np.array(["|".join(e.name.lower() for e in Event if int(v) & e) for v in codes], dtype=object)
        return pd.DataFrame({
            "day": day, "user": np.tile(ids, len(self.trace_rows)),
            "stage": pd.Categorical.from_codes(stage.astype(int), names),
            "trust": trust, "fatigue": fatigue, "messages": messages, "purchases": purchases,
            "events": spelled[where.reshape(-1)],
            "cause": pd.Categorical.from_codes(cause.astype(int), CAUSE_NAMES),  # of today's mute or leave
        })
