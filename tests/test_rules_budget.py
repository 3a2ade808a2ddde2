"""The budget cap rule (``sim.mechanisms.budget``) piece by piece, on hand-built inputs.

Fast tests for the mutation runs (docs/MODEL.md §8.1): the caps and covered columns a scenario
gives, the running costs the operator reserves, the fixed-cost check and its message, the KPI
helpers on hand-built daily tables, and the :class:`BudgetTracker` on a stand-in model whose
pool, ledger and day the test sets — today's room for each period, the priority order of the
cuts, the hard cap on units, grants and joiners, and the close of the day.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim import ScenarioError
from sim.mechanisms import budget
from sim.mechanisms.budget import CUT_ORDER, KINDS, RED_PACKET_KEY, BudgetTracker
from sim.mechanisms.day import Day, Ledger
from sim.scenario import Scenario

#: running cost of exactly 1 RMB per pool user per day, nothing fixed (no accounts, content, app)
ONE_PER_USER = {"touchpoints.users_per_staff": 100.0, "touchpoints.staff_cost_per_day": 100.0,
                "touchpoints.account_cost_per_day": 0.0}


def scenario(**over) -> Scenario:
    """A scenario with no fixed daily cost (any cap is valid) and the given ``section__field`` overrides."""
    return Scenario().with_overrides({**ONE_PER_USER, **{k.replace("__", "."): v for k, v in over.items()}})


def model(pool: int = 0, t: int = 0, *, pop=None, **over):
    """A stand-in model: the scenario's budget, a pool of ``pool`` users, day ``t``, an empty ledger."""
    sc = Scenario().with_overrides({**ONE_PER_USER, **{k.replace("__", "."): v for k, v in over.items()}})
    m = SimpleNamespace(scenario=sc, ledger=Ledger(), day=Day(t=t), pool=pool, pop=pop)
    m.touchpoints = SimpleNamespace(pool_size=lambda: m.pool)
    return m


def tracker(pool: int = 0, t: int = 0, **over) -> BudgetTracker:
    return BudgetTracker(model(pool, t, **over))


# --- the caps and what they cover ----------------------------------------------------------------
def test_covered_columns_are_the_discretionary_and_running_costs_with_ads_only_if_included():
    rest = ["cost_hooks", "cost_rebates", "cost_referrals", "cost_content", "cost_staff", "cost_accounts"]
    assert budget.covered_columns(scenario().budget) == ["cost_ads", *rest]
    assert budget.covered_columns(scenario(budget__include_ads=False).budget) == rest
    assert "cost_commission" not in budget.covered_columns(scenario().budget)   # a fee on sales
    assert set(KINDS.values()) == {"cost_ads", *rest}
    assert KINDS["red_packets"] == KINDS["rebates"] == "cost_rebates"


def test_caps_are_the_positive_ones_with_their_periods():
    assert budget.caps(scenario().budget) == []
    assert budget.caps(scenario(budget__monthly_cap=2500).budget) == [(30, 2500.0)]
    assert budget.caps(scenario(budget__yearly_cap=30000).budget) == [(365, 30000.0)]
    both = budget.caps(scenario(budget__monthly_cap=2500, budget__yearly_cap=30000).budget)
    assert both == [(30, 2500.0), (365, 30000.0)] and all(isinstance(c, float) for _, c in both)
    assert (budget.MONTH_DAYS, budget.YEAR_DAYS) == (30, 365)
    small = budget.caps(scenario(budget__monthly_cap=0.5, budget__yearly_cap=0.25).budget)
    assert small == [(30, 0.5), (365, 0.25)]   # any positive cap counts, even under 1 RMB


def test_caps_text_names_each_cap():
    assert budget.caps_text(scenario(budget__monthly_cap=2500, budget__yearly_cap=30000).budget) == \
        "monthly cap 2,500 RMB, yearly cap 30,000 RMB"
    assert budget.caps_text(scenario(budget__yearly_cap=1234567).budget) == "yearly cap 1,234,567 RMB"
    assert budget.caps_text(scenario().budget) == ""


