"""Rules at their edges, through the functions that book the day: the budget cap's hard cap on
cash back, and the other cases the mutation runs (docs/MODEL.md §8.1) found untested."""

from __future__ import annotations

import math

import numpy as np
import pytest
from siyu_harness import joined, new_day, tiny

from sim.mechanisms import acquisition, pool
from sim.mechanisms.budget import RED_PACKET_KEY
from sim.model import SiyuModel
from sim.population import NEVER, Cause, Event, Source, Stage


def test_cash_back_is_paid_only_to_the_buyers_the_budget_room_pays_for(monkeypatch):
    sc = tiny(product__order_value=100.0, strategy__cashback_rate=0.1, budget__monthly_cap=1e6)
    m = joined(sc, 20, trust=0.5)
    new_day(m, 4, rebates_active=True)
    monkeypatch.setattr(m.budget, "room", lambda extra_users=0: 35.0)  # room for 3 of 10 RMB each
    buyers = np.arange(2, 12, dtype=np.int64)
    m.record_orders(buyers, discount=0.0)
    assert m.ledger["cost_rebates"] == pytest.approx(30.0)
    assert m.ledger["private_purchases"] == 10 and m.budget.bound
    assert (m.pop.last_reward[2:5] == 4).all() and (m.pop.last_reward[5:12] == NEVER).all()
    assert (m.pop.events[2:5] & Event.REWARDED).all() and not (m.pop.events[5:12] & Event.REWARDED).any()


def test_no_partner_commission_on_a_day_the_budget_stopped_referral_rewards():
    sc = tiny(strategy__partner_program=True, strategy__partner_commission=0.25, product__order_value=80.0)
    m = joined(sc, 10, trust=0.5)
    m.pop.stage[0] = Stage.PARTNER
    m.pop.referrer[2:5] = 0
    m.budget.cut = ("referral_rewards",)   # the budget rule's cut for today
    m.record_orders(np.arange(2, 9, dtype=np.int64), discount=0.0)
    assert m.ledger["cost_referrals"] == 0 and m.ledger["private_purchases"] == 7
    m.budget.cut = ("red_packets",)        # another kind's cut leaves commissions alone
    m.record_orders(np.arange(2, 9, dtype=np.int64), discount=0.0)
    assert m.ledger["cost_referrals"] == pytest.approx(0.25 * 80.0 * 3)


def test_leaves_after_failed_orders_are_booked_under_their_cause():
    sc = tiny(fulfilment__failure_rate=1.0, trust__failure_loss=0.8)
    m = joined(sc, 200, trust=0.0)
    new_day(m, 6)
    m.record_orders(np.arange(200, dtype=np.int64), discount=0.0)
    gone = int((m.pop.stage[:200] == Stage.CHURNED).sum())
    assert 120 < gone < 200   # leaves with 0.8 × (1 − trust) each
    assert m.ledger["leaves_failed_order"] == gone == m.ledger["leaves"]
    assert (m.pop.leave_cause[:200][m.pop.stage[:200] == Stage.CHURNED] == Cause.FAILED_ORDER).all()


# --- acquisition ---------------------------------------------------------------------------------
def test_still_public_keeps_each_public_id_once_whatever_the_smallest():
    stage = np.zeros(10, dtype=np.int8)
    stage[4] = Stage.FOLLOWER
    got = acquisition._still_public(np.array([3, 1, 1, 4, 9, 3], dtype=np.int64), stage)
    assert got.tolist() == [1, 3, 9]
    assert acquisition._still_public(np.array([0, 0], dtype=np.int64), stage).tolist() == [0]


@pytest.mark.parametrize(("paid", "organic"), [([1, 5], [0, 5, 7]), ([2], [2]), ([0, 3, 6], [3, 6, 8])])
def test_exposure_merges_paid_and_organic_reach_each_user_once(paid, organic):
    m = joined(tiny(), 0)
    pop = m.pop
    exposed, p = acquisition._exposure(np.array(paid, dtype=np.int64), np.array(organic, dtype=np.int64), 0,
                                       pop.events, pop.last_purchase, pop.cycle, pop.need, pop.purchases,
                                       0.1, 0.0, 1.0)
    assert exposed.tolist() == sorted(set(paid) | set(organic)) and len(p) == len(exposed)
    assert (pop.events[exposed] & Event.EXPOSED).all()


