"""The few actors that act on the population, as Mesa agents.

- :class:`Operator` plans each day (events, red packets, campaigns, rebates, shocks) and
  executes the strategy: messages, one-to-one chats, referral campaigns.
- :class:`PublicChannel` is the rented public pool: paid and organic exposure, platform orders,
  hooks (see ``sim.mechanisms.acquisition``).
- :class:`Touchpoints` are the private containers: personal accounts (≤ 5,000 friends each),
  groups (≤ 500 members each), staff; they admit joiners within capacity and bill their costs.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.mechanisms import acquisition, messaging
from sim.mechanisms.acquisition import JOIN_SLOT, admit_users, eligible, pool_capacity
from sim.mechanisms.budget import running_constants
from sim.mechanisms.day import book_running_costs
from sim.mechanisms.streams import handle
from sim.population import Source
from sim.scenario import Hook


class Operator(mesa.Agent):
    """The merchant's operator: plans the day and executes the strategy."""

    _plan: tuple = (None, None)  # (scenario, its plan constants): see _plan_for

    def plan(self) -> None:
        """Set today's kind of day on ``model.day``: shocks, events, rebates, campaigns."""
        m = self.model
        sc, day = m.scenario, m.day
        key, constants = self._plan
        if key is not sc:  # once per scenario (a phase switch replaces it)
            constants = self._plan_for(sc)
        st, shocks, rebate_end, red_every, campaign_every = constants
        t = day.t
        for start, end, closed, multiplier in shocks:
            if start <= t < end:
                day.public_open = day.public_open and not closed
                day.demand *= multiplier
        day.event, day.discount = messaging.schedule(st, t)
        rebates = t < rebate_end
        day.rebates_active = rebates
        day.red_packet = rebates and red_every > 0 and t > 0 and t % red_every == 0
        day.campaign = campaign_every > 0 and t > 0 and t % campaign_every == 0

    def _plan_for(self, sc) -> tuple:
        """The plan's constants of ``sc``: the strategy, the shock windows (none if shocks are off), ...

        ... each as (first day, day after the last, public channels closed, demand multiplier),
        ``rebate_end_day``, ``red_packet_every_days``, ``campaign_every_days``.
        """
        st = sc.strategy
        shocks = tuple((s.start_day, s.start_day + s.days, s.public_closed, s.demand_multiplier)
                       for s in sc.shocks) if sc.mechanisms.shocks else ()
        constants = (st, shocks, st.rebate_end_day, st.red_packet_every_days, st.campaign_every_days)
        self._plan = (sc, constants)
        return constants


class PublicChannel(mesa.Agent):
    """The public platforms: exposure bought at a rising cost, platform orders, lead-in hooks."""

    def step(self) -> None:
        """Run today's acquisition (see :func:`sim.mechanisms.acquisition.acquire`)."""
        if self.model.scenario.mechanisms.acquisition:
            acquisition.acquire(self.model)
        else:
            self.model.ledger["public_open"] = float(self.model.day.public_open)


class Touchpoints(mesa.Agent):
    """Personal accounts, groups and staff of the private pool."""

    def capacity(self) -> int:
        """Most users the private pool can hold (accounts × friends per account)."""
        return pool_capacity(self.model.scenario)

    def pool_size(self) -> int:
        """Users in the private pool now (reachable or dormant)."""
        return self.model.pop.n_joined - self.model.n_churned()

    def staff(self) -> float:
        """Operators employed (fractional: staff scale with the pool)."""
        return self.pool_size() / self.model.scenario.touchpoints.users_per_staff

    def admit(self, idx: np.ndarray, source: Source, hook: Hook | None,
              referrer: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Admit public users ``idx`` into the private pool; returns (admitted, their referrers).

        The admission rule (``sim.mechanisms.acquisition``): the first users of ``idx`` with
        enough need while the accounts have room, each sent to a group with probability
        ``group_share``, in one compiled call (:func:`admit_users`); with a budget cap only as many
        of them as the budget carries (the budget cap rule).
        """
        m = self.model
        sc, pop, day = m.scenario, m.pop, m.day
        st = sc.strategy
        has_refs = referrer is not None
        if len(idx) == 0:  # nobody to admit (common): skip the bookkeeping below
            return idx, (referrer if has_refs else np.empty(0, dtype=np.int64))
        room = max(0, self.capacity() - self.pool_size())
        budget = m.budget
        if budget.active:  # the budget cap rule: only as many joiners as the budget carries
            n_ok = len(eligible(idx, pop.need, float(st.entry_threshold), room))
            room = 0 if hook is not None and budget.stopped("hooks") else budget.admissible(
                n_ok, self.join_cost(hook, source))
        tr = sc.trust
        base = tr.initial_content if source == Source.CONTENT else tr.initial
        rewarded = source == Source.CASH or (day.rebates_active and st.join_cash > 0)
        out = np.empty(len(idx), dtype=np.int64)
        keep, seats = admit_users(handle(m.rng), idx, referrer if has_refs else idx, has_refs, room,
                                  m.groups.seats_filled, m.groups.size, float(sc.touchpoints.group_share),
                                  float(st.entry_threshold), source.value, int(day.t), float(base),
                                  float(tr.endorsement), bool(rewarded), pop.need, *pop.join_columns, out, 0)
        k = len(keep)
        refs = referrer[keep] if has_refs else np.empty(0, dtype=np.int64)
        if k:
            pop.add_joined(out[:k])
            m.groups.fill(seats)
            self.book_joins(k, source, hook)
        return out[:k], refs

    def book_joins(self, k: int, source: Source, hook: Hook | None) -> None:
        """Book ``k`` joiners through ``source``: counts, the hook's cost per join, today's join cash."""
        m = self.model
        cash = m.scenario.strategy.join_cash if m.day.rebates_active else 0.0
        acquisition.book_joins(m.ledger.values, k, int(JOIN_SLOT[source]), hook is not None,
                               float(hook.cost_per_join) if hook is not None else 0.0, float(cash))

    def join_cost(self, hook: Hook | None, source: Source) -> float:
        """Covered spending one joiner through ``hook``/``source`` costs today (hook, join cash, reward)."""
        m = self.model
        st, day = m.scenario.strategy, m.day
        cost = hook.cost_per_join if hook is not None else 0.0
        if day.rebates_active:
            cost += st.join_cash
            if source == Source.REFERRAL and not m.budget.stopped("referral_rewards"):
                cost += st.referral_reward
        return cost

    def bill(self) -> None:
        """Book today's running costs: staff, accounts (and mini-program) and content production."""
        m = self.model
        book_running_costs(m.ledger.values, self.pool_size(), running_constants(m.scenario))


__all__ = ["Operator", "PublicChannel", "Touchpoints", "eligible"]