# --- running costs --------------------------------------------------------------------------------
RUN = {"touchpoints.friends_per_account": 100, "touchpoints.account_cost_per_day": 7.0,
       "touchpoints.users_per_staff": 200.0, "touchpoints.staff_cost_per_day": 50.0,
       "strategy.content_cost_per_post": 30.0, "strategy.content_posts_per_day": 2.0}


def test_running_costs_of_a_pool_staff_per_user_accounts_per_started_account_and_content():
    sc = Scenario().with_overrides(RUN)
    got = budget.running_costs(sc, 250)
    assert got == pytest.approx({"cost_staff": 50.0 * 250 / 200, "cost_accounts": 7.0 * 3, "cost_content": 60.0})
    assert budget.running_costs(sc, 200)["cost_accounts"] == 7.0 * 2      # exactly two full accounts
    assert budget.running_costs(sc, 201)["cost_accounts"] == 7.0 * 3      # one more user starts a third
    assert budget.running_costs(sc, 1) == pytest.approx({"cost_staff": 0.25, "cost_accounts": 7.0, "cost_content": 60.0})


def test_running_constants_are_the_scenario_s_numbers_read_once_per_scenario():
    sc = Scenario().with_overrides({**RUN, "touchpoints.mini_program": True, "touchpoints.mini_program_cost_per_day": 20.0})
    rc = budget.running_constants(sc)
    tp, st = sc.touchpoints, sc.strategy
    assert rc.dtype == np.float64 and len(rc) == budget.N_RUNNING
    assert rc.tolist() == [0.0, tp.account_cost_per_day, tp.friends_per_account, tp.staff_cost_per_day,
                           tp.users_per_staff, st.content_cost_per_post * st.content_posts_per_day, 1.0, 20.0]
    assert budget.running_constants(sc) is rc  # the same scenario again: the array already read
    other = Scenario().with_overrides({**RUN, "strategy.hooks.content.enabled": True})
    assert budget.running_constants(other) is not rc and budget.running_constants(other)[budget.R_CONTENT_ON] == 1.0
    assert budget.running_constants(sc) is not rc and budget.running_constants(sc).tolist() == rc.tolist()


def test_running_costs_add_the_mini_program_to_the_accounts():
    sc = Scenario().with_overrides({**RUN, "touchpoints.mini_program": True,
                                    "touchpoints.mini_program_cost_per_day": 20.0})
    assert budget.running_costs(sc, 250) == pytest.approx(
        {"cost_staff": 62.5, "cost_accounts": 21.0 + 20.0, "cost_content": 60.0})


def test_an_empty_pool_costs_nothing_unless_the_content_hook_runs():
    sc = Scenario().with_overrides(RUN)
    assert budget.running_costs(sc, 0) == {}
    on = Scenario().with_overrides({**RUN, "strategy.hooks.content.enabled": True})
    assert budget.running_costs(on, 0) == pytest.approx({"cost_staff": 0.0, "cost_accounts": 0.0, "cost_content": 60.0})
    assert budget.running_costs(on, 5) == pytest.approx({"cost_staff": 1.25, "cost_accounts": 7.0, "cost_content": 60.0})


def test_running_costs_are_what_the_operator_bills():
    from siyu_harness import joined, tiny

    sc = tiny(**{k.replace(".", "__"): v for k, v in RUN.items()}, touchpoints__mini_program=True)
    m = joined(sc, 150)
    m.touchpoints.bill()
    want = budget.running_costs(sc, 150)
    assert {k: m.ledger[k] for k in want} == pytest.approx(want)


def test_fixed_daily_cost_is_content_the_mini_program_and_one_account():
    assert budget.fixed_daily_cost(Scenario().with_overrides(RUN)) == pytest.approx(60.0 + 7.0)
    sc = Scenario().with_overrides({**RUN, "touchpoints.mini_program": True, "touchpoints.mini_program_cost_per_day": 20.0})
    assert budget.fixed_daily_cost(sc) == pytest.approx(87.0)
    off = Scenario().with_overrides({**RUN, "touchpoints.mini_program_cost_per_day": 20.0})   # app not used
    assert budget.fixed_daily_cost(off) == pytest.approx(67.0)