def _acquire_day(monkeypatch=None, room=None, cut=(), **over):
    sc = tiny(public__ad_reach_per_day=0.5, public__cost_per_exposure=2.0, public__cost_growth_per_year=0.0,
              budget__monthly_cap=1e6, **over)
    m = joined(sc, 0)
    new_day(m, 0)
    m.budget.cut = cut
    if room is not None:
        monkeypatch.setattr(m.budget, "room", lambda extra_users=0: room)
    acquisition.acquire(m)
    return m, int(np.count_nonzero(m.pop.events & Event.EXPOSED))


def test_no_paid_exposure_on_a_day_the_budget_stopped_ads():
    m, exposed = _acquire_day()
    assert exposed > 100 and m.ledger["cost_ads"] == pytest.approx(2.0 * exposed)
    m, exposed = _acquire_day(cut=("ads",))
    assert exposed == 0 and m.ledger["cost_ads"] == 0 and m.ledger["acq_cost"] == 0
    m, exposed = _acquire_day(cut=("hooks",))   # another kind's cut leaves the ads alone
    assert exposed > 100


def test_paid_exposures_are_cut_to_the_room_only_when_ads_count_against_the_cap(monkeypatch):
    m, exposed = _acquire_day(monkeypatch, room=21.0)  # room for 10 exposures of 2 RMB
    assert exposed == 10 and m.ledger["cost_ads"] == pytest.approx(20.0) and m.budget.bound
    m, exposed = _acquire_day(monkeypatch, room=21.0, budget__include_ads=False)  # a separate ad budget
    assert exposed > 100 and m.ledger["cost_ads"] == pytest.approx(2.0 * exposed) and not m.budget.bound


# --- the morning pass ----------------------------------------------------------------------------
def _quiet_morning(**kw):
    return tiny(mechanisms__purchase=False, mechanisms__incentive_churn=False, **kw)


def test_clean_up_leaves_are_booked_under_their_cause_one_each():
    sc = _quiet_morning(fatigue__dormant_cleanup_rate=1.0)
    m = joined(sc, 30, trust=0.5)
    m.pop.stage[:7] = Stage.DORMANT
    new_day(m, 3)
    pool.morning(m)
    assert m.ledger["leaves_cleanup"] == 7 == m.ledger["leaves"]
    assert m.ledger["leaves_background"] == m.ledger["leaves_fatigue"] == m.ledger["leaves_incentive"] == 0
    assert (m.pop.leave_cause[:7] == Cause.CLEANUP).all()


def test_a_gone_user_still_in_the_pool_s_index_is_skipped_and_the_rest_are_served():
    sc = _quiet_morning(strategy__content_posts_per_day=2.0)
    m = joined(sc, 10, trust=0.5)
    m.pop.stage[[0, 4]] = Stage.CHURNED   # left today, dropped from the index only in the evening
    before = m.pop.messages[:10].copy()
    new_day(m, 2)
    pool.morning(m)
    served = np.setdiff1d(np.arange(10), [0, 4])
    assert list(m.day.reach) == list(served)
    assert (m.pop.messages[served] > before[served]).all() and (m.pop.messages[[0, 4]] == before[[0, 4]]).all()


def _rewarded(n, t, paid_on, **kw):
    """``n`` pure deal-seekers without trust, last paid cash on day ``paid_on``, on the morning of day ``t``."""
    sc = tiny(mechanisms__purchase=False, mechanisms__trust=False, mechanisms__fatigue=False,
              fatigue__incentive_leave_rate=1.0, fatigue__incentive_memory_days=10.0,
              population__n_users=max(n, 400), **kw)
    m = joined(sc, n, trust=0.0)
    m.pop.deal[:n] = 1.0
    m.pop.last_reward[:n] = paid_on
    new_day(m, t)
    pool.morning(m)
    return m, m.pop.stage[:n] == Stage.CHURNED


def _four_sd(p, n):
    return 4.0 * math.sqrt(n * p * (1 - p)) + 2.0


def test_lost_incentive_leaves_count_the_days_since_the_last_cash_and_are_booked_as_such():
    m, gone = _rewarded(400, t=10, paid_on=5)        # 5 days: hazard 1 − e^(−5/10)
    p = 1 - math.exp(-(1 - math.exp(-0.5)))
    assert abs(gone.sum() - 400 * p) < _four_sd(p, 400)
    assert (m.pop.leave_cause[:400][gone] == Cause.INCENTIVE).all()
    assert m.ledger["leaves_incentive"] == gone.sum() == m.ledger["leaves"]
    assert m.ledger["leaves_fatigue"] == m.ledger["leaves_background"] == 0


