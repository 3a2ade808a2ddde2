"""A plain per-agent Mesa twin of Siyu's private pool: the speed baseline and a check of the engine.

What a modeller would write in idiomatic Mesa 3: every user is a :class:`User` (``mesa.Agent``)
with its traits and state as Python attributes; the private pool is an ``AgentSet`` stepped
with ``shuffle_do("step")`` each day; every random draw comes from the model's one
``numpy.random.Generator`` (``model.rng``), drawn one number at a time; no numpy over users.
Only the order in which ``shuffle_do`` visits agents comes from Mesa's own ``model.random``.

The rules are written out again here from docs/MODEL.md and the per-user rules of
``sim/mechanisms`` (``messaging.received``, ``messaging.chat_probability``,
``fatigue.threshold/added/mute_hazard/overload_hazard/incentive_hazard/leave_cause``,
``trust.updated``, ``trust.after_orders``, ``purchase.hazard``, ``purchase.book``,
``referral.share_hazard``, ``referral.spread``, ``lifecycle.rung``, ``Touchpoints.admit``,
``acquisition.acquire``, ``community.update_activity``, ``budget.running_costs``), with the
parameters read from the same :class:`sim.scenario.Scenario`. Nothing of the engine is imported
except the scenario schema, so a slip in either implementation shows as a difference in
distribution (``tests/test_plain_mesa_twin.py``, ``benchmarks/plain_mesa_bench.py``).

Included, per user and in the engine's daily order: the operator's day plan (shocks, welfare
events and the monthly promotion, rebates and their end day, red-packet days, campaign days);
acquisition (paid, organic and content exposure drawn as the engine does — ``Binomial(n, share)``
draws with replacement, distinct, public only —, platform purchases, the package-card, cash,
gift and content hooks per exposed user); admission (entry threshold, account capacity, start
trust, group seats, join cash); group activity (decay, content and check-in stimulus, red
packets with diminishing lift); the morning rule (fatigue decay, dormant clean-up and
re-engagement, messages and notices, one-to-one chats, red packets, fatigue, trust, competing
leave hazards with their causes, mutes, the purchase decision); order booking (money, cash
back, partner commission, fulfilment failures and capacity, trust after orders, leaving after
a failed order); sharing (spontaneous and campaign seeds, targeted or random); the one-hop
cascade over the social network (one chance per edge) or well-mixed contacts, referral
rewards and group-buys; the value ladder; running costs; the daily profit.

Left out (the twin refuses a scenario that needs them): the budget cap rule (``budget.*``
caps; no shipped scenario sets one) and the per-user trace. Not kept, as no rule reads them:
per-user event bits, join and leave days, sources, leave causes per user, tags, and the daily
columns outside :data:`KPIS` and the money (stage counts other than the pool, the platform and
private GMV split, acquisition cost, CAC, first purchases, group activity, fatigue means). The social network is built with
the same generators written plainly (Chung-Lu expected degrees for ``scale_free``, G(n, m) for
``random``, Watts-Strogatz for ``small_world``), but it is a different draw than the engine's:
the two are compared in distribution, never draw for draw.
"""

from __future__ import annotations

import gc
import math
import time
from dataclasses import dataclass, field

import mesa
import numpy as np

from sim.scenario import Scenario

PUBLIC, FOLLOWER, CUSTOMER, REPEAT, MEMBER, PARTNER, DORMANT, CHURNED = range(8)
CARD, GIFT, CASH, CONTENT, REFERRAL = 1, 2, 3, 4, 5
NEVER = -1_000_000
POWER_LAW_EXPONENT = 2.5

#: KPIs the twin models, compared with the engine's (``engine_kpis``) by the equivalence checks
KPIS = ("final_private_pool", "mid_private_pool", "new_joins", "referral_joins", "purchases",
        "private_purchases", "gmv", "mutes", "leaves", "leaves_fatigue", "mean_trust", "cum_profit")


@dataclass
class Today:
    """The day's plan and counters (what the engine keeps in ``Day`` and ``Ledger``)."""

    t: int
    public_open: bool = True
    demand: float = 1.0
    event: bool = False
    discount: float = 0.0
    rebates: bool = False
    red_packet: bool = False
    campaign: bool = False
    n: dict[str, float] = field(default_factory=dict)

    def add(self, key: str, value: float) -> None:
        """Add ``value`` to today's counter ``key``."""
        self.n[key] = self.n.get(key, 0.0) + value