def test_a_cap_below_a_period_of_fixed_costs_is_rejected_in_one_line():
    sc = Scenario().with_overrides(RUN)   # 67 RMB a day fixed: 2,010 a month, 24,455 a year
    for field, low, ok in (("monthly_cap", 2009.0, 2010.0), ("yearly_cap", 24454.0, 24455.0)):
        budget.check_caps(sc.model_copy(update={"budget": sc.budget.model_copy(update={field: ok})}))
        with pytest.raises(ValueError, match=rf"^budget\.{field} = ") as err:
            budget.check_caps(sc.model_copy(update={"budget": sc.budget.model_copy(update={field: low})}))
    assert str(err.value) == (
        "budget.yearly_cap = 24,454 RMB is below the plan's fixed costs of 24,455 RMB per 365 days "
        "(67.00 RMB a day: content posts, mini-program, one account); raise it to at least 24,455 "
        "or set it to 0 (no cap)")
    budget.check_caps(sc)   # no cap at all
    with pytest.raises(ScenarioError, match="budget.monthly_cap"):
        Scenario().with_overrides({**RUN, "budget.monthly_cap": 100.0})


def test_the_fixed_cost_check_rounds_the_least_cap_up():
    sc = Scenario().with_overrides({**RUN, "strategy.content_cost_per_post": 0.005, "strategy.content_posts_per_day": 1.0,
                                    "touchpoints.account_cost_per_day": 0.0})   # 0.005 RMB a day: 0.15 a month
    with pytest.raises(ValueError, match=r"per 30 days \(0\.01 RMB a day.*at least 1 or set it to 0"):
        budget.check_caps(sc.model_copy(update={"budget": sc.budget.model_copy(update={"monthly_cap": 0.1})}))


# --- the KPI helpers on hand-built days -----------------------------------------------------------
def _days(n: int, **cols) -> pd.DataFrame:
    out = pd.DataFrame({c: np.zeros(n) for c in ("cost_ads", "cost_hooks", "cost_rebates", "cost_referrals",
                                                  "cost_content", "cost_staff", "cost_accounts", "cost_commission")})
    for c, v in cols.items():
        out[c] = v
    return out


def test_covered_spending_sums_the_covered_kinds_of_each_day():
    d = _days(3, cost_ads=[1.0, 2.0, 3.0], cost_hooks=[10.0, 0, 0], cost_rebates=[0, 20.0, 0], cost_referrals=[0, 0, 30.0],
              cost_content=[100.0, 0, 0], cost_staff=[0, 200.0, 0], cost_accounts=[0, 0, 300.0], cost_commission=1e6)
    assert budget.covered_spending(d, scenario().budget).tolist() == [111.0, 222.0, 333.0]
    assert budget.covered_spending(d, scenario(budget__include_ads=False).budget).tolist() == [110.0, 220.0, 330.0]
    whole = d.astype("int64")   # whole-RMB columns still give RMB as floats
    assert budget.covered_spending(whole, scenario().budget).dtype == np.float64


def test_max_overspend_is_the_worst_period_above_its_cap():
    spend = np.r_[np.full(30, 10.0), np.full(30, 12.0), np.full(5, 50.0)]   # months of 300, 360 and 250
    d = _days(65, cost_staff=spend, cost_ads=1.0)
    assert budget.max_overspend(d, scenario(budget__monthly_cap=340).budget) == pytest.approx(360 + 30 - 340)
    assert budget.max_overspend(d, scenario(budget__monthly_cap=340, budget__include_ads=False).budget) == pytest.approx(20.0)
    assert budget.max_overspend(d, scenario(budget__monthly_cap=1000).budget) == pytest.approx(-610.0)  # holds
    assert budget.max_overspend(d, scenario(budget__yearly_cap=900).budget) == pytest.approx(910 + 65 - 900)
    both = scenario(budget__monthly_cap=1000, budget__yearly_cap=900).budget
    assert budget.max_overspend(d, both) == pytest.approx(75.0)   # the larger of −610 and +75
    assert budget.max_overspend(d, scenario().budget) == -math.inf