def test_background_and_lost_incentive_hazards_add_and_each_names_its_share_of_the_leaves():
    m, gone = _rewarded(1000, t=10, paid_on=5, fatigue__base_churn_per_year=1.0)  # background hazard 1 a day
    incentive = 1 - math.exp(-0.5)
    p = 1 - math.exp(-(1.0 + incentive))
    assert abs(gone.sum() - 1000 * p) < _four_sd(p, 1000)
    background = int((m.pop.leave_cause[:1000][gone] == Cause.BACKGROUND).sum())
    share = 1.0 / (1.0 + incentive)                  # each cause with probability h_k / hazard
    assert abs(background - gone.sum() * share) < _four_sd(share, gone.sum())
    assert m.ledger["leaves_background"] == background
    assert m.ledger["leaves_incentive"] == gone.sum() - background


def test_red_packets_are_booked_as_rebates_and_as_the_budget_s_red_packet_spending():
    sc = _quiet_morning(touchpoints__group_share=1.0, strategy__red_packet_per_member=2.5)
    m = joined(sc, 12, trust=0.5)
    m.pop.group[8:12] = -1             # friends only: no packet
    new_day(m, 8, red_packet=True)
    pool.morning(m)
    assert m.ledger["cost_rebates"] == pytest.approx(2.5 * 8)
    assert m.ledger[RED_PACKET_KEY] == pytest.approx(2.5 * 8)   # what the budget rule learns a drop costs


# --- the day's row -------------------------------------------------------------------------------
def test_a_day_without_acquisition_books_no_acquisition_cost():
    sc = tiny(shocks=[{"start_day": 1, "days": 1}])   # the public platforms closed on day 1
    m = SiyuModel(sc.with_overrides({"public.ad_reach_per_day": 0.2}), seed=0)
    for _ in range(3):
        m.step()
    d = m.daily()
    assert d["public_open"].tolist() == [1.0, 0.0, 1.0]
    assert d["acq_cost"].iloc[1] == 0.0 and d["acq_cost"].iloc[0] > 0 and d["acq_cost"].iloc[2] > 0
    off = SiyuModel(tiny(mechanisms__acquisition=False), seed=0)
    off.step()
    assert off.daily()["acq_cost"].tolist() == [0.0]


# --- plans in phases -----------------------------------------------------------------------------
def test_each_phase_switches_on_its_first_day_cumulatively_and_rebuilds_the_rules():
    from sim.loader import validate_dict
    from sim.scenario import Phase

    base = tiny(horizon_days=6, strategy__content_posts_per_day=0.5, strategy__ad_posts_per_day=0.5)
    plan = validate_dict(base.model_copy(update={"phases": [
        Phase(from_day=2, strategy={"content_posts_per_day": 2.0}),
        Phase(from_day=4, strategy={"ad_posts_per_day": 3.0})]}).model_dump(mode="json"))
    m = SiyuModel(plan, seed=0)
    seen = []
    for _ in range(6):
        m.step()
        st = m.scenario.strategy
        seen.append((m.phase, st.content_posts_per_day, st.ad_posts_per_day))
        assert m.rules == pool.rules_for(m.scenario)
    assert seen == [(0, 0.5, 0.5)] * 2 + [(1, 2.0, 0.5)] * 2 + [(2, 2.0, 3.0)] * 2
    assert m.daily()["phase"].tolist() == [0, 0, 1, 1, 2, 2]
    assert m.plan_scenario is plan


def test_evening_promotes_this_morning_s_reachable_and_passes_the_pool_users_after_them():
    m = joined(tiny(), 10, trust=0.5)
    m.pop.purchases[:10] = 1
    m.pop.stage[6:10] = Stage.DORMANT     # muted, after the last reachable user in the pool's order
    new_day(m, 1)
    m.day.reach = np.arange(6, dtype=np.int64)
    counts, trust_sum, _ = pool.evening(m)
    assert (m.pop.stage[:6] == Stage.CUSTOMER).all() and (m.pop.stage[6:10] == Stage.DORMANT).all()
    assert counts[Stage.CUSTOMER] == 6 and counts[Stage.DORMANT] == 4 and trust_sum == pytest.approx(5.0, rel=1e-6)


