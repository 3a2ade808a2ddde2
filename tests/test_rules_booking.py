"""Each rule through the function that books the day (``purchase.book``, ``pool.morning``,
``pool.share``, ``referral.spread``, ``pool.evening``, ``community.update_activity``), on
users set up by hand, with parameters away from their defaults."""

from __future__ import annotations

import math

import numpy as np
import pytest
from siyu_harness import each, joined, new_day, tiny

from sim.mechanisms import community, fatigue, pool, purchase, referral
from sim.population import NEVER, Event, Stage

IDS = np.arange(40, dtype=np.int64)


def _four_sd(p: np.ndarray) -> float:
    return 4.0 * math.sqrt(float((p * (1 - p)).sum())) + 2.0


# --- orders --------------------------------------------------------------------------------------
def test_a_failed_order_never_first_gets_the_good_order_gain():
    sc = tiny(fulfilment__failure_rate=1.0, trust__purchase_gain=0.3, trust__failure_loss=0.5)
    m = joined(sc, 400, trust=0.6)
    new_day(m, 5)
    buyers = np.arange(400, dtype=np.int64)
    m.record_orders(buyers, discount=0.0)
    assert m.ledger["failures"] == 400
    left = m.pop.stage[buyers] == Stage.CHURNED
    kept = buyers[~left]
    np.testing.assert_allclose(m.pop.trust[kept], 0.3, rtol=1e-6)  # 0.6 × (1 − 0.5), no gain first
    # the buyer leaves with failure_loss × (1 − trust after the loss) = 0.5 × 0.7 = 0.35
    assert abs(left.sum() - 140) < _four_sd(np.full(400, 0.35))
    assert m.ledger["leaves"] == left.sum() and m.n_churned() == left.sum()
    assert (m.pop.leave_day[buyers[left]] == 5).all()
    assert (m.pop.events[buyers] & Event.FAILED).all()


def test_a_good_order_gains_trust_and_a_failed_one_loses_it_on_the_same_day():
    sc = tiny(fulfilment__failure_rate=0.5, trust__purchase_gain=0.2, trust__failure_loss=0.4)
    m = joined(sc, 400, trust=0.5)
    new_day(m, 3)
    buyers = np.arange(400, dtype=np.int64)
    m.record_orders(buyers, discount=0.0)
    failed = (m.pop.events[buyers] & Event.FAILED) > 0
    assert m.ledger["failures"] == failed.sum() and 120 < failed.sum() < 280
    np.testing.assert_allclose(m.pop.trust[buyers[~failed]], 0.5 + 0.2 * 0.5, rtol=1e-6)
    np.testing.assert_allclose(m.pop.trust[buyers[failed]], 0.3, rtol=1e-6)


def test_orders_do_not_move_trust_with_the_trust_mechanism_off():
    sc = tiny(fulfilment__failure_rate=0.5, mechanisms__trust=False)
    m = joined(sc, 100, trust=0.5)
    m.record_orders(np.arange(100, dtype=np.int64), discount=0.0)
    assert (m.pop.trust[:100] == 0.5).all()


def test_no_failures_with_the_failure_mechanism_off():
    sc = tiny(fulfilment__failure_rate=1.0, mechanisms__fulfilment_failures=False, fulfilment__capacity_per_day=10.0)
    m = joined(sc, 100, trust=0.5)
    m.capacity_left = 0
    m.record_orders(np.arange(100, dtype=np.int64), discount=0.0)
    assert m.ledger["failures"] == 0 and (m.pop.trust[:100] > 0.5).all()


def test_capacity_fails_exactly_the_excess_and_is_used_up():
    sc = tiny(population__n_users=1000, fulfilment__capacity_per_day=60.0)  # 6 orders a day at 1,000 users
    m = joined(sc, 100, trust=0.5)
    m.capacity_left = 6
    m.record_orders(np.arange(4, dtype=np.int64), discount=0.0)
    assert m.ledger["failures"] == 0 and m.capacity_left == 2
    m.record_orders(np.arange(10, 15, dtype=np.int64), discount=0.0)
    assert m.ledger["failures"] == 3 and m.capacity_left == 0
    m.record_orders(np.arange(20, 23, dtype=np.int64), discount=0.0)
    assert m.ledger["failures"] == 6 and m.capacity_left == 0
    m.step()  # a new day brings new capacity: int(60 × 1000 / 10,000)
    assert m.capacity_left <= 6


def test_capacity_is_reset_each_day_from_the_population():
    sc = tiny(population__n_users=2000, fulfilment__capacity_per_day=15.0)
    m = joined(sc, 0)
    m.step()
    assert m.capacity_left == 3  # int(15 × 2000 / 10,000), no orders
    m2 = joined(tiny(population__n_users=2000), 0)
    m2.step()
    assert m2.capacity_left == 0  # unlimited: not tracked


def test_private_order_money_and_counters():
    sc = tiny(product__order_value=50.0, product__margin_rate=0.45, strategy__cashback_rate=0.1)
    m = joined(sc, 20, trust=0.5)
    m.pop.purchases[:5] = 2
    new_day(m, 7, rebates_active=True)
    buyers = np.arange(10, dtype=np.int64)
    m.record_orders(buyers, discount=0.2)
    led = m.ledger
    assert led["purchases"] == 10 and led["private_purchases"] == 10 and led["platform_purchases"] == 0
    assert led["first_purchases"] == 5
    assert led["gmv"] == pytest.approx(400.0) and led["private_gmv"] == pytest.approx(400.0)
    assert led["margin"] == pytest.approx(50.0 * 0.25 * 10)
    assert led["cost_rebates"] == pytest.approx(40.0)
    assert led["cost_commission"] == 0 and led["platform_gmv"] == 0
    assert list(m.pop.purchases[:10]) == [3] * 5 + [1] * 5
    assert (m.pop.private_purchases[:10] == 1).all() and (m.pop.last_purchase[:10] == 7).all()
    assert (m.pop.spend[:10] == pytest.approx(40.0)) and (m.pop.last_reward[:10] == 7).all()
    assert (m.pop.events[:10] & Event.BOUGHT).all() and (m.pop.events[:10] & Event.REWARDED).all()
    assert m.pop.purchases[10] == 0 and m.pop.last_reward[10] == NEVER


def test_no_cash_back_once_rebates_stop():
    sc = tiny(strategy__cashback_rate=0.3)
    m = joined(sc, 10, trust=0.5)
    new_day(m, 7, rebates_active=False)
    m.record_orders(np.arange(10, dtype=np.int64), discount=0.0)
    assert m.ledger["cost_rebates"] == 0 and (m.pop.last_reward[:10] == NEVER).all()