def test_max_overspend_splits_periods_on_day_30_and_day_365():
    d = _days(400, cost_hooks=np.r_[np.zeros(29), [100.0], [100.0], np.zeros(333), [7.0], np.zeros(35)])
    assert budget.max_overspend(d, scenario(budget__monthly_cap=150).budget) == pytest.approx(-50.0)  # days 29, 30
    assert budget.max_overspend(d, scenario(budget__yearly_cap=150).budget) == pytest.approx(57.0)    # day 364 is year 0
    d.loc[364, "cost_hooks"], d.loc[365, "cost_hooks"] = 0.0, 7.0
    assert budget.max_overspend(d, scenario(budget__yearly_cap=200).budget) == pytest.approx(0.0)


def test_bound_from_day_is_the_first_bound_day_or_never():
    assert budget.bound_from_day(pd.DataFrame({"budget_bound": [0.0, 0.0, 1.0, 0.0, 1.0]})) == 2.0
    assert budget.bound_from_day(pd.DataFrame({"budget_bound": [1.0, 0.0]})) == 0.0
    assert budget.bound_from_day(pd.DataFrame({"budget_bound": [0.0, 0.0]})) == math.inf
    assert budget.bound_from_day(pd.DataFrame({"budget_bound": np.zeros(0)})) == math.inf


def test_binding_counts_the_seeds_whose_cap_bound_and_their_median_first_day():
    capped = scenario(budget__monthly_cap=2500).budget
    s = pd.DataFrame({"budget_binds": [1.0, 0.0, 1.0, 1.0], "budget_bound_day": [12.0, math.inf, 40.0, 20.0]})
    assert budget.binding(s, capped) == {"seeds_bound": 3.0, "seeds": 4.0, "first_day_median": 30.0}
    never = pd.DataFrame({"budget_binds": [1.0, 0.0, 0.0], "budget_bound_day": [5.0, math.inf, math.inf]})
    assert budget.binding(never, capped)["first_day_median"] == math.inf   # "never" is the largest
    assert budget.binding(s.assign(budget_binds=0.0), capped) is None      # the cap never bound
    assert budget.binding(s, scenario().budget) is None                    # no cap


# --- the tracker: today's room --------------------------------------------------------------------
def test_a_tracker_without_caps_is_inactive_and_allows_everything():
    b = tracker(pool=10)
    assert not b.active and b.caps == [] and b.spent == []
    assert b.room() == math.inf and b.room(extra_users=10**6) == math.inf
    assert b.affordable(1e9, 7) == 7 and b.grant(1e9) == 1e9 and b.admissible(9, 1e9) == 9 and not b.bound


def test_a_new_tracker_has_spent_nothing_and_may_stop_the_covered_kinds():
    b = tracker(budget__monthly_cap=1000, budget__yearly_cap=5000)
    assert b.active and b.caps == [(30, 1000.0), (365, 5000.0)] and b.spent == [0.0, 0.0]
    assert b.last_full == dict.fromkeys(CUT_ORDER, 0.0) and b.kinds == list(CUT_ORDER)
    assert b.cut == () and b.bound is False and b.columns == budget.covered_columns(b.model.scenario.budget)
    assert tracker(budget__monthly_cap=1000, budget__include_ads=False).kinds == [k for k in CUT_ORDER if k != "ads"]


def test_room_is_each_cap_less_spent_today_and_the_running_reserve_for_the_days_left():
    b = tracker(pool=10, t=5, budget__monthly_cap=1000)
    b.spent = [100.0]
    led = b.model.ledger
    led["cost_ads"], led["cost_staff"], led["cost_commission"] = 4.0, 3.0, 1e6   # commission is not covered
    assert b.room() == pytest.approx(1000 - 100 - 7 - 10 * 25)   # 25 days left, today included
    assert b.room(extra_users=5) == pytest.approx(1000 - 100 - 7 - 15 * 25)
    b.model.day.t = 29
    assert b.room() == pytest.approx(1000 - 100 - 7 - 10 * 1)
    b.model.day.t = 30
    assert b.room() == pytest.approx(1000 - 100 - 7 - 10 * 30)