# --- fatigue: the competing causes of a leave are half-open intervals ----------------------------
def test_a_leave_on_the_boundary_of_two_causes_belongs_to_the_later_one():
    from sim.mechanisms.fatigue import leave_cause

    bg, fat, inc = int(Cause.BACKGROUND), int(Cause.FATIGUE), int(Cause.INCENTIVE)
    assert leave_cause(0.0, 0.25, 0.5, bg, fat, inc) == bg
    assert leave_cause(0.25, 0.25, 0.5, bg, fat, inc) == fat      # [0, 0.25) is background churn
    assert leave_cause(0.7499, 0.25, 0.5, bg, fat, inc) == fat
    assert leave_cause(0.75, 0.25, 0.5, bg, fat, inc) == inc      # [0.25, 0.75) is fatigue overload
    assert leave_cause(0.0, 0.0, 0.5, bg, fat, inc) == fat        # no background churn: never its cause
    assert leave_cause(0.25, 0.25, 0.0, bg, fat, inc) == inc      # no overload: never its cause


# --- the Generator handle of the compiled rules (sim.mechanisms.streams) -------------------------
def test_a_generator_handle_holds_its_bit_generator_s_addresses_once_per_generator(monkeypatch):
    from numba.core import config

    from sim.mechanisms import streams

    rng, other = np.random.default_rng(1), np.random.default_rng(2)
    monkeypatch.setattr(config, "DISABLE_JIT", True)
    assert streams.handle(rng) is rng and streams.as_generator(rng) is rng   # pure Python: the Generator itself
    monkeypatch.setattr(config, "DISABLE_JIT", False)
    monkeypatch.setattr(streams, "_LAST", (None, None))
    h = streams.handle(rng)
    ct = rng.bit_generator.ctypes
    assert h.dtype == np.uint64 and h.shape == (5,)
    assert int(h[0]) == ct.state.value and int(h[4]) == ct.state_address
    assert streams.handle(rng) is h                                  # asked again: the same handle
    h2 = streams.handle(other)
    assert h2 is not h and int(h2[4]) == other.bit_generator.ctypes.state_address
    assert streams.handle(rng) is not h2 and int(streams.handle(rng)[4]) == ct.state_address


# --- trust after orders (sim.mechanisms.trust.after_orders) ----------------------------------------
def test_orders_move_the_buyers_trust_by_the_configured_gain_and_loss():
    from sim.mechanisms import trust as trust_rule

    trust = np.full(6, 0.5, dtype=np.float32)
    trust_rule.after_orders(trust, np.array([1, 3]), np.array([2]), 0.2, 1.0 - 0.4)
    assert trust.tolist() == pytest.approx([0.5, 0.6, 0.3, 0.6, 0.5, 0.5])
    assert trust.dtype == np.float32
    trust_rule.after_orders(trust, np.array([], dtype=np.int64), np.array([], dtype=np.int64), 0.2, 0.6)
    assert trust.tolist() == pytest.approx([0.5, 0.6, 0.3, 0.6, 0.5, 0.5])   # no orders: nothing moves


# --- purchase booking: one buyer, platform orders at a discount ------------------------------------
def test_a_single_failed_order_is_booked_and_its_buyer_leaves():
    sc = tiny(fulfilment__failure_rate=1.0, trust__failure_loss=1.0)
    m = joined(sc, 3, trust=0.0)
    new_day(m, 2)
    m.record_orders(np.array([1], dtype=np.int64), discount=0.0)
    assert m.ledger["private_purchases"] == 1 and m.ledger["failures"] == 1
    assert m.ledger["leaves"] == 1 == m.ledger["leaves_failed_order"]
    assert m.pop.stage[1] == Stage.CHURNED and m.pop.leave_cause[1] == Cause.FAILED_ORDER


# --- the fused morning: cash back marks and the budget's cap ---------------------------------------
def _buying_morning(**over):
    sc = tiny(mechanisms__trust=False, mechanisms__fatigue=False, mechanisms__incentive_churn=False,
              strategy__ad_posts_per_day=1.0, strategy__content_posts_per_day=2.0, product__purchase_cycle_days=20.0,
              purchase__trust_exponent=3.0, purchase__conversion_floor=0.0, purchase__conversion_ceiling=1.0,
              product__order_value=100.0, strategy__cashback_rate=0.1, **over)
    m = joined(sc, 400, trust=0.9)
    m.pop.last_purchase[:400] = -10
    return m