def test_platform_orders_pay_commission_and_build_no_relationship():
    sc = tiny(product__order_value=40.0, product__margin_rate=0.5, public__platform_commission=0.2,
              strategy__cashback_rate=0.2, trust__purchase_gain=0.3)
    m = joined(sc, 0)
    new_day(m, 2, rebates_active=True)
    buyers = np.arange(100, 110, dtype=np.int64)
    m.pop.purchases[100] = 1
    from sim.mechanisms import acquisition
    from sim.mechanisms import purchase as purchase_rule

    pop = m.pop  # as acquisition books the day's platform buyers: their writes, then the books
    n_first = purchase_rule._count_orders(buyers, 2, 40.0, False, pop.purchases, pop.last_purchase, pop.spend,
                                          pop.private_purchases, pop.events)
    acquisition._book_platform_orders(m.ledger.values, acquisition.params_for(sc).values, len(buyers), n_first)
    led = m.ledger
    assert led["platform_purchases"] == 10 and led["private_purchases"] == 0 and led["purchases"] == 10
    assert led["platform_gmv"] == pytest.approx(400.0) and led["gmv"] == pytest.approx(400.0)
    assert led["cost_commission"] == pytest.approx(80.0) and led["margin"] == pytest.approx(200.0)
    assert led["first_purchases"] == 9 and led["cost_rebates"] == 0 and led["failures"] == 0
    assert (m.pop.trust[buyers] == 0).all() and (m.pop.private_purchases[buyers] == 0).all()
    assert (m.pop.events[buyers] & Event.PLATFORM_BUY).all() and not (m.pop.events[buyers] & Event.BOUGHT).any()


def test_partner_commission_is_paid_on_orders_of_users_a_partner_brought():
    sc = tiny(strategy__partner_program=True, strategy__partner_commission=0.25, product__order_value=80.0)
    m = joined(sc, 10, trust=0.5)
    m.pop.stage[0] = Stage.PARTNER
    m.pop.stage[1] = Stage.REPEAT
    m.pop.referrer[2:5] = 0   # brought by the partner
    m.pop.referrer[5:7] = 1   # brought by a non-partner
    m.record_orders(np.arange(2, 9, dtype=np.int64), discount=0.5)
    assert m.ledger["cost_referrals"] == pytest.approx(0.25 * 40.0 * 3)
    off = joined(tiny(strategy__partner_commission=0.25), 10, trust=0.5)
    off.pop.stage[0] = Stage.PARTNER
    off.pop.referrer[2:5] = 0
    off.record_orders(np.arange(2, 9, dtype=np.int64), discount=0.0)
    assert off.ledger["cost_referrals"] == 0


# --- the morning pass ----------------------------------------------------------------------------
def _quiet_morning(**kw):
    return tiny(mechanisms__purchase=False, mechanisms__incentive_churn=False, **kw)


def test_morning_messages_fatigue_and_trust_follow_the_rules():
    sc = _quiet_morning(strategy__content_posts_per_day=2.0, strategy__ad_posts_per_day=3.0,
                        strategy__ads_targeted=True, fatigue__targeted_weight=0.4, fatigue__content_weight=0.5,
                        fatigue__half_life_days=3.0, fatigue__mute_rate=0.0, fatigue__leave_rate=0.0,
                        trust__content_gain=0.02, trust__consistency_gain=0.01, trust__familiarity_gain=0.04,
                        trust__hard_sell_loss=0.2, strategy__exaggeration=0.5, trust__exaggeration_loss=0.1,
                        community__activity_tolerance_bonus=2.0)
    m = joined(sc, 40, trust=0.4)
    m.pop.fatigue[:40] = np.linspace(0.0, 30.0, 40)
    f0 = m.pop.fatigue[:40].astype(float).copy()
    new_day(m, 4, event=True)
    pool.morning(m)
    r = fatigue.retention(3.0)
    deal, tol = m.pop.deal[:40].astype(float), m.pop.tolerance[:40].astype(float)
    f1 = f0 * r + each(fatigue.added)(3.0, 1.0, 2.0, deal, 0.4, 0.5)
    np.testing.assert_allclose(m.pop.fatigue[:40], f1, rtol=1e-5)
    ratio = f1 / each(fatigue.threshold)(tol, 0.0, r, 2.0)
    want = [pool.trust.updated(0.4, 2.0, d, False, True, 0.25, max(0.0, q - 1.0), 0.5, 0.02, 0.05, 0.01, 0.04, 0.2, 0.1)
            for d, q in zip(deal, ratio, strict=True)]
    np.testing.assert_allclose(m.pop.trust[:40], want, rtol=1e-5)
    assert m.ledger["messages_sent"] == pytest.approx(40 * 6.0)
    assert (m.pop.messages[:40] == 6.0).all()
    assert (m.pop.events[:40] & Event.PROMO).all()
    assert list(m.day.reach) == list(range(40))


def test_morning_group_members_use_their_group_activity():
    sc = _quiet_morning(touchpoints__group_share=1.0, community__initial_activity=0.8,
                        strategy__content_posts_per_day=1.0, trust__familiarity_gain=0.05,
                        community__activity_tolerance_bonus=3.0, fatigue__mute_rate=0.0, fatigue__leave_rate=0.0)
    m = joined(sc, 30, trust=0.2)
    assert (m.pop.group[:30] == 0).all()
    m.pop.fatigue[:30] = 5.0
    new_day(m, 1)
    pool.morning(m)
    r = fatigue.retention(sc.fatigue.half_life_days)
    deal, tol = m.pop.deal[:30].astype(float), m.pop.tolerance[:30].astype(float)
    f1 = 5.0 * r + each(fatigue.added)(0.0, 0.0, 1.0, deal, 1.0, sc.fatigue.content_weight)
    ratio = f1 / each(fatigue.threshold)(tol, 0.8, r, 3.0)
    tr = sc.trust
    want = [pool.trust.updated(0.2, 1.0, d, False, True, 0.8, max(0.0, q - 1.0), 0.0, tr.content_gain,
                               tr.interaction_gain, tr.consistency_gain, 0.05, tr.hard_sell_loss, tr.exaggeration_loss)
            for d, q in zip(deal, ratio, strict=True)]
    np.testing.assert_allclose(m.pop.trust[:30], want, rtol=1e-5)


def test_morning_without_selling_in_groups_sends_members_no_ads():
    sc = _quiet_morning(touchpoints__group_share=1.0, strategy__ad_posts_per_day=4.0,
                        strategy__selling_in_group=False, mechanisms__fatigue=False)
    m = joined(sc, 10, trust=0.2)
    new_day(m, 1)
    pool.morning(m)
    assert m.ledger["messages_sent"] == 0 and (m.pop.fatigue[:10] == 0).all()