def test_room_leaves_ads_out_when_they_have_a_budget_of_their_own():
    b = tracker(pool=0, t=0, budget__monthly_cap=1000, budget__include_ads=False)
    b.model.ledger["cost_ads"], b.model.ledger["cost_hooks"] = 500.0, 20.0
    assert b.room() == pytest.approx(980.0)


def test_room_is_the_tightest_of_the_monthly_and_yearly_caps():
    b = tracker(pool=2, t=40, budget__monthly_cap=1000, budget__yearly_cap=5000)
    b.spent = [50.0, 4000.0]
    assert b.room() == pytest.approx(min(1000 - 50 - 2 * 20, 5000 - 4000 - 2 * 325))   # yearly: 350
    b.spent = [900.0, 100.0]
    assert b.room() == pytest.approx(1000 - 900 - 2 * 20)                                # monthly: 60


def test_a_larger_pool_a_later_period_could_not_pay_has_no_room():
    b = tracker(pool=10, t=29, budget__monthly_cap=450)
    assert b.room(extra_users=6) == -math.inf        # 16 a day × 30 days > 450
    assert b.room(extra_users=5) == pytest.approx(450 - 15)   # 15 × 30 = 450 still fits a month
    b.model.pool = 20
    assert b.room() == pytest.approx(450 - 20)        # the pool already there is not refused


# --- the tracker: opening the day -----------------------------------------------------------------
def test_start_day_rolls_each_period_over_on_its_own_first_day():
    b = tracker(pool=0, budget__monthly_cap=1000, budget__yearly_cap=50000)
    for t, want in ((29, [7.0, 9.0]), (30, [0.0, 9.0]), (365, [7.0, 0.0]), (0, [0.0, 0.0]), (360, [0.0, 9.0])):
        b.spent = [7.0, 9.0]
        b.model.day = Day(t=t)
        b.start_day()
        assert b.spent == want, t


def _pop(stages, groups, joined):
    return SimpleNamespace(stage=np.array(stages, dtype=np.int8), group=np.array(groups, dtype=np.int64),
                           joined=np.array(joined, dtype=np.int64))


#: users 0..8: stages public..churned; 1-5 reachable in the pool; user 3 in no group; user 8 never joined
POP = _pop([1, 2, 3, 4, 5, 6, 7, 0, 1], [0, 1, -1, 2, 0, 1, 2, 0, 3], [0, 1, 2, 3, 4, 5, 6, 7])


def _opening(room: float, red_packet: bool = False, **over) -> BudgetTracker:
    b = BudgetTracker(model(pool=0, t=3, pop=POP, budget__monthly_cap=10000, **over))
    b.last_full.update({"red_packets": 999.0, "referral_rewards": 5.0, "rebates": 0.0, "hooks": 20.0, "ads": 50.0})
    b.model.day = Day(t=3, rebates_active=True, red_packet=red_packet)
    b.room = lambda extra_users=0: room
    b.start_day()
    return b


def test_nothing_is_cut_while_the_estimates_fit_the_room():
    for room in (75.0, 1e6):   # 5 + 0 + 20 + 50 (no red packet today: the stale 999 is not used)
        b = _opening(room)
        assert b.cut == () and not b.bound and b.model.day.rebates_active and not b.model.day.red_packet