class User(mesa.Agent):
    """One user of the market: public prospect, then (maybe) a member of the private pool."""

    def __init__(self, model: PlainMesaModel, need: float, deal: float, price_sens: float,
                 tolerance: float, cycle: float, sociability: float) -> None:
        """A public user with the given traits and no relationship yet."""
        super().__init__(model)
        self.need, self.deal, self.price_sens = need, deal, price_sens
        self.tolerance, self.cycle, self.sociability = tolerance, cycle, sociability
        self.stage = self.rung = PUBLIC
        self.trust = self.fatigue = 0.0
        self.group = -1
        self.purchases = self.private_purchases = self.referrals = self.group_buys = 0
        self.last_purchase = self.last_reward = NEVER
        self.spend = 0.0
        self.referrer: User | None = None
        self.contacts: list[User] = []   # social contacts (filled by the network build)
        self.exposed: list[bool] = []    # whether this user's shares already reached each contact
        self.fresh = 0                   # contacts not yet exposed by this user's shares

    # --- the morning rule (one user, one day) ------------------------------------------------
    def threshold(self, activity: float) -> float:
        """Fatigue threshold θ: the steady state of ``tolerance`` ads a week, raised by group activity."""
        m = self.model
        return self.tolerance / 7.0 / (1.0 - m.retention) * (1.0 + m.sc.community.activity_tolerance_bonus * activity)

    def step(self) -> None:
        """Today's messages, chat, red packet, fatigue, trust, mute or leave and purchase decision."""
        m = self.model
        sc, day, rng, on = m.sc, m.today, m.rng, m.sc.mechanisms
        fat, st = sc.fatigue, sc.strategy
        if on.fatigue:
            self.fatigue *= m.retention
        act = m.activity[self.group] if self.group >= 0 else 0.0
        if self.stage == DORMANT:
            if rng.random() < fat.dormant_cleanup_rate:
                m.leave(self, "leaves_cleanup")
            elif (day.event or day.red_packet) and self.fatigue < 0.5 * self.threshold(act):
                if rng.random() < fat.reactivation_rate:
                    self.stage = self.rung
            return
        m.reach.append(self)
        # messages: content to all; ads not in groups without selling, not to unpaid users under routing
        content, ads, notices = st.content_posts_per_day, st.ad_posts_per_day, 1.0 if day.event else 0.0
        if not st.selling_in_group and self.group >= 0:
            ads = 0.0
        if st.routing_by_tags and self.purchases == 0:
            ads = notices = 0.0
        day.add("messages_sent", content + ads + notices)
        chatted = m.chat_p > 0.0 and rng.random() < m.chat_p
        if day.red_packet and self.group >= 0:
            day.add("red_packets", 1)
            self.last_reward = day.t
        # fatigue, then trust
        ratio = 0.0
        if on.fatigue:
            self.fatigue += m.ad_weight * (ads + notices) + fat.content_weight * (0.5 + self.deal) * content
            ratio = self.fatigue / self.threshold(act)
        if on.trust:
            tr = sc.trust
            gain = tr.content_gain * content * (1.0 - self.deal) + tr.familiarity_gain * (act if self.group >= 0 else 0.25)
            if chatted:
                gain += tr.interaction_gain
            if st.content_posts_per_day >= 1.0:
                gain += tr.consistency_gain
            loss = tr.exaggeration_loss * st.exaggeration + tr.hard_sell_loss * max(0.0, ratio - 1.0)
            x = self.trust + min(gain, 1.0) * (1.0 - self.trust) - min(loss, 1.0) * self.trust
            self.trust = min(max(x, 0.0), 1.0)
        # competing leave hazards (background, overload, lost incentive); mute past θ
        background = m.background
        overload = incentive = 0.0
        mute = False
        if on.fatigue and ratio > 1.0:
            if ratio / fat.leave_multiple > 1.0:
                overload = fat.leave_rate * ratio / fat.leave_multiple
            mute = rng.random() < 1.0 - math.exp(-fat.mute_rate * (ratio - 1.0))
        if on.incentive_churn and self.last_reward > NEVER:
            remembered = 1.0 - math.exp(-(day.t - self.last_reward) / fat.incentive_memory_days)
            incentive = fat.incentive_leave_rate * self.deal ** 2 * remembered * (1.0 - self.trust)
        hazard = background + overload + incentive
        if hazard > 0.0 and rng.random() < 1.0 - math.exp(-hazard):
            w = rng.random() * hazard  # which hazard it was, in proportion to each
            cause = "leaves_background" if w < background else "leaves_fatigue" if w < background + overload else "leaves_incentive"
            m.leave(self, cause)
            return
        if mute:
            self.stage = DORMANT
            day.add("mutes", 1)
            return
        if on.purchase and rng.random() < 1.0 - math.exp(-self.purchase_hazard(act, ads + notices, content, chatted)):
            m.buyers.append(self)

    def purchase_hazard(self, act: float, ads: float, content: float, chatted: bool) -> float:
        """Daily purchase hazard: need × readiness × conversion(trust) × lifts × reminder."""
        m = self.model
        pu, st, day = m.sc.purchase, m.sc.strategy, m.today
        need_rate = self.need / self.cycle * day.demand + pu.cross_sell_per_year * self.trust / 365.0
        ready = min(1.0, (day.t - self.last_purchase) / self.cycle)
        conv = pu.conversion_floor + (pu.conversion_ceiling - pu.conversion_floor) * self.trust ** pu.trust_exponent
        cashback = st.cashback_rate if day.rebates else 0.0
        lift = (1.0 + pu.event_lift * day.discount * self.price_sens) * (1.0 + pu.cashback_lift * cashback * self.deal)
        lift *= (1.0 + pu.group_activity_lift * act) * m.mini_program
        touches = pu.reminder_per_ad * ads + pu.reminder_per_content * content + (1.0 if chatted else 0.0)
        reminder = pu.unprompted_share + (1.0 - pu.unprompted_share) * (1.0 - math.exp(-touches))
        return need_rate * ready * conv * lift * reminder

    # --- sharing and the ladder ----------------------------------------------------------------
    def shares(self, cash: float) -> bool:
        """Whether this reachable user shares today unprompted (trust moves fans, cash moves deal-seekers)."""
        rf = self.model.sc.referral
        p = rf.share_rate * ((self.trust ** 2 if self.purchases > 0 else 0.0) + self.deal * cash) * self.sociability
        if self.stage == PARTNER:
            p *= rf.partner_share_multiplier
        return p > 0.0 and self.model.rng.random() < 1.0 - math.exp(-p)

    def promote(self) -> None:
        """Move up the value ladder (it never goes down)."""
        sc = self.model.sc
        new = FOLLOWER + min(self.purchases, 2)
        if sc.mechanisms.lifecycle:
            if sc.strategy.membership and self.purchases >= sc.referral.member_min_purchases:
                new = MEMBER
            if (sc.strategy.partner_program and self.trust >= sc.referral.partner_min_trust
                    and self.referrals >= sc.referral.partner_min_referrals and self.purchases > 0):
                new = PARTNER
        if new > self.rung:
            self.rung = self.stage = new