def test_morning_fatigue_switch_off_keeps_fatigue_and_mutes_nobody():
    sc = _quiet_morning(strategy__ad_posts_per_day=50.0, mechanisms__fatigue=False, fatigue__mute_rate=5.0,
                        fatigue__leave_rate=5.0)
    m = joined(sc, 40, trust=0.5)
    m.pop.fatigue[:40] = 3.0
    new_day(m, 1)
    pool.morning(m)
    assert (m.pop.fatigue[:40] == 3.0).all() and m.ledger["mutes"] == 0 and m.ledger["leaves"] == 0
    assert (m.pop.trust[:40] == pytest.approx(0.5, abs=0.02))


def test_morning_overload_mutes_or_drives_out():
    # far past the leave threshold with a huge leave rate: everyone leaves (before muting)
    sc = _quiet_morning(fatigue__leave_rate=5.0, fatigue__leave_multiple=1.5, fatigue__mute_rate=5.0)
    m = joined(sc, 40, trust=0.5)
    m.pop.fatigue[:40] = 1e4
    new_day(m, 6)
    pool.morning(m)
    assert (m.pop.stage[:40] == Stage.CHURNED).all() and m.ledger["leaves"] == 40 and m.ledger["mutes"] == 0
    assert (m.pop.leave_day[:40] == 6).all() and (m.pop.events[:40] & Event.LEFT).all()
    assert m.n_churned() == 40 and len(m.day.reach) == 40
    # past the mute threshold but below the leave threshold: users mute (go dormant)
    sc = _quiet_morning(fatigue__leave_rate=5.0, fatigue__leave_multiple=20.0, fatigue__mute_rate=5.0)
    m = joined(sc, 40, trust=0.5)
    tol = m.pop.tolerance[:40].astype(float)
    r = fatigue.retention(sc.fatigue.half_life_days)
    m.pop.fatigue[:40] = 6.0 * each(fatigue.threshold)(tol, 0.0, r, sc.community.activity_tolerance_bonus) / r
    new_day(m, 6)
    pool.morning(m)
    assert (m.pop.stage[:40] == Stage.DORMANT).all() and m.ledger["mutes"] == 40 and m.ledger["leaves"] == 0
    assert (m.pop.events[:40] & Event.MUTED).all()
    assert (m.pop.rung[:40] == Stage.FOLLOWER).all()


def test_morning_mute_hazard_rises_with_the_excess():
    sc = _quiet_morning(fatigue__leave_rate=0.0, fatigue__mute_rate=0.5)
    m = joined(sc, 400, trust=0.5)
    tol = m.pop.tolerance[:400].astype(float)
    r = fatigue.retention(sc.fatigue.half_life_days)
    theta = each(fatigue.threshold)(tol, 0.0, r, sc.community.activity_tolerance_bonus)
    m.pop.fatigue[:400] = 2.0 * theta / r  # F/θ = 2 after today's decay
    new_day(m, 2)
    pool.morning(m)
    p = np.full(400, 1 - math.exp(-0.5))
    assert abs(m.ledger["mutes"] - p.sum()) < _four_sd(p)


def test_morning_background_churn_rate():
    sc = _quiet_morning(fatigue__base_churn_per_year=1.0)  # hazard 1 a day
    m = joined(sc, 400, trust=0.5)
    new_day(m, 2)
    pool.morning(m)
    p = np.full(400, 1 - math.exp(-1.0))
    assert abs(m.ledger["leaves"] - p.sum()) < _four_sd(p)


def test_morning_lost_incentive_hazard():
    sc = tiny(mechanisms__purchase=False, fatigue__incentive_leave_rate=1.0, fatigue__incentive_memory_days=10.0,
              mechanisms__trust=False)
    m = joined(sc, 400, trust=0.2)
    m.pop.last_reward[:200] = 0          # paid cash on day 0
    new_day(m, 20)
    pool.morning(m)
    gone = m.pop.stage[:400] == Stage.CHURNED
    assert not gone[200:].any()  # never paid: no lost-incentive leave
    deal = m.pop.deal[:200].astype(float)
    p = 1 - np.exp(-each(fatigue.incentive_hazard)(20.0, deal, 0.2, 10.0, 1.0))
    assert abs(gone[:200].sum() - p.sum()) < _four_sd(p)
    off = joined(sc.with_overrides({"mechanisms.incentive_churn": False}), 400, trust=0.2)
    off.pop.last_reward[:200] = 0
    new_day(off, 20)
    pool.morning(off)
    assert off.ledger["leaves"] == 0


def test_morning_dormant_clean_up_and_re_engagement():
    sc = _quiet_morning(fatigue__dormant_cleanup_rate=1.0)
    m = joined(sc, 20, trust=0.5)
    m.pop.stage[:10] = Stage.DORMANT
    new_day(m, 3)
    pool.morning(m)
    assert (m.pop.stage[:10] == Stage.CHURNED).all() and m.ledger["leaves"] == 10
    assert (m.pop.leave_day[:10] == 3).all() and list(m.day.reach) == list(range(10, 20))
    # rested dormant users re-engage on an event day (and only then) at reactivation_rate
    sc = _quiet_morning(fatigue__dormant_cleanup_rate=0.0, fatigue__reactivation_rate=1.0)
    m = joined(sc, 20, trust=0.5)
    m.pop.stage[:20] = Stage.DORMANT
    m.pop.rung[:20] = Stage.REPEAT
    tol = m.pop.tolerance[:20].astype(float)
    theta = each(fatigue.threshold)(tol, 0.0, fatigue.retention(sc.fatigue.half_life_days), sc.community.activity_tolerance_bonus)
    m.pop.fatigue[:10] = 0.0                 # rested
    m.pop.fatigue[10:20] = 10.0 * theta[10:]  # not rested
    new_day(m, 3)
    pool.morning(m)
    assert (m.pop.stage[:20] == Stage.DORMANT).all()   # no event, no red packet
    new_day(m, 4, event=True)
    pool.morning(m)
    assert (m.pop.stage[:10] == Stage.REPEAT).all() and (m.pop.stage[10:20] == Stage.DORMANT).all()
    assert (m.pop.events[:10] & Event.REACTIVATED).all()
    m.pop.stage[:10] = Stage.DORMANT
    new_day(m, 5, red_packet=True)
    pool.morning(m)
    assert (m.pop.stage[:10] == Stage.REPEAT).all()


def test_morning_red_packets_cost_per_reachable_group_member():
    sc = _quiet_morning(touchpoints__group_share=1.0, strategy__red_packet_per_member=2.5)
    m = joined(sc, 30, trust=0.5)
    m.pop.group[20:30] = -1            # friends only
    m.pop.stage[25:30] = Stage.DORMANT
    m.pop.stage[:5] = Stage.DORMANT    # muted members get nothing
    new_day(m, 8, red_packet=True)
    pool.morning(m)
    assert m.ledger["cost_rebates"] == pytest.approx(2.5 * 15)
    assert (m.pop.last_reward[5:20] == 8).all() and (m.pop.last_reward[20:30] == NEVER).all()
    assert (m.pop.events[5:20] & Event.RED_PACKET).all()