def test_kinds_are_cut_in_priority_order_until_the_rest_fits():
    b = _opening(74.0)
    assert b.cut == ("referral_rewards",) and b.bound   # red packets cost nothing today: not cut
    assert b.model.day.rebates_active                  # referral rewards alone leave the rebates on
    assert _opening(70.0).cut == ("referral_rewards",)
    assert _opening(69.0).cut == ("referral_rewards", "hooks")   # rebates estimated at 0 are kept
    assert _opening(49.0).cut == ("referral_rewards", "hooks", "ads")
    assert _opening(0.0).cut == ("referral_rewards", "hooks", "ads")
    b = tracker(pool=0, t=3, budget__monthly_cap=10000)
    b.last_full.update({"referral_rewards": 0.5, "hooks": 0.4})
    b.room = lambda extra_users=0: 0.6
    b.start_day()
    assert b.cut == ("referral_rewards",)   # an estimate under 1 RMB is still spending


def test_with_a_negative_room_every_kind_stops():
    b = _opening(-1.0, red_packet=True, touchpoints__group_share=0.0)
    b2 = tracker(pool=0, t=3, budget__monthly_cap=10000)
    assert b.cut == CUT_ORDER and b.bound
    assert not b.model.day.rebates_active and not b.model.day.red_packet
    b2.model.day = Day(t=3)
    b2.room = lambda extra_users=0: -0.5
    b2.start_day()
    assert b2.cut == CUT_ORDER   # even kinds estimated at nothing
    b3 = _opening(-1.0, budget__include_ads=False)
    assert b3.cut == ("red_packets", "referral_rewards", "rebates", "hooks")   # ads are not the budget's


def test_a_red_packet_drop_costs_each_reachable_group_member():
    m = model(pool=7, t=0, pop=POP, strategy__red_packet_per_member=2.5, budget__monthly_cap=1000)
    b = BudgetTracker(m)
    assert b._red_packet_cost() == pytest.approx(2.5 * 4)   # users 0, 1, 3, 4 (2: no group; 5, 6: muted, gone)


def test_the_red_packet_estimate_is_today_s_members_and_it_is_cut_first():
    m = model(pool=0, t=3, pop=POP, strategy__red_packet_per_member=2.5, budget__monthly_cap=1000)
    b = BudgetTracker(m)
    b.last_full.update({"red_packets": 0.0, "hooks": 20.0})
    b.room = lambda extra_users=0: 25.0
    m.day = Day(t=3, rebates_active=True, red_packet=True)
    b.start_day()   # 10 + 20 > 25: the red packet goes first, and that is enough
    assert b.cut == ("red_packets",) and m.day.red_packet is False and m.day.rebates_active and b.bound
    b.room = lambda extra_users=0: 30.0
    m.day = Day(t=3, rebates_active=True, red_packet=True)
    b.start_day()
    assert b.cut == () and m.day.red_packet and not b.bound


def test_cutting_the_rebates_stops_the_red_packet_too():
    b = _opening(20.0, budget__include_ads=False)   # 5 + 0 + 20 > 20: the rewards are enough
    assert b.cut == ("referral_rewards",) and b.model.day.rebates_active
    b = tracker(pool=0, t=3, budget__monthly_cap=10000)
    b.last_full.update({"rebates": 30.0})
    b.model.day = Day(t=3, rebates_active=True)
    b.room = lambda extra_users=0: 10.0
    b.start_day()
    assert b.cut == ("rebates",) and b.model.day.rebates_active is False and b.model.day.red_packet is False


def test_an_inactive_tracker_clears_yesterday_s_cuts_and_changes_nothing():
    b = tracker(pool=3)
    b.cut, b.bound = ("ads",), True
    b.model.day = Day(t=0, rebates_active=True, red_packet=True)
    b.start_day()
    assert b.cut == () and not b.bound and b.model.day.rebates_active and b.model.day.red_packet
    b.check_red_packet()
    assert b.model.day.red_packet and not b.bound


def test_check_red_packet_drops_a_drop_the_room_cannot_pay_in_full():
    m = model(pool=0, t=0, pop=POP, strategy__red_packet_per_member=2.5, budget__monthly_cap=1000)
    b = BudgetTracker(m)
    for room, keeps in ((10.0, True), (9.99, False), (100.0, True)):
        m.day, b.bound = Day(t=0, red_packet=True), False
        b.room = lambda extra_users=0, r=room: r
        b.check_red_packet()
        assert m.day.red_packet is keeps and b.bound is (not keeps)
    m.day, b.bound = Day(t=0, red_packet=False), False
    b.room = lambda extra_users=0: -5.0
    b.check_red_packet()
    assert not b.bound   # no drop today: nothing to refuse