class PlainMesaModel(mesa.Model):
    """One replicate of a scenario in plain Mesa; :meth:`step` is one day."""

    def __init__(self, scenario: Scenario, seed: int = 0) -> None:
        """Draw the users one by one and their social network."""
        super().__init__(seed=seed)
        if scenario.budget.monthly_cap > 0 or scenario.budget.yearly_cap > 0:
            raise ValueError("the plain-Mesa twin does not model the budget cap rule (budget.monthly_cap/yearly_cap)")
        self.sc = sc = scenario
        rng, pp = self.rng, sc.population
        c = pp.trait_concentration
        users = []
        for _ in range(pp.n_users):
            users.append(User(
                self, need=rng.beta(pp.need_mean * c, (1 - pp.need_mean) * c),
                deal=rng.beta(pp.deal_seeking_mean * c, (1 - pp.deal_seeking_mean) * c),
                price_sens=rng.beta(pp.price_sensitivity_mean * c, (1 - pp.price_sensitivity_mean) * c),
                tolerance=pp.tolerance_median * math.exp(pp.tolerance_sigma * rng.standard_normal()),
                cycle=max(1.0, sc.product.purchase_cycle_days * math.exp(pp.cycle_sigma * rng.standard_normal())),
                sociability=math.exp(pp.sociability_sigma * rng.standard_normal())))
        mean_soc = sum(u.sociability for u in users) / len(users)
        for u in users:
            u.sociability /= mean_soc
        self.users = users
        self._build_network()
        self.pool = mesa.agent.AgentSet([], random=self.random)  # users in the private pool
        self.activity: list[float] = []   # group activity, one entry per opened group
        self.seats = 0
        self.red_packets_dropped = 0
        self.n_joined = self.n_churned = 0
        self.retention = 2.0 ** (-1.0 / sc.fatigue.half_life_days)
        b = sc.fatigue.base_churn_per_year
        self.background = -math.log1p(-b) / 365.0 if b < 1 else 1.0
        self.ad_weight = sc.fatigue.targeted_weight if sc.strategy.ads_targeted else 1.0
        tp = sc.touchpoints
        self.mini_program = 1.0 + tp.mini_program_lift if tp.mini_program else 1.0
        self.t = 0
        self.cum_profit = 0.0
        self.rows: list[dict[str, float]] = []
        self.reach: list[User] = []
        self.buyers: list[User] = []
        self.chat_p = 0.0
        self.morning_seconds = 0.0  # time in the morning rule (``shuffle_do("step")``) and its calls
        self.morning_steps = 0.0

    def _build_network(self) -> None:
        nw, n, rng = self.sc.network, len(self.users), self.rng
        if nw.kind == "well_mixed" or n < 2:
            self.graph = False
            return
        self.graph = True
        m = int(round(n * nw.mean_degree / 2))
        if nw.kind == "scale_free":  # Chung-Lu: endpoints drawn ∝ power-law expected degrees
            w = [(i + 1) ** (-1.0 / (POWER_LAW_EXPONENT - 1.0)) for i in range(n)]
            cap = sum(w) / n * math.sqrt(n * nw.mean_degree) / nw.mean_degree
            w = [min(x, cap) for x in w]
            rng.shuffle(w)
            p = np.asarray(w) / sum(w)
            pairs = zip(rng.choice(n, size=m, p=p).tolist(), rng.choice(n, size=m, p=p).tolist(), strict=True)
        elif nw.kind == "random":
            pairs = zip(rng.integers(0, n, m).tolist(), rng.integers(0, n, m).tolist(), strict=True)
        else:  # small world: ring lattice of mean_degree/2 clockwise links, each rewired with rewire_p
            half = max(1, int(round(nw.mean_degree / 2)))
            pairs = []
            for u in range(n):
                for k in range(1, half + 1):
                    v = int(rng.integers(0, n)) if rng.random() < nw.rewire_p else (u + k) % n
                    pairs.append((u, v))
        links: list[set[int]] = [set() for _ in range(n)]
        for u, v in pairs:
            if u != v:
                links[u].add(v)
                links[v].add(u)
        for u, near in zip(self.users, links, strict=True):
            u.contacts = [self.users[v] for v in near]
            u.exposed = [False] * len(near)
            u.fresh = len(near)

    # --- helpers ---------------------------------------------------------------------------------
    def pool_size(self) -> int:
        """Users in the private pool (reachable or dormant)."""
        return self.n_joined - self.n_churned

    def leave(self, user: User, cause: str) -> None:
        """``user`` leaves the private pool for ``cause`` (a daily leave column)."""
        user.stage = CHURNED
        self.pool.remove(user)
        self.n_churned += 1
        self.today.add("leaves", 1)
        self.today.add(cause, 1)

    def sample_public(self, share: float) -> list[User]:
        """Distinct public users reached by exposure with per-user share ``share``, in id order."""
        if share <= 0:
            return []
        n = len(self.users)
        hit = set(self.rng.integers(0, n, self.rng.binomial(n, min(share, 1.0))).tolist())
        return [self.users[i] for i in sorted(hit) if self.users[i].stage == PUBLIC]

    def take_up(self, hook, users: list[User]) -> list[User]:
        """Users who take ``hook`` up (cash selects deal-seekers, content selects fans)."""
        if not hook.enabled or hook.take_up <= 0:
            return []
        rng = self.rng
        return [u for u in users
                if rng.random() < hook.take_up * min(max(1.0 + hook.selection * (2.0 * u.deal - 1.0), 0.0), 2.0)]

    def admit(self, users: list[User], source: int, hook=None, referrers: list[User] | None = None) -> list[int]:
        """Admit public ``users`` within the entry threshold and capacity; return the admitted positions."""
        sc, day = self.sc, self.today
        st, tr, tp = sc.strategy, sc.trust, sc.touchpoints
        room = max(0, tp.max_accounts * tp.friends_per_account - self.pool_size())
        kept = []
        for k, u in enumerate(users):
            if u.need < st.entry_threshold or len(kept) >= room:
                continue
            kept.append(k)
            u.rung = u.stage = FOLLOWER + min(u.purchases, 2)
            base = tr.initial_content if source == CONTENT else tr.initial
            if referrers is not None:
                u.trust = min(1.0, base + tr.endorsement * referrers[k].trust)
                u.referrer = referrers[k]
            else:
                u.trust = max(u.trust, base)
            u.fatigue = 0.0
            if self.rng.random() < tp.group_share:  # a seat in the current group, or a new lively group
                u.group = self.seats // tp.group_size
                if u.group == len(self.activity):
                    self.activity.append(sc.community.initial_activity)
                self.seats += 1
            cash = st.join_cash if day.rebates else 0.0
            if source == CASH or cash > 0:
                u.last_reward = day.t
                day.add("cost_rebates", cash)
            if hook is not None:
                day.add("cost_hooks", hook.cost_per_join)
            self.pool.add(u)
            self.n_joined += 1
        day.add("new_joins", len(kept))
        return kept

    def book(self, buyers: list[User], channel: str, discount: float) -> None:
        """Book orders: counts and money; private orders also cash back, commission, fulfilment, trust."""
        sc, day, rng = self.sc, self.today, self.rng
        if not buyers:
            return
        ov, st, ful = sc.product.order_value, sc.strategy, sc.fulfilment
        revenue = ov * (1.0 - discount)
        for u in buyers:
            u.purchases += 1
            u.last_purchase = day.t
            u.spend += revenue
        day.add("purchases", len(buyers))
        day.add("gmv", revenue * len(buyers))
        day.add("margin", ov * (sc.product.margin_rate - discount) * len(buyers))
        if channel == "platform":
            day.add("cost_commission", sc.public.platform_commission * revenue * len(buyers))
            return
        day.add("private_purchases", len(buyers))
        for u in buyers:
            u.private_purchases += 1
            if day.rebates and st.cashback_rate > 0:
                day.add("cost_rebates", st.cashback_rate * revenue)
                u.last_reward = day.t
            if st.partner_program and u.referrer is not None and u.referrer.stage == PARTNER:
                day.add("cost_referrals", st.partner_commission * revenue)
        failed = [False] * len(buyers)
        if sc.mechanisms.fulfilment_failures:
            failed = [rng.random() < ful.failure_rate for _ in buyers]
            if ful.capacity_per_day > 0:
                if len(buyers) > self.capacity_left:
                    for k in rng.permutation(len(buyers))[self.capacity_left:]:
                        failed[k] = True
                self.capacity_left = max(0, self.capacity_left - len(buyers))
        for u, bad in zip(buyers, failed, strict=True):
            if sc.mechanisms.trust:
                u.trust = u.trust * (1.0 - sc.trust.failure_loss) if bad else u.trust + sc.trust.purchase_gain * (1.0 - u.trust)
            if bad:
                day.add("failures", 1)
                if rng.random() < sc.trust.failure_loss * (1.0 - u.trust) and u.stage <= PARTNER:
                    self.leave(u, "leaves_failed_order")

    # --- the day ---------------------------------------------------------------------------------
    def plan(self) -> None:
        """The operator's plan: shocks, events and discounts, rebates, red packets, campaigns."""
        sc, t = self.sc, self.t
        st = sc.strategy
        day = self.today = Today(t=t)
        if sc.mechanisms.shocks:
            for s in sc.shocks:
                if s.start_day <= t < s.start_day + s.days:
                    day.public_open = day.public_open and not s.public_closed
                    day.demand *= s.demand_multiplier
        w = st.welfare_events_per_week
        welfare = w > 0 and int((t + 1) * w / 7.0) > int(t * w / 7.0)
        if st.monthly_promo and t % 30 == 14:
            day.event, day.discount = True, st.promo_discount
        elif welfare:
            day.event, day.discount = True, st.welfare_discount
        day.rebates = t < st.rebate_end_day
        day.red_packet = day.rebates and st.red_packet_every_days > 0 and t > 0 and t % st.red_packet_every_days == 0
        day.campaign = st.campaign_every_days > 0 and t > 0 and t % st.campaign_every_days == 0

    def acquire(self) -> None:
        """Public exposure, platform orders and the lead-in hooks."""
        sc, day, rng = self.sc, self.today, self.rng
        pub, hooks = sc.public, sc.strategy.hooks
        if not sc.mechanisms.acquisition or not day.public_open:
            return
        paid = self.sample_public(pub.ad_reach_per_day)
        organic = self.sample_public(pub.organic_reach_per_day)
        day.add("cost_ads", len(paid) * pub.cost_per_exposure * (1.0 + pub.cost_growth_per_year) ** (day.t / 365.0))
        exposed = {u.unique_id: u for u in paid + organic}.values()
        buyers = []
        for u in exposed:
            p = pub.platform_conversion / sc.product.decision_touches * u.need * min(1.0, (day.t - u.last_purchase) / u.cycle)
            p *= (1.0 + pub.platform_repeat_boost * (u.purchases > 0)) * day.demand
            if rng.random() < p:
                buyers.append(u)
        self.book(buyers, "platform", 0.0)
        cards = self.take_up(hooks.package_card, buyers)
        self.admit(cards, CARD, hooks.package_card)
        rest = [u for u in paid if u.stage == PUBLIC]
        if day.rebates:
            self.admit(self.take_up(hooks.cash, rest), CASH, hooks.cash)
        rest = [u for u in rest if u.stage == PUBLIC]
        self.admit(self.take_up(hooks.gift, rest), GIFT, hooks.gift)
        if hooks.content.enabled:
            self.admit(self.take_up(hooks.content, self.sample_public(hooks.content_reach_per_day)), CONTENT, hooks.content)

    def groups_day(self) -> None:
        """Group activity: decay, then the day's stimulus (content, check-ins, a red packet)."""
        sc, day = self.sc, self.today
        com, st = sc.community, sc.strategy
        if not self.activity or not sc.mechanisms.group_activity:
            return
        s = (com.content_stimulus if st.content_posts_per_day > 0 else 0.0) + (com.check_in_stimulus if st.check_ins else 0.0)
        if day.red_packet:
            s += com.red_packet_lift * com.red_packet_decay ** self.red_packets_dropped
            self.red_packets_dropped += 1
        for g, a in enumerate(self.activity):
            a *= 1.0 - com.activity_decay
            self.activity[g] = a + (1.0 - a) * min(s, 1.0)

    def share(self) -> None:
        """Today's sharers and the one-hop cascade over their contacts; referral rewards, group-buys."""
        sc, day, rng = self.sc, self.today, self.rng
        st, rf = sc.strategy, sc.referral
        if not sc.mechanisms.referral or not self.reach:
            return
        cash = rf.reward_share_lift * st.referral_reward / sc.product.order_value if day.rebates and st.referral_reward > 0 else 0.0
        alive = [u for u in self.reach if u.stage <= PARTNER]
        sharers = [u for u in alive if u.shares(cash)]
        if day.campaign:
            k = int(round(st.seeds_per_campaign * len(alive)))
            if k > 0:
                if st.seeding == "random":
                    seeds = [alive[i] for i in rng.choice(len(alive), size=k, replace=False)]
                else:
                    seeds = sorted(alive, key=lambda u: -u.sociability * self.fresh_reach(u) * (0.1 + u.trust) * (1 + u.group_buys))[:k]
                sharers = list({u.unique_id: u for u in sharers + seeds}.values())
        if not sharers:
            return
        day.add("referrals", len(sharers))
        group_buy = st.group_buy_size > 1
        joiners: dict[int, tuple[User, User]] = {}  # first successful exposure of each joiner
        for u in sharers:
            if group_buy:
                u.group_buys += 1
            if self.graph:
                reached = []
                for k, v in enumerate(u.contacts):
                    if not u.exposed[k]:
                        u.exposed[k] = True
                        u.fresh -= 1
                        reached.append(v)
            else:
                reached = [self.users[i] for i in rng.integers(0, len(self.users), rf.well_mixed_contacts)]
            for v in reached:
                if v.stage != PUBLIC:
                    continue
                p = rf.join_prob * min(u.trust + v.deal * cash, 1.0) * (0.5 + v.need)
                if group_buy:
                    p *= 1.0 + sc.purchase.event_lift * st.group_buy_discount * v.price_sens
                if rng.random() < p and v.unique_id not in joiners:
                    joiners[v.unique_id] = (v, u)
        pairs = list(joiners.values())
        kept = self.admit([v for v, _ in pairs], REFERRAL, None, referrers=[u for _, u in pairs])
        if not kept:
            return
        day.add("referral_joins", len(kept))
        brought: dict[int, int] = {}
        for k in kept:
            ref = pairs[k][1]
            ref.referrals += 1
            brought[ref.unique_id] = brought.get(ref.unique_id, 0) + 1
            if day.rebates and st.referral_reward > 0:
                day.add("cost_referrals", st.referral_reward)
                ref.last_reward = day.t
        if group_buy:  # a sharer who brought group_buy_size − 1 joiners completes a group-buy
            done = {rid for rid, c in brought.items() if c >= st.group_buy_size - 1}
            orders = [pairs[k][0] for k in kept if pairs[k][1].unique_id in done]
            orders += [self.users_by_id(rid) for rid in sorted(done) if self.users_by_id(rid).stage <= PARTNER]
            self.book(orders, "private", st.group_buy_discount)

    def fresh_reach(self, u: User) -> float:
        """Contacts ``u``'s shares have not yet exposed (well-mixed: contacts per share)."""
        return float(u.fresh) if self.graph else float(self.sc.referral.well_mixed_contacts)

    def users_by_id(self, uid: int) -> User:
        """The user with Mesa ``unique_id`` ``uid`` (users are created first, ids 1..n)."""
        return self.users[uid - self.users[0].unique_id]

    def step(self) -> None:
        """One day, in the engine's order."""
        sc = self.sc
        self.plan()
        day = self.today
        cap = sc.fulfilment.capacity_per_day
        self.capacity_left = int(cap * len(self.users) / 10_000) if cap > 0 else 0
        self.acquire()
        self.groups_day()
        # the morning pass over the private pool
        self.reach, self.buyers = [], []
        n_reach = sum(1 for u in self.pool if u.stage <= PARTNER)
        tp = sc.touchpoints
        chats = self.pool_size() / tp.users_per_staff * tp.interactions_per_staff_per_day if sc.strategy.one_to_one else 0.0
        self.chat_p = min(1.0, chats / n_reach) if chats > 0 and n_reach else 0.0
        t0 = time.perf_counter()
        self.pool.shuffle_do("step")
        self.morning_seconds += time.perf_counter() - t0
        self.morning_steps += len(self.pool) + self.today.n.get("leaves", 0.0)  # (leavers left the set)
        day.add("cost_rebates", day.n.get("red_packets", 0.0) * sc.strategy.red_packet_per_member)
        self.book(self.buyers, "private", day.discount)
        self.share()
        for u in self.reach:
            if u.stage <= PARTNER:
                u.promote()
        self.bill()
        self.record()
        self.t += 1

    def bill(self) -> None:
        """Running costs of the pool: staff, accounts (and mini-program), content production."""
        sc, day = self.sc, self.today
        tp, st = sc.touchpoints, sc.strategy
        pool = self.pool_size()
        if pool <= 0 and not st.hooks.content.enabled:
            return
        day.add("cost_staff", tp.staff_cost_per_day * pool / tp.users_per_staff)
        day.add("cost_accounts", tp.account_cost_per_day * math.ceil(pool / tp.friends_per_account)
                + (tp.mini_program_cost_per_day if tp.mini_program else 0.0))
        day.add("cost_content", st.content_cost_per_post * st.content_posts_per_day)

    def record(self) -> None:
        """The day's row: counts, the pool, its mean trust, the profit."""
        n = self.today.n
        costs = sum(n.get(k, 0.0) for k in ("cost_ads", "cost_hooks", "cost_rebates", "cost_referrals", "cost_content",
                                             "cost_staff", "cost_accounts", "cost_commission"))
        self.cum_profit += n.get("margin", 0.0) - costs
        pool = len(self.pool)
        row = dict(n, day=self.t, private_pool=pool, cum_profit=self.cum_profit,
                   mean_trust=sum(u.trust for u in self.pool) / pool if pool else float("nan"))
        self.rows.append(row)