def test_morning_one_to_one_chats_spread_staff_time():
    sc = _quiet_morning(strategy__one_to_one=True, touchpoints__users_per_staff=400.0,
                        touchpoints__interactions_per_staff_per_day=200.0, trust__interaction_gain=0.3,
                        mechanisms__fatigue=False)
    m = joined(sc, 400, trust=0.0)
    new_day(m, 1)
    pool.morning(m)  # one staff member, 200 chats among 400 reachable users: p = 0.5
    chatted = (m.pop.events[:400] & Event.CHAT) > 0
    assert abs(chatted.sum() - 200) < _four_sd(np.full(400, 0.5))
    fam = sc.trust.familiarity_gain * 0.25
    np.testing.assert_allclose(m.pop.trust[:400][chatted], min(1.0, 0.3 + fam), rtol=1e-5)
    np.testing.assert_allclose(m.pop.trust[:400][~chatted], fam, rtol=1e-5)


def _purchase_probability(m, sc, t, ads=0.0, content=0.0, demand=1.0, discount=0.0, cashback=0.0, chatted=False):
    pop, pu, n = m.pop, sc.purchase, m.pop.n_joined
    other = 1.0 + sc.touchpoints.mini_program_lift if sc.touchpoints.mini_program else 1.0
    h = np.array([purchase.hazard(float(pop.need[i]), float(pop.cycle[i]), float(pop.trust[i]), float(t - pop.last_purchase[i]),
                                  float(pop.price_sens[i]), float(pop.deal[i]), 0.0, ads, content, chatted, demand, discount,
                                  cashback, other, pu.conversion_floor, pu.conversion_ceiling, pu.trust_exponent,
                                  pu.event_lift, pu.cashback_lift, pu.group_activity_lift, pu.unprompted_share,
                                  pu.reminder_per_ad, pu.reminder_per_content, pu.cross_sell_per_year) for i in range(n)])
    return 1 - np.exp(-h)


@pytest.mark.parametrize("over", [
    {"purchase.trust_exponent": 3.0, "purchase.conversion_floor": 0.0, "purchase.conversion_ceiling": 1.0},
    {"purchase.cross_sell_per_year": 5.0, "purchase.unprompted_share": 1.0, "product.purchase_cycle_days": 300.0},
    {"touchpoints.mini_program": True, "touchpoints.mini_program_lift": 2.0, "purchase.unprompted_share": 0.1,
     "purchase.reminder_per_ad": 0.2, "purchase.reminder_per_content": 0.05},
])
def test_morning_purchases_follow_the_purchase_rule(over):
    sc = tiny(mechanisms__trust=False, mechanisms__fatigue=False, mechanisms__incentive_churn=False,
              strategy__ad_posts_per_day=1.0, strategy__content_posts_per_day=2.0,
              product__purchase_cycle_days=20.0).with_overrides(over)
    m = joined(sc, 400, trust=0.7)
    m.pop.last_purchase[:400] = -10
    p = _purchase_probability(m, sc, 8, ads=1.0, content=2.0)
    new_day(m, 8)
    pool.morning(m)
    assert abs(m.ledger["private_purchases"] - p.sum()) < _four_sd(p)


def test_morning_purchases_on_a_discount_day_with_cash_back():
    sc = tiny(mechanisms__trust=False, mechanisms__fatigue=False, mechanisms__incentive_churn=False,
              strategy__cashback_rate=0.5, purchase__cashback_lift=4.0, purchase__event_lift=6.0,
              product__purchase_cycle_days=30.0, purchase__unprompted_share=0.5, purchase__reminder_per_ad=0.5)
    m = joined(sc, 400, trust=0.4)
    m.pop.last_purchase[:400] = -30
    p = _purchase_probability(m, sc, 9, ads=1.0, demand=0.7, discount=0.3, cashback=0.5)
    new_day(m, 9, event=True, discount=0.3, demand=0.7, rebates_active=True)
    pool.morning(m)
    assert abs(m.ledger["private_purchases"] - p.sum()) < _four_sd(p)
    assert m.ledger["margin"] == pytest.approx(m.ledger["private_purchases"] * sc.product.order_value * (0.4 - 0.3))
    q = _purchase_probability(m, sc, 9, ads=1.0, demand=0.7, discount=0.3, cashback=0.0)
    assert p.sum() > 1.3 * q.sum()  # cash back is visible at these parameters


def test_morning_purchase_switch_off_means_no_private_orders():
    sc = tiny(mechanisms__purchase=False, purchase__conversion_floor=1.0, purchase__conversion_ceiling=1.0)
    m = joined(sc, 50, trust=1.0)
    new_day(m, 100)
    pool.morning(m)
    assert m.ledger["private_purchases"] == 0


# --- sharing and cascades ------------------------------------------------------------------------
def test_sharers_follow_the_share_rule_with_cash_appeal():
    sc = tiny(referral__share_rate=0.5, referral__reward_share_lift=4.0, strategy__referral_reward=20.0,
              referral__join_prob=0.0, product__order_value=80.0)
    m = joined(sc, 400, trust=0.6)
    m.pop.purchases[:200] = 1
    new_day(m, 3, rebates_active=True)
    m.day.reach = np.arange(400, dtype=np.int64)
    pool.share(m)
    shared = (m.pop.events[:400] & Event.SHARED) > 0
    pop = m.pop
    p = np.array([1 - math.exp(-referral.share_hazard(bool(pop.purchases[i] > 0), float(pop.trust[i]), float(pop.deal[i]),
                                                       1.0, float(pop.sociability[i]), False, 0.5, 3.0)) for i in range(400)])
    assert abs(shared.sum() - p.sum()) < _four_sd(p)
    assert m.ledger["referrals"] == shared.sum()