def test_stopped_names_today_s_cuts():
    b = tracker(budget__monthly_cap=1000)
    b.cut = ("red_packets", "hooks")
    assert b.stopped("hooks") and b.stopped("red_packets") and not b.stopped("ads")


# --- the tracker: the hard cap ---------------------------------------------------------------------
def _fixed_room(room: float) -> BudgetTracker:
    b = tracker(budget__monthly_cap=1000)
    b.room = lambda extra_users=0: room
    return b


@pytest.mark.parametrize(("room", "unit", "n", "want"), [
    (35.0, 10.0, 10, 3), (30.0, 10.0, 10, 3), (29.99, 10.0, 10, 2), (100.0, 10.0, 10, 10), (1e6, 10.0, 10, 10),
    (5.0, 10.0, 10, 0), (-5.0, 10.0, 10, 0), (0.3, 0.1, 10, 2), (0.7, 0.1, 10, 6), (3.0, 0.1, 100, 30),
    (1.0, 0.3, 4, 3), (1.0, 1 / 3, 4, 3), (0.6, 0.2, 3, 2), (5.0, 10.0, 1, 0), (10.0, 10.0, 1, 1),
    (10.0 - 1e-10, 10.0, 5, 0), (20.0 - 1e-10, 10.0, 5, 1),   # within the float slack of a unit: not paid
])
def test_affordable_is_the_most_units_whose_cost_fits_the_room(room, unit, n, want):
    b = _fixed_room(room)
    assert want == max(k for k in range(n + 1) if k == 0 or unit * k <= room)   # the rule, in floats
    assert b.affordable(unit, n) == want
    assert b.bound is (want < n)


def test_affordable_passes_free_units_and_empty_requests():
    b = _fixed_room(-100.0)
    assert b.affordable(0.0, 5) == 5 and b.affordable(-1.0, 5) == 5 and b.affordable(10.0, 0) == 0
    assert not b.bound


def test_grant_pays_what_the_room_allows():
    b = _fixed_room(25.0)
    assert b.grant(25.0) == 25.0 and not b.bound
    assert b.grant(10.0) == 10.0 and not b.bound
    assert b.grant(0.0) == 0.0 and b.grant(-3.0) == -3.0 and not b.bound
    assert b.grant(25.5) == 25.0 and b.bound
    b = _fixed_room(-4.0)
    assert b.grant(1.0) == 0.0 and b.bound


def test_admissible_is_the_most_joiners_whose_cost_and_running_cost_fit():
    for pool, k, per_join, cap, t in ((10, 50, 2.0, 1000, 0), (10, 50, 2.0, 1000, 20), (0, 7, 3.0, 500, 29),
                                      (100, 40, 0.0, 5000, 10), (0, 200, 1.0, 6000, 0), (0, 3, 100.0, 1000, 0)):
        b = tracker(pool=pool, t=t, budget__monthly_cap=cap)
        b.spent = [35.0]
        b.model.ledger["cost_hooks"] = 12.0
        want = max(j for j in range(k + 1) if j == 0 or per_join * j <= b.room(extra_users=j))
        assert b.admissible(k, per_join) == want, (pool, k, per_join, cap, t)
        assert b.bound is (want < k)