# --- runs and KPIs ---------------------------------------------------------------------------------
def _sums(rows: list[dict[str, float]], key: str) -> float:
    return float(sum(r.get(key, 0.0) for r in rows))


def kpis_from_rows(rows: list[dict[str, float]]) -> dict[str, float]:
    """The :data:`KPIS` of one run from its daily rows (dicts with the engine's daily column names)."""
    mid = rows[len(rows) // 2]
    return {
        "final_private_pool": float(rows[-1]["private_pool"]), "mid_private_pool": float(mid["private_pool"]),
        "new_joins": _sums(rows, "new_joins"), "referral_joins": _sums(rows, "referral_joins"),
        "purchases": _sums(rows, "purchases"), "private_purchases": _sums(rows, "private_purchases"),
        "gmv": _sums(rows, "gmv"), "mutes": _sums(rows, "mutes"), "leaves": _sums(rows, "leaves"),
        "leaves_fatigue": _sums(rows, "leaves_fatigue"), "mean_trust": float(rows[-1]["mean_trust"]),
        "cum_profit": float(rows[-1]["cum_profit"]),
    }


def pool_user_days(rows: list[dict[str, float]]) -> float:
    """Σ over days of the private pool at the end of the day — counted the same way for both models."""
    return _sums(rows, "private_pool")


def run_twin(scenario: Scenario, seed: int,
             stats: dict[str, float] | None = None) -> tuple[dict[str, float], float, float, float]:
    """Run the twin once: (KPIs, pool-user-days, wall and CPU seconds for set-up and days).

    ``stats``, if given, accumulates ``morning_s`` and ``morning_steps``: the time in the morning
    rule (``shuffle_do("step")``) and the agent-steps it made.
    """
    gc.collect()  # the garbage of earlier runs is not this run's to collect
    t0, c0 = time.perf_counter(), time.process_time()
    model = PlainMesaModel(scenario, seed=seed)
    for _ in range(scenario.horizon_days):
        model.step()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    if stats is not None:
        stats["morning_s"] = stats.get("morning_s", 0.0) + model.morning_seconds
        stats["morning_steps"] = stats.get("morning_steps", 0.0) + model.morning_steps
    mesa.Agent._ids.pop(model, None)  # Mesa's class-level id counter would keep the model alive
    return kpis_from_rows(model.rows), pool_user_days(model.rows), seconds, cpu


def run_engine(scenario: Scenario, seed: int) -> tuple[dict[str, float], float, float, float]:
    """Run the engine once, timed the same way: (KPIs, pool-user-days, wall and CPU seconds for set-up and days)."""
    from sim.model import SiyuModel
    from sim.runner import warm_up

    warm_up()
    gc.collect()  # the twin's garbage (its agents' reference cycles) is not the engine's to collect
    t0, c0 = time.perf_counter(), time.process_time()
    model = SiyuModel(scenario, seed=seed)
    model.advance(scenario.horizon_days)  # the days as sim.runner.simulate runs them
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    rows = model.daily().to_dict("records")
    for r in rows:
        if not r["private_pool"]:
            r["mean_trust"] = float("nan")
    mesa.Agent._ids.pop(model, None)  # as sim.runner does after a run
    return kpis_from_rows(rows), pool_user_days(rows), seconds, cpu


# --- the agreement criterion -------------------------------------------------------------------------
#: how many standard errors of the difference of means two implementations may differ by
Z_MAX = 4.0


def agreement(engine: list[dict[str, float]], twin: list[dict[str, float]], kpis=KPIS,
              z_max: float = Z_MAX) -> dict[str, dict[str, float]]:
    """Per KPI: the two medians and means over seeds, the difference's z-score and whether it agrees.

    Seeds are independent replicates of each model, so the difference of the means has standard
    error ``se = sqrt(s_e²/n_e + s_t²/n_t)`` (Welch). A KPI agrees when ``|mean_e − mean_t| ≤
    z_max × se + 1e-9 × max(1, |mean_e|)`` (the tiny floor lets a KPI that is identically zero,
    e.g. referral joins without referral, agree with itself). NaN runs (no pool: no mean trust)
    are dropped; a KPI NaN in every run of both agrees.
    """
    out = {}
    for k in kpis:
        e = np.array([r[k] for r in engine], dtype=float)
        t = np.array([r[k] for r in twin], dtype=float)
        e, t = e[~np.isnan(e)], t[~np.isnan(t)]
        if len(e) == 0 and len(t) == 0:
            out[k] = {"engine_median": math.nan, "twin_median": math.nan, "z": 0.0, "agrees": True}
            continue
        if len(e) < 2 or len(t) < 2:
            out[k] = {"engine_median": float(np.median(e)) if len(e) else math.nan,
                      "twin_median": float(np.median(t)) if len(t) else math.nan, "z": math.inf, "agrees": False}
            continue
        diff = float(e.mean() - t.mean())
        se = math.sqrt(e.var(ddof=1) / len(e) + t.var(ddof=1) / len(t))
        floor = 1e-9 * max(1.0, abs(float(e.mean())))
        z = abs(diff) / se if se > 0 else (0.0 if abs(diff) <= floor else math.inf)
        out[k] = {
            "engine_median": float(np.median(e)), "twin_median": float(np.median(t)),
            "engine_p10": float(np.quantile(e, 0.1)), "engine_p90": float(np.quantile(e, 0.9)),
            "twin_p10": float(np.quantile(t, 0.1)), "twin_p90": float(np.quantile(t, 0.9)),
            "diff": diff, "se": se, "z": z, "agrees": abs(diff) <= z_max * se + floor,
        }
    return out



def compare(scenario: Scenario, seeds: int, twin_scenario: Scenario | None = None,
            twin_seed_offset: int = 10_000) -> dict:
    """Run engine and twin on ``seeds`` seeds each; their KPIs, timings and :func:`agreement`.

    The twin runs ``twin_scenario`` (default: the same scenario; a perturbed copy shows the
    criterion can fail) on seeds offset by ``twin_seed_offset`` so that no stream is shared.
    Runs alternate engine, twin, engine, … so that a change in machine load hits both alike.
    """
    twin_scenario = twin_scenario or scenario
    eng, twin = [], []
    timing = {"engine_s": 0.0, "twin_s": 0.0, "engine_pud": 0.0, "twin_pud": 0.0}
    for s in range(seeds):
        k, pud, sec, _ = run_engine(scenario, s)
        eng.append(k)
        timing["engine_s"] += sec
        timing["engine_pud"] += pud
        k, pud, sec, _ = run_twin(twin_scenario, twin_seed_offset + s)
        twin.append(k)
        timing["twin_s"] += sec
        timing["twin_pud"] += pud
    return {"engine": eng, "twin": twin, "timing": timing, "agreement": agreement(eng, twin)}


__all__ = ["KPIS", "PlainMesaModel", "User", "agreement", "compare", "kpis_from_rows", "pool_user_days",
           "run_engine", "run_twin"]