def test_a_morning_without_cash_back_marks_no_buyer_as_rewarded():
    m = _buying_morning()
    new_day(m, 8, rebates_active=False)
    pool.morning(m)
    assert m.ledger["private_purchases"] > 5 and m.ledger["cost_rebates"] == 0
    assert (m.pop.last_reward[:400] == NEVER).all() and not (m.pop.events[:400] & Event.REWARDED).any()
    m = _buying_morning()
    new_day(m, 8, rebates_active=True)
    pool.morning(m)
    paid = m.pop.last_reward[:400] == 8
    assert paid.sum() == m.ledger["private_purchases"] > 5
    assert m.ledger["cost_rebates"] == pytest.approx(10.0 * paid.sum())


def test_a_morning_under_a_budget_cap_pays_cash_back_only_as_far_as_the_room(monkeypatch):
    m = _buying_morning(budget__monthly_cap=1e6)
    new_day(m, 8, rebates_active=True)
    monkeypatch.setattr(m.budget, "room", lambda extra_users=0: 35.0)   # room for 3 of 10 RMB each
    pool.morning(m)
    assert m.ledger["private_purchases"] > 5
    assert m.ledger["cost_rebates"] == pytest.approx(30.0) and (m.pop.last_reward[:400] == 8).sum() == 3


# --- acquisition: the linear-time id sort (sim.mechanisms.acquisition.sort_ids) ------------------
@pytest.mark.parametrize(("n", "ids"), [(1, [0]), (2, [1, 0]), (3, [2, 2, 0, 1]), (1024, [1023, 0, 512, 511]),
                                        (1025, [1024, 1023, 1]), (5, [4, 4, 3]), (10**6, [999_999]),
                                        (7, [6, 5, 4, 3, 2, 1, 0, 6]), (4096, [4095] * 3 + [0] * 3)])
def test_sort_ids_sorts_like_numpy_at_the_edges(n, ids):
    x = np.array(ids, dtype=np.int64)
    assert acquisition.sort_ids(x, n).tolist() == sorted(ids)
    assert acquisition.sort_ids(np.empty(0, dtype=np.int64), n).tolist() == []


def test_sort_ids_sorts_random_draws_like_numpy():
    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 17, 64, 100, 1000, 4097, 20_000):
        for k in (1, 2, 5, 50, 300):
            x = np.r_[rng.integers(0, n, k), [n - 1, 0]].astype(np.int64)
            assert acquisition.sort_ids(x, n).tolist() == np.sort(x).tolist(), (n, k)


def test_the_cascade_of_a_single_sharer_on_a_network_is_admitted():
    sc = tiny(network__kind="random", network__mean_degree=8.0, referral__share_rate=1.0,
              referral__reward_share_lift=4.0, strategy__referral_reward=20.0, referral__join_prob=1.0)
    m = joined(sc, 1, trust=1.0)
    m.pop.purchases[0] = 3
    new_day(m, 4, rebates_active=True)
    m.day.reach = np.array([0], dtype=np.int64)   # one reachable user, who shares
    pool.share(m)
    assert m.ledger["referrals"] == 1 and m.pop.events[0] & Event.SHARED
    assert m.ledger["referral_joins"] > 0 and m.ledger["referral_joins"] == m.pop.referrals[0]


def test_hook_joiners_have_no_referrer_and_start_at_the_hook_s_initial_trust():
    sc = tiny(public__organic_reach_per_day=0.2, strategy__hooks__content__enabled=True,
              strategy__hooks__content__take_up=1.0, strategy__hooks__content_reach_per_day=0.2,
              trust__initial=0.2, trust__initial_content=0.35, trust__endorsement=0.3, strategy__entry_threshold=0.0)
    m = joined(sc, 0)
    new_day(m, 0)
    acquisition.acquire(m)
    got = m.pop.joined
    assert m.ledger["joins_content"] == len(got) > 10
    assert (m.pop.referrer[got] == -1).all() and (m.pop.source[got] == int(Source.CONTENT)).all()
    np.testing.assert_allclose(m.pop.trust[got], 0.35, rtol=1e-6)   # no endorsement without a referrer