def test_referral_reward_is_paid_per_referred_joiner():
    sc = tiny(referral__join_prob=1.0, strategy__referral_reward=12.0, referral__well_mixed_contacts=5)
    m = joined(sc, 20, trust=1.0)
    new_day(m, 2, rebates_active=True)
    got = referral.spread(m, np.arange(20, dtype=np.int64))
    k = len(got)
    assert k > 20 and m.ledger["referral_joins"] == k and m.ledger["new_joins"] == k
    assert m.ledger["cost_referrals"] == pytest.approx(12.0 * k) and m.ledger["acq_cost"] == pytest.approx(12.0 * k)
    assert m.pop.referrals[:20].sum() == k
    assert (m.pop.referrer[got] >= 0).all() and (m.pop.referrer[got] < 20).all()
    rewarded = np.unique(m.pop.referrer[got])
    assert (m.pop.last_reward[rewarded] == 2).all()
    # a joiner's trust starts from the endorsement of the referrer's (full) trust
    np.testing.assert_allclose(m.pop.trust[got], min(1.0, sc.trust.initial + sc.trust.endorsement), rtol=1e-6)
    # no reward once rebates stopped
    m2 = joined(sc, 20, trust=1.0)
    new_day(m2, 2, rebates_active=False)
    assert len(referral.spread(m2, np.arange(20, dtype=np.int64))) > 0 and m2.ledger["cost_referrals"] == 0


def test_cascades_expose_each_edge_once():
    sc = tiny(network__kind="random", network__mean_degree=8.0, referral__join_prob=0.0)
    m = joined(sc, 5, trust=1.0)
    deg = np.diff(m.graph.indptr)[:5].astype(float)
    np.testing.assert_allclose(m.fresh_reach(np.arange(5)), deg)
    new_day(m, 1)
    referral.spread(m, np.arange(5, dtype=np.int64))
    assert m.edge_used.sum() > 0
    np.testing.assert_allclose(m.fresh_reach(np.arange(5)), 0.0)   # every contact exposed once
    used = m.edge_used.sum()
    sc2 = sc.with_overrides({"referral.join_prob": 1.0})
    m2 = joined(sc2, 5, trust=1.0)
    m2.edge_used[:] = True   # every edge already used: a share reaches nobody
    assert len(referral.spread(m2, np.arange(5, dtype=np.int64))) == 0
    m3 = joined(sc2, 5, trust=1.0)
    first = referral.spread(m3, np.arange(5, dtype=np.int64))
    assert len(first) > 0 and used > 0
    assert len(referral.spread(m3, np.arange(5, dtype=np.int64))) == 0  # the same sharers again: no one new


def test_group_buy_completes_with_enough_joiners():
    sc = tiny(referral__join_prob=1.0, strategy__group_buy_size=3, strategy__group_buy_discount=0.3,
              referral__well_mixed_contacts=6, product__order_value=100.0)
    m = joined(sc, 4, trust=1.0)
    new_day(m, 2)
    got = referral.spread(m, np.arange(4, dtype=np.int64))
    refs = m.pop.referrer[got]
    leaders = [i for i in range(4) if (refs == i).sum() >= 2]
    assert leaders and m.pop.group_buys[:4].tolist() == [1, 1, 1, 1]
    buyers = int(sum((refs == i).sum() for i in leaders)) + len(leaders)
    assert m.ledger["private_purchases"] == buyers
    assert m.ledger["gmv"] == pytest.approx(buyers * 70.0)


# --- the evening and groups ----------------------------------------------------------------------
def test_evening_promotes_never_demotes_and_counts_stages():
    sc = tiny(strategy__membership=True, referral__member_min_purchases=3)
    m = joined(sc, 10, trust=0.5)
    m.pop.purchases[:10] = [0, 1, 2, 3, 0, 5, 1, 1, 0, 0]
    m.pop.rung[4] = m.pop.stage[4] = Stage.REPEAT     # already higher: stays
    m.pop.stage[8] = Stage.DORMANT
    m.pop.stage[9] = Stage.CHURNED
    m.pop.fatigue[:10] = 2.0
    new_day(m, 1)
    m.day.reach = np.arange(10, dtype=np.int64)
    counts, trust_sum, fatigue_sum = pool.evening(m)
    want = [Stage.FOLLOWER, Stage.CUSTOMER, Stage.REPEAT, Stage.MEMBER, Stage.REPEAT, Stage.MEMBER,
            Stage.CUSTOMER, Stage.CUSTOMER, Stage.DORMANT, Stage.CHURNED]
    assert list(m.pop.stage[:10]) == want
    assert (m.pop.events[[1, 2, 3, 5, 6, 7]] & Event.PROMOTED).all() and not (m.pop.events[[0, 4]] & Event.PROMOTED).any()
    assert counts[Stage.CUSTOMER] == 3 and counts[Stage.MEMBER] == 2 and counts[Stage.CHURNED] == 1
    assert counts[Stage.DORMANT] == 1 and counts.sum() == 10
    assert trust_sum == pytest.approx(0.5 * 9, rel=1e-6) and fatigue_sum == pytest.approx(18.0)


def test_group_activity_rule():
    sc = tiny(community__activity_decay=0.1, community__content_stimulus=0.2, community__check_in_stimulus=0.15,
              community__red_packet_lift=0.4, community__red_packet_decay=0.5, community__initial_activity=0.6,
              strategy__content_posts_per_day=1.0, strategy__check_ins=True, touchpoints__group_size=10)
    m = joined(sc, 0)
    m.groups.assign(25)
    assert m.groups.count == 3 and list(m.groups.activity[:4]) == pytest.approx([0.6, 0.6, 0.6, 0.0])
    new_day(m, 1)
    community.update_activity(m)
    a = 0.6 * 0.9
    a += (1 - a) * 0.35
    assert m.groups.activity[:3] == pytest.approx([a] * 3) and m.groups.activity[3] == 0
    for k in range(3):
        new_day(m, 2 + k, red_packet=True)
        community.update_activity(m)
        a = a * 0.9
        a += (1 - a) * min(1.0, 0.35 + 0.4 * 0.5 ** k)
    assert m.groups.activity[0] == pytest.approx(a, rel=1e-6) and m.groups.red_packets == 3
    assert m.groups.mean_activity() == pytest.approx(a, rel=1e-6)
    off = joined(sc.with_overrides({"mechanisms.group_activity": False}), 0)
    off.groups.assign(5)
    new_day(off, 1)
    community.update_activity(off)
    assert off.groups.activity[0] == pytest.approx(0.6)
    quiet = joined(tiny(community__activity_decay=0.2), 0)
    quiet.groups.assign(5)
    new_day(quiet, 1)
    community.update_activity(quiet)
    assert quiet.groups.activity[0] == pytest.approx(0.5 * 0.8)
    assert joined(tiny(), 0).groups.mean_activity() == 0.0


# --- joins along the network and campaign seeds --------------------------------------------------
def _exposure_edges(m, sharers):
    g = m.graph
    counts = {}
    for s in sharers:
        for t in g.indices[g.indptr[s]:g.indptr[s + 1]]:
            if m.pop.stage[t] == Stage.PUBLIC:
                counts.setdefault(int(t), []).append(int(s))
    return counts