def test_admissible_counts_the_running_cost_of_the_joiners_for_the_days_left():
    b = tracker(pool=0, t=0, budget__monthly_cap=1000)    # 30 days left: 30 RMB per joiner + 5 to join
    assert b.admissible(100, 5.0) == 28 and b.bound          # 28 × 35 = 980, 29 × 35 = 1015
    b = tracker(pool=0, t=0, budget__monthly_cap=1000)
    assert b.admissible(28, 5.0) == 28 and not b.bound
    b = tracker(pool=0, t=0, budget__monthly_cap=1050)    # 30 × 35 = 1050: an exact fit joins
    assert b.admissible(100, 5.0) == 30 and b.bound
    b = tracker(pool=0, t=0, budget__monthly_cap=1050)
    assert b.admissible(30, 5.0) == 30 and not b.bound
    assert b.admissible(0, 5.0) == 0 and not b.bound
    b = tracker(pool=0, t=10, budget__monthly_cap=1000)   # 40 × (5 + 20) would fit this month, but
    assert b.admissible(100, 5.0) == 33 and b.bound          # a whole month of 34 users costs 1020
    b = tracker(pool=30, t=0, budget__monthly_cap=1000)      # 33 users a month fit the cap, 34 do not
    assert b.admissible(10, 0.0) == 3 and b.bound


def test_admissible_with_no_room_admits_nobody():
    b = tracker(pool=0, t=0, budget__monthly_cap=1000)
    b.spent = [1001.0]
    assert b.admissible(0, 5.0) == 0 and not b.bound   # nobody asked: the budget did not bind
    assert b.admissible(5, 0.0) == 0 and b.admissible(1, 0.0) == 0 and b.bound


# --- the tracker: closing the day ------------------------------------------------------------------
def test_end_day_adds_today_to_every_period_and_records_what_is_left():
    b = tracker(pool=0, t=3, budget__monthly_cap=1000, budget__yearly_cap=5000)
    b.spent = [100.0, 4500.0]
    led = b.model.ledger
    led.update({"cost_ads": 10.0, "cost_hooks": 20.0, "cost_rebates": 30.0, RED_PACKET_KEY: 8.0,
                "cost_referrals": 40.0, "cost_staff": 5.0, "cost_commission": 1e6})
    b.end_day()
    assert b.spent == [205.0, 4605.0]
    assert led["budget_left"] == pytest.approx(395.0) and led["budget_bound"] == 0.0
    assert b.last_full == {"red_packets": 0.0, "ads": 10.0, "hooks": 20.0, "rebates": 22.0, "referral_rewards": 40.0}
    b.spent = [100.0, 4900.0]
    b.end_day()
    assert led["budget_left"] == pytest.approx(5000 - 5005.0)


def test_a_bound_day_is_flagged_and_does_not_become_the_estimate():
    b = tracker(pool=0, t=3, budget__monthly_cap=1000)
    b.last_full.update({"ads": 1.0, "hooks": 2.0, "rebates": 3.0, "referral_rewards": 4.0})
    b.bound = True
    b.model.ledger.update({"cost_ads": 10.0, "cost_hooks": 20.0})
    b.end_day()
    assert b.model.ledger["budget_bound"] == 1.0 and b.spent == [30.0]
    assert b.last_full == {"red_packets": 0.0, "ads": 1.0, "hooks": 2.0, "rebates": 3.0, "referral_rewards": 4.0}


def test_end_day_without_caps_records_the_flag_and_no_budget_left():
    b = tracker(pool=0)
    b.model.ledger["cost_ads"] = 10.0
    b.end_day()
    assert b.model.ledger["budget_bound"] == 0.0 and math.isnan(b.model.ledger["budget_left"])
    assert b.last_full == dict.fromkeys(CUT_ORDER, 0.0)


# --- the rule through a whole run -----------------------------------------------------------------
def test_a_run_under_a_monthly_cap_never_spends_more_than_the_cap():
    from siyu_harness import tiny

    import sim

    sc = tiny(horizon_days=60, public__ad_reach_per_day=0.05, public__cost_per_exposure=2.0,
              budget__monthly_cap=600.0, **{k.replace(".", "__"): v for k, v in ONE_PER_USER.items()})
    free = sim.simulate(sc.with_overrides({"budget.monthly_cap": 0.0}), seed=1).daily
    capped = sim.simulate(sc, seed=1).daily
    assert budget.max_overspend(free, sc.budget) > 0          # the cap matters here
    assert budget.max_overspend(capped, sc.budget) <= 1e-9
    assert capped["budget_bound"].max() == 1.0 and (capped["budget_left"] >= -1e-9).all()