@pytest.mark.parametrize("group_buy", [0, 2])
def test_network_joins_follow_the_join_rule(group_buy):
    sc = tiny(population__n_users=3000, network__kind="random", network__mean_degree=12.0,
              referral__join_prob=0.6, strategy__referral_reward=10.0, referral__reward_share_lift=2.0,
              product__order_value=50.0, strategy__group_buy_size=group_buy, strategy__group_buy_discount=0.4,
              purchase__event_lift=3.0)
    m = joined(sc, 60, trust=0.3)
    new_day(m, 2, rebates_active=True)
    sharers = np.arange(60, dtype=np.int64)
    edges = _exposure_edges(m, sharers)
    cash = referral.cash_appeal(sc, True)
    assert cash == pytest.approx(0.4)
    pop = m.pop
    p = []
    for t, owners in edges.items():
        q = 0.6 * min(1.0, 0.3 + float(pop.deal[t]) * cash) * (0.5 + float(pop.need[t]))
        if group_buy:
            q *= 1 + 3.0 * 0.4 * float(pop.price_sens[t])
        p.append(1 - (1 - min(q, 1.0)) ** len(owners))
    got = referral.spread(m, sharers)
    assert set(got.tolist()) <= set(edges)
    assert abs(len(got) - sum(p)) < _four_sd(np.array(p))
    assert all(int(m.pop.referrer[t]) in edges[int(t)] for t in got)  # each joiner credited to a sharer who reached them


def test_campaign_seeds_targeted_by_influence_or_at_random():
    sc = tiny(strategy__seeds_per_campaign=0.1, strategy__seeding="targeted", referral__join_prob=0.0,
              network__kind="random")
    m = joined(sc, 100, trust=0.2)
    pool_ids = np.arange(100, dtype=np.int64)
    m.pop.trust[:100] = np.linspace(0.0, 0.9, 100)
    m.pop.group_buys[:5] = 3
    score = m.pop.sociability[:100] * m.fresh_reach(pool_ids) * (0.1 + m.pop.trust[:100]) * (1 + m.pop.group_buys[:100])
    got = referral.pick_seeds(m, pool_ids)
    assert sorted(got.tolist()) == sorted(np.argsort(-score)[:10].tolist())
    rnd = joined(sc.with_overrides({"strategy.seeding": "random"}), 100, trust=0.2)
    picks = referral.pick_seeds(rnd, pool_ids)
    assert len(picks) == 10 and len(set(picks.tolist())) == 10
    assert len(referral.pick_seeds(m, pool_ids[:4])) == 0   # round(0.1 × 4) = 0
    assert len(referral.pick_seeds(m, pool_ids[:15])) == 2
    assert len(referral.pick_seeds(m, pool_ids[:0])) == 0


def test_share_on_a_campaign_day_adds_the_seeds_and_skips_the_gone():
    sc = tiny(strategy__seeds_per_campaign=0.5, strategy__seeding="random", referral__join_prob=0.0,
              referral__share_rate=0.0)
    m = joined(sc, 40, trust=0.2)
    m.pop.stage[:20] = Stage.CHURNED
    new_day(m, 5, campaign=True)
    m.day.reach = np.arange(40, dtype=np.int64)
    pool.share(m)
    shared = np.flatnonzero(m.pop.events & Event.SHARED)
    assert len(shared) == 10 and (shared >= 20).all() and m.ledger["referrals"] == 10
    new_day(m, 6)
    m.pop.events[:] = 0
    m.day.reach = np.arange(40, dtype=np.int64)
    pool.share(m)
    assert m.ledger["referrals"] == 0   # no campaign, no share rate: nobody shares
    off = joined(sc.with_overrides({"mechanisms.referral": False}), 40, trust=0.2)
    new_day(off, 5, campaign=True)
    off.day.reach = np.arange(40, dtype=np.int64)
    pool.share(off)
    assert off.ledger["referrals"] == 0


def test_morning_trace_records_the_messages_of_the_day():
    sc = tiny(strategy__content_posts_per_day=1.5, strategy__ad_posts_per_day=2.0, horizon_days=3,
              public__ad_reach_per_day=0.2, strategy__hooks__gift__enabled=True, strategy__hooks__gift__take_up=1.0)
    from sim.model import SiyuModel
    m = SiyuModel(sc, seed=1, trace_users=list(range(400)))
    for _ in range(3):
        m.step()
    tr = m.trace()
    last = tr[tr["day"] == 2]
    reach = last["stage"].astype(str).isin(["follower", "customer", "repeat", "member", "partner"])
    never = m.pop.join_day[last["user"].to_numpy()] == NEVER
    assert reach.sum() > 50 and never.sum() > 50
    assert (last.loc[reach.to_numpy(), "messages"] == 3.5).all()   # joiners of the day included
    assert (last.loc[never, "messages"] == 0).all()


def test_repeat_orders_accumulate_spend_and_counts_and_keep_the_day_s_events():
    sc = tiny(product__order_value=30.0)
    m = joined(sc, 10, trust=0.5)
    m.pop.events[:10] |= Event.PROMO
    buyers = np.arange(5, dtype=np.int64)
    new_day(m, 1)
    m.record_orders(buyers, discount=0.0)
    new_day(m, 2)
    m.record_orders(buyers, discount=0.5)
    assert m.pop.spend[:5].tolist() == pytest.approx([45.0] * 5)
    assert (m.pop.private_purchases[:5] == 2).all() and (m.pop.purchases[:5] == 2).all()
    assert (m.pop.events[:5] & Event.PROMO).all() and (m.pop.events[:5] & Event.BOUGHT).all()
    assert m.ledger["first_purchases"] == 0
    bad = joined(tiny(fulfilment__failure_rate=1.0, trust__failure_loss=0.0), 10, trust=1.0)
    bad.pop.events[:10] |= Event.CHAT
    bad.record_orders(np.arange(10, dtype=np.int64), discount=0.0)
    assert (bad.pop.events[:10] & Event.CHAT).all() and (bad.pop.events[:10] & Event.FAILED).all()


def test_no_cash_back_rate_means_no_reward_even_while_rebates_run():
    m = joined(tiny(strategy__cashback_rate=0.0), 10, trust=0.5)
    new_day(m, 4, rebates_active=True)
    m.record_orders(np.arange(10, dtype=np.int64), discount=0.0)
    assert (m.pop.last_reward[:10] == NEVER).all() and not (m.pop.events[:10] & Event.REWARDED).any()


def test_capacity_below_one_order_a_day_fails_every_order():
    sc = tiny(population__n_users=1000, fulfilment__capacity_per_day=1.0)  # int(1 × 1000 / 10,000) = 0
    m = joined(sc, 20, trust=0.5)
    m.step()
    assert m.capacity_left == 0
    new_day(m, 1)
    m.record_orders(np.arange(20, dtype=np.int64), discount=0.0)
    assert m.ledger["failures"] == 20


def test_partners_and_members_can_leave_after_a_failed_order_but_not_the_gone():
    sc = tiny(fulfilment__failure_rate=1.0, trust__failure_loss=1.0)  # leave probability 1 × (1 − 0)
    m = joined(sc, 30, trust=0.4)
    m.pop.stage[:10] = Stage.PARTNER
    m.pop.stage[10:20] = Stage.MEMBER
    m.pop.stage[20:30] = Stage.DORMANT   # e.g. a group-buy joiner who muted: stays dormant
    m.record_orders(np.arange(30, dtype=np.int64), discount=0.0)
    assert (m.pop.stage[:20] == Stage.CHURNED).all() and (m.pop.stage[20:30] == Stage.DORMANT).all()
    assert m.ledger["leaves"] == 20


# --- more of the morning pass ------------------------------------------------------------------
ALL_BITS_KEPT = Event.JOINED  # set by the harness's admission on day 0


def test_events_are_added_bits_that_keep_the_others():
    sc = _quiet_morning(touchpoints__group_share=1.0, strategy__one_to_one=True, touchpoints__users_per_staff=100.0,
                        touchpoints__interactions_per_staff_per_day=1000.0, fatigue__dormant_cleanup_rate=1.0)
    m = joined(sc, 30, trust=0.5)
    m.pop.stage[20:30] = Stage.DORMANT
    new_day(m, 3, event=True, red_packet=True)
    pool.morning(m)
    ev = m.pop.events
    assert ((ev[:20] & (Event.PROMO | Event.CHAT | Event.RED_PACKET | ALL_BITS_KEPT)) ==
            (Event.PROMO | Event.CHAT | Event.RED_PACKET | ALL_BITS_KEPT)).all()
    assert ((ev[20:30] & (Event.LEFT | ALL_BITS_KEPT)) == (Event.LEFT | ALL_BITS_KEPT)).all()
    # muting, leaving, re-engaging and promotion keep the day's other bits too
    sc = _quiet_morning(fatigue__leave_rate=0.0, fatigue__mute_rate=5.0, fatigue__reactivation_rate=1.0,
                        fatigue__dormant_cleanup_rate=0.0)
    m = joined(sc, 20, trust=0.5)
    m.pop.fatigue[:10] = 1e4
    m.pop.stage[10:20] = Stage.DORMANT
    m.pop.rung[10:20] = Stage.FOLLOWER
    new_day(m, 3, event=True)
    pool.morning(m)
    assert (m.pop.stage[:10] == Stage.DORMANT).all() and (m.pop.stage[10:20] == Stage.FOLLOWER).all()
    assert ((m.pop.events[:10] & (Event.MUTED | Event.PROMO | ALL_BITS_KEPT)) == (Event.MUTED | Event.PROMO | ALL_BITS_KEPT)).all()
    assert ((m.pop.events[10:20] & (Event.REACTIVATED | ALL_BITS_KEPT)) == (Event.REACTIVATED | ALL_BITS_KEPT)).all()
    m.pop.purchases[10:20] = 1
    m.day.reach = np.arange(10, 20, dtype=np.int64)
    pool.evening(m)
    assert ((m.pop.events[10:20] & (Event.PROMOTED | ALL_BITS_KEPT)) == (Event.PROMOTED | ALL_BITS_KEPT)).all()
    sc = _quiet_morning(fatigue__base_churn_per_year=1.0)
    m = joined(sc, 60, trust=0.5)
    new_day(m, 3)
    pool.morning(m)
    gone = m.pop.stage[:60] == Stage.CHURNED
    assert gone.any() and ((m.pop.events[:60][gone] & (Event.LEFT | ALL_BITS_KEPT)) == (Event.LEFT | ALL_BITS_KEPT)).all()


def test_no_event_notice_no_promo_bit_and_messages_accumulate():
    sc = _quiet_morning(strategy__content_posts_per_day=1.0, strategy__ad_posts_per_day=0.5, mechanisms__fatigue=False)
    m = joined(sc, 10, trust=0.5)
    for t in (1, 2, 3):
        new_day(m, t)
        pool.morning(m)
    assert (m.pop.messages[:10] == 4.5).all() and not (m.pop.events[:10] & Event.PROMO).any()
    assert m.ledger["messages_sent"] == 15.0


@pytest.mark.parametrize("partners", [0, 200])
def test_chat_probability_counts_every_reachable_rung(partners):
    # chats = 400 users / 100 per staff × 100 chats = 400 → p = 1 without partners counted only
    sc = _quiet_morning(strategy__one_to_one=True, touchpoints__users_per_staff=100.0,
                        touchpoints__interactions_per_staff_per_day=100.0 if not partners else 50.0,
                        mechanisms__fatigue=False)
    m = joined(sc, 400, trust=0.1)
    m.pop.stage[:partners] = Stage.PARTNER
    new_day(m, 1)
    pool.morning(m)
    chatted = (m.pop.events[:400] & Event.CHAT) > 0
    if partners:  # 200 chats among 400 reachable (200 of them partners): p = 0.5
        assert abs(chatted.sum() - 200) < _four_sd(np.full(400, 0.5))
    else:
        assert chatted.all()


def test_reactivation_needs_fatigue_below_half_the_threshold():
    sc = _quiet_morning(fatigue__dormant_cleanup_rate=0.0, fatigue__reactivation_rate=1.0)
    m = joined(sc, 30, trust=0.5)
    m.pop.stage[:30] = Stage.DORMANT
    m.pop.rung[:30] = Stage.CUSTOMER
    r = fatigue.retention(sc.fatigue.half_life_days)
    theta = each(fatigue.threshold)(m.pop.tolerance[:30].astype(float), 0.0, r, sc.community.activity_tolerance_bonus)
    m.pop.fatigue[:10] = 0.3 * theta[:10] / r      # rested after today's decay
    m.pop.fatigue[10:20] = 0.8 * theta[10:20] / r  # not rested enough
    m.pop.fatigue[20:30] = 1.2 * theta[20:30] / r
    new_day(m, 2, event=True)
    pool.morning(m)
    assert (m.pop.stage[:10] == Stage.CUSTOMER).all() and (m.pop.stage[10:30] == Stage.DORMANT).all()


def test_background_churn_still_applies_to_overloaded_and_rewarded_users():
    sc = _quiet_morning(fatigue__base_churn_per_year=1.0, fatigue__mute_rate=0.0, fatigue__leave_multiple=20.0)
    m = joined(sc, 400, trust=0.5)
    r = fatigue.retention(sc.fatigue.half_life_days)
    theta = each(fatigue.threshold)(m.pop.tolerance[:400].astype(float), 0.0, r, sc.community.activity_tolerance_bonus)
    m.pop.fatigue[:400] = 1.5 * theta / r   # overloaded, far below the leave threshold
    new_day(m, 2)
    pool.morning(m)
    p = np.full(400, 1 - math.exp(-1.0))
    assert abs(m.ledger["leaves"] - p.sum()) < _four_sd(p)
    sc = tiny(mechanisms__purchase=False, mechanisms__trust=False, fatigue__base_churn_per_year=0.5,
              fatigue__incentive_leave_rate=0.5, fatigue__incentive_memory_days=10.0)
    m = joined(sc, 400, trust=0.3)
    m.pop.last_reward[:400] = 5
    new_day(m, 20)
    pool.morning(m)
    deal = m.pop.deal[:400].astype(float)
    h = fatigue.background_hazard(0.5) + each(fatigue.incentive_hazard)(15.0, deal, 0.3, 10.0, 0.5)
    p = 1 - np.exp(-h)
    assert abs(m.ledger["leaves"] - p.sum()) < _four_sd(p)


def test_morning_purchases_with_a_one_to_one_chat_as_reminder():
    sc = tiny(mechanisms__trust=False, mechanisms__fatigue=False, mechanisms__incentive_churn=False,
              strategy__one_to_one=True, touchpoints__users_per_staff=100.0,
              touchpoints__interactions_per_staff_per_day=100.0, purchase__unprompted_share=0.05,
              product__purchase_cycle_days=10.0, population__need_mean=0.9)
    m = joined(sc, 400, trust=0.8)
    m.pop.last_purchase[:400] = -100
    p = _purchase_probability(m, sc, 1, chatted=True)
    q = _purchase_probability(m, sc, 1, chatted=False)
    assert p.sum() > 3 * q.sum()
    new_day(m, 1)
    pool.morning(m)
    assert (m.pop.events[:400] & Event.CHAT).all()
    assert abs(m.ledger["private_purchases"] - p.sum()) < _four_sd(p)


@pytest.mark.parametrize("rebates", [True, False])
def test_cash_back_lifts_morning_purchases_only_while_rebates_run(rebates):
    sc = tiny(mechanisms__trust=False, mechanisms__fatigue=False, mechanisms__incentive_churn=False,
              strategy__cashback_rate=0.5, purchase__cashback_lift=6.0, product__purchase_cycle_days=10.0,
              population__need_mean=0.9, population__n_users=1500, population__deal_seeking_mean=0.7,
              purchase__unprompted_share=1.0)
    m = joined(sc, 1500, trust=0.8)
    m.pop.last_purchase[:1500] = -100
    p = _purchase_probability(m, sc, 1, cashback=0.5 if rebates else 0.0)
    other = _purchase_probability(m, sc, 1, cashback=0.0 if rebates else 0.5)
    assert abs(p.sum() - other.sum()) > 2 * max(_four_sd(p), _four_sd(other))
    new_day(m, 1, rebates_active=rebates)
    pool.morning(m)
    assert abs(m.ledger["private_purchases"] - p.sum()) < _four_sd(p)


def test_group_members_get_ads_when_selling_in_groups():
    sc = _quiet_morning(touchpoints__group_share=1.0, strategy__ad_posts_per_day=2.0, mechanisms__fatigue=False)
    m = joined(sc, 10, trust=0.2)
    new_day(m, 1)
    pool.morning(m)
    assert m.ledger["messages_sent"] == 20.0


def test_partners_and_one_order_buyers_share_non_buyers_without_cash_do_not():
    sc = tiny(referral__share_rate=0.3, referral__partner_share_multiplier=4.0, referral__join_prob=0.0,
              population__n_users=1000)
    m = joined(sc, 600, trust=0.7)
    m.pop.purchases[:400] = 1
    m.pop.stage[:200] = Stage.PARTNER
    new_day(m, 3, rebates_active=False)
    m.day.reach = np.arange(600, dtype=np.int64)
    pool.share(m)
    shared = (m.pop.events[:600] & Event.SHARED) > 0
    assert not shared[400:].any()
    soc = m.pop.sociability[:400].astype(float)
    for lo, hi, mult in ((0, 200, 4.0), (200, 400, 1.0)):
        p = 1 - np.exp(-0.3 * 0.49 * soc[lo:hi] * mult)
        assert abs(shared[lo:hi].sum() - p.sum()) < _four_sd(p), (lo, mult)


def test_a_single_reachable_user_can_share_and_partners_are_campaign_seeds():
    sc = tiny(strategy__seeds_per_campaign=1.0, strategy__seeding="random", referral__join_prob=0.0)
    m = joined(sc, 5, trust=0.5)
    m.pop.stage[:5] = Stage.PARTNER
    new_day(m, 5, campaign=True)
    m.day.reach = np.arange(1, dtype=np.int64)
    pool.share(m)
    assert m.ledger["referrals"] == 1
    new_day(m, 10, campaign=True)
    m.day.reach = np.arange(5, dtype=np.int64)
    pool.share(m)
    assert m.ledger["referrals"] == 5


def test_evening_promotes_past_gone_users_and_makes_partners():
    sc = tiny(strategy__partner_program=True, referral__partner_min_trust=0.6, referral__partner_min_referrals=2)
    m = joined(sc, 6, trust=0.8)
    m.pop.stage[0] = Stage.DORMANT
    m.pop.stage[1] = Stage.CHURNED
    m.pop.purchases[:6] = 1
    m.pop.referrals[:6] = [5, 5, 2, 1, 3, 0]
    new_day(m, 1)
    m.day.reach = np.arange(6, dtype=np.int64)
    pool.evening(m)
    assert list(m.pop.stage[:6]) == [Stage.DORMANT, Stage.CHURNED, Stage.PARTNER, Stage.CUSTOMER,
                                     Stage.PARTNER, Stage.CUSTOMER]


def test_groups_keep_their_activity_when_new_members_arrive_and_are_capped_at_full():
    sc = tiny(community__initial_activity=0.5, touchpoints__group_size=10, community__activity_decay=0.0,
              community__content_stimulus=0.7, community__check_in_stimulus=0.6, strategy__content_posts_per_day=1.0,
              strategy__check_ins=True)
    m = joined(sc, 0)
    g = m.groups
    assert g.activity.dtype == np.float32
    assert g.assign(4).tolist() == [0, 0, 0, 0]
    new_day(m, 1)
    community.update_activity(m)   # stimulus 1.3 is capped at 1: activity becomes full, not past it
    assert g.activity[0] == 1.0
    ids = g.assign(9)
    assert ids.tolist() == [0] * 6 + [1] * 3 and g.seats_filled == 13 and ids.dtype == np.int32
    assert g.activity[:2].tolist() == [1.0, 0.5]
