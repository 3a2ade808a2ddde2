"""Each per-user rule against its documented formula, with every parameter away from its default.

Defaults hide parts of a rule (an exponent of 1, a rate of 0, a lift of 0), so every case
here sets each parameter to a value where its term shows, and recomputes the rule's formula
(as written in the module docstrings and docs/MODEL.md) independently.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.mechanisms import acquisition, fatigue, lifecycle, messaging, purchase, referral, trust
from sim.population import Stage
from sim.scenario import Hook, Public, Scenario, Strategy


# --- purchase ----------------------------------------------------------------------------------
def _hazard_formula(need, cycle, tr, days, ps, deal, act, ads, content, chatted, demand, disc, cb, other,
                    floor, ceil, expo, el, cl, gal, unp, rpa, rpc, cs):
    need_rate = need / cycle * demand + cs * tr / 365.0
    conv = floor + (ceil - floor) * tr ** expo
    lift = (1 + el * disc * ps) * (1 + cl * cb * deal) * (1 + gal * act) * other
    reminder = unp + (1 - unp) * (1 - math.exp(-(rpa * ads + rpc * content + (1.0 if chatted else 0.0))))
    return need_rate * min(1.0, days / cycle) * conv * lift * reminder


HAZARD_CASES = [
    # need cycle trust days ps deal act ads content chat demand disc cb other floor ceil expo el cl gal unp rpa rpc cs
    (0.6, 40.0, 0.5, 10.0, 0.7, 0.3, 0.4, 2.0, 1.0, True, 1.5, 0.2, 0.1, 1.3, 0.05, 0.8, 2.0, 3.0, 4.0, 0.6, 0.2, 0.7, 0.4, 2.0),
    (0.3, 20.0, 0.8, 50.0, 0.2, 0.9, 0.0, 0.0, 3.0, False, 0.5, 0.0, 0.3, 1.0, 0.2, 0.6, 3.5, 1.0, 2.0, 0.0, 0.5, 1.5, 0.2, 0.5),
    (0.9, 10.0, 0.3, 5.0, 0.5, 0.5, 0.9, 1.0, 0.0, True, 1.0, 0.4, 0.0, 1.1, 0.1, 0.9, 1.0, 2.5, 0.0, 2.0, 0.0, 0.3, 0.0, 0.0),
    (0.5, 30.0, 0.6, 30.0, 0.4, 0.2, 0.5, 0.0, 0.0, False, 2.0, 0.1, 0.2, 1.0, 0.0, 1.0, 0.5, 1.0, 1.0, 1.0, 0.4, 2.0, 1.0, 3.0),
]


@pytest.mark.parametrize("case", HAZARD_CASES)
def test_purchase_hazard_is_the_documented_product(case):
    assert purchase.hazard(*case) == pytest.approx(_hazard_formula(*case), rel=1e-9)


def test_purchase_hazard_each_term_moves_it():
    base = list(HAZARD_CASES[0])
    h0 = purchase.hazard(*base)
    # (index, new value, direction) for each parameter: its term must show
    for i, v, up in [(0, 0.9, 1), (1, 60.0, -1), (2, 0.9, 1), (3, 2.0, -1), (4, 0.9, 1), (5, 0.8, 1),
                     (6, 0.9, 1), (7, 4.0, 1), (8, 3.0, 1), (9, False, -1), (10, 2.0, 1), (11, 0.5, 1),
                     (12, 0.4, 1), (13, 1.8, 1), (14, 0.3, 1), (15, 0.95, 1), (16, 4.0, -1), (17, 6.0, 1),
                     (18, 8.0, 1), (19, 1.5, 1), (20, 0.5, 1), (21, 2.0, 1), (22, 2.0, 1), (23, 4.0, 1)]:
        case = list(base)
        case[i] = v
        h = purchase.hazard(*case)
        assert (h - h0) * up > 0, i
        assert h == pytest.approx(_hazard_formula(*case), rel=1e-9), i


def test_purchase_hazard_waits_for_the_personal_cycle():
    case = list(HAZARD_CASES[1])
    case[3] = 0.0
    assert purchase.hazard(*case) == 0.0
    case[3] = 500.0
    full = purchase.hazard(*case)
    case[3] = 20.0  # exactly one cycle
    assert purchase.hazard(*case) == pytest.approx(full, rel=1e-12)


@pytest.mark.parametrize("selling_in_group", [True, False])
@pytest.mark.parametrize("routing", [True, False])
@pytest.mark.parametrize("notice", [0.0, 1.0])
def test_the_pass_looks_up_each_users_reminder_chance_by_kind(selling_in_group, routing, notice):
    # pool._reminders: the reminder chance of every kind of reachable user (group, bought, chatted),
    # computed from what messaging.received gives that user, to the bit
    from sim.mechanisms import pool

    sc = Scenario.model_validate({"strategy": {"content_posts_per_day": 1.5, "ad_posts_per_day": 0.7,
                                               "selling_in_group": selling_in_group, "routing_by_tags": routing},
                                  "purchase": {"unprompted_share": 0.2, "reminder_per_ad": 0.8,
                                               "reminder_per_content": 0.4}})
    r = pool.rules_for(sc)
    table = pool._reminders(r, notice)
    for group in (-1, 0, 7):
        for bought in (0, 1, 5):
            for chatted in (False, True):
                content, ads, notices = messaging.received(r.content_posts_per_day, r.ad_posts_per_day, notice,
                                                           group, bought, selling_in_group, routing)
                want = purchase.reminder(ads + notices, content, chatted, 0.2, 0.8, 0.4)
                assert table[pool._kind(group, bought, chatted)] == want
                unp = 0.2
                touches = 0.8 * (ads + notices) + 0.4 * content + (1.0 if chatted else 0.0)
                assert want == pytest.approx(unp + (1 - unp) * (1 - math.exp(-touches)), rel=1e-12)
    assert len(set(table.tolist())) > 1


@pytest.mark.parametrize("case", HAZARD_CASES)
def test_purchase_hazard_is_its_reminded_part_times_the_reminder(case):
    # the pass calls hazard_reminded with the looked-up reminder: the same number as hazard, to the bit
    (need, cycle, tr, days, ps, deal, act, ads, content, chatted, demand, disc, cb, other,
     floor, ceil, expo, el, cl, gal, unp, rpa, rpc, cs) = case
    rem = purchase.reminder(ads, content, chatted, unp, rpa, rpc)
    assert purchase.hazard_reminded(need, cycle, tr, days, ps, deal, act, demand, disc, cb, other, floor, ceil,
                                    expo, el, cl, gal, cs, rem) == purchase.hazard(*case)


def test_lost_incentive_is_its_faded_share_times_the_rest():
    for days, deal, tr, memory, rate in [(20, 0.6, 0.3, 10.0, 0.5), (0, 0.9, 0.1, 30.0, 0.03), (365, 0.2, 0.8, 7.0, 1.0)]:
        faded = fatigue.incentive_faded(days, memory)
        assert faded == pytest.approx(1 - math.exp(-days / memory), rel=1e-12)
        assert fatigue.incentive_hazard_after(faded, deal, tr, rate) == fatigue.incentive_hazard(days, deal, tr,
                                                                                                 memory, rate)


def test_readiness_on_numbers_and_arrays():
    assert acquisition.readiness(15.0, 30.0) == 0.5
    assert acquisition.readiness(45.0, 30.0) == 1.0
    np.testing.assert_allclose(acquisition.readiness(np.array([0.0, 10.0, 40.0]), np.array([20.0, 20.0, 20.0])),
                               [0.0, 0.5, 1.0])


def test_failure_leave_probability():
    sc = Scenario.model_validate({"trust": {"failure_loss": 0.4}})
    np.testing.assert_allclose(purchase.ful_failure_leave(sc, np.array([0.0, 0.5, 1.0])), [0.4, 0.2, 0.0])


# --- trust -------------------------------------------------------------------------------------
def _trust_formula(x, content, deal, chatted, consistent, fam, overload, exag, cg, ig, csg, fg, hsl, el):
    gain = cg * content * (1 - deal) + fg * fam + (ig if chatted else 0.0) + (csg if consistent else 0.0)
    loss = el * exag + hsl * overload
    return min(max(x + min(gain, 1.0) * (1 - x) - min(loss, 1.0) * x, 0.0), 1.0)


TRUST_CASES = [
    (0.4, 2.0, 0.3, True, True, 0.6, 0.5, 0.4, 0.02, 0.05, 0.01, 0.03, 0.1, 0.05),
    (0.7, 1.0, 0.8, False, True, 0.25, 0.0, 1.0, 0.1, 0.3, 0.02, 0.04, 0.2, 0.15),
    (0.2, 0.0, 0.1, True, False, 0.9, 2.0, 0.0, 0.05, 0.2, 0.03, 0.01, 0.3, 0.1),
    (0.5, 3.0, 0.5, False, False, 0.0, 1.0, 0.5, 0.15, 0.4, 0.04, 0.05, 0.4, 0.2),
]


@pytest.mark.parametrize("case", TRUST_CASES)
def test_trust_update_is_the_documented_rule(case):
    assert trust.updated(*case) == pytest.approx(_trust_formula(*case), rel=1e-9)


def test_trust_update_caps_gain_and_loss_at_one():
    # gain ≥ 1 takes trust to 1 (not past it); loss ≥ 1 takes it to 0
    assert trust.updated(0.3, 20.0, 0.0, True, True, 1.0, 0.0, 0.0, 0.2, 0.5, 0.05, 0.05, 0.0, 0.0) == 1.0
    assert trust.updated(0.3, 0.0, 0.0, False, False, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0) == 0.0
    # both saturated: x + (1 − x) − x = 1 − x
    assert trust.updated(0.3, 20.0, 0.0, False, False, 0.0, 5.0, 0.0, 0.2, 0.0, 0.0, 0.0, 0.5, 0.0) == pytest.approx(0.7)
    # a gain of exactly 1 and a loss of 0.5
    assert trust.updated(0.4, 10.0, 0.0, False, False, 0.0, 1.0, 0.0, 0.1, 0.0, 0.0, 0.0, 0.5, 0.0) == pytest.approx(0.8)


# --- fatigue -----------------------------------------------------------------------------------
def test_retention_and_background_hazard():
    assert fatigue.retention(7.0) == pytest.approx(0.5 ** (1 / 7))
    assert fatigue.retention(1.0) == 0.5
    assert fatigue.background_hazard(0.2) == pytest.approx(-math.log(0.8) / 365)
    assert 1 - math.exp(-365 * fatigue.background_hazard(0.3)) == pytest.approx(0.3)
    assert fatigue.background_hazard(1.0) == 1.0
    assert fatigue.background_hazard(0.0) == 0.0


def test_fatigue_threshold_added_and_hazards_formulas():
    r = fatigue.retention(5.0)
    assert fatigue.threshold(6.0, 0.4, r, 1.5) == pytest.approx(6.0 / 7.0 / (1 - r) * (1 + 1.5 * 0.4))
    assert fatigue.threshold(3.0, 0.0, r, 2.0) == pytest.approx(3.0 / 7.0 / (1 - r))
    assert fatigue.added(2.0, 1.0, 3.0, 0.2, 0.5, 0.3) == pytest.approx(0.5 * 3.0 + 0.3 * 0.7 * 3.0)
    assert fatigue.added(0.0, 2.0, 0.0, 0.9, 0.7, 1.0) == pytest.approx(1.4)
    assert fatigue.mute_hazard(1.8, 0.6) == pytest.approx(0.6 * 0.8)
    assert fatigue.mute_hazard(1.0, 0.6) == 0.0
    assert fatigue.mute_hazard(0.5, 0.6) == 0.0
    assert fatigue.overload_hazard(5.0, 2.0, 0.4) == pytest.approx(0.4 * 2.5)
    assert fatigue.overload_hazard(2.0, 2.0, 0.4) == 0.0
    assert fatigue.overload_hazard(1.5, 2.0, 0.4) == 0.0
    assert fatigue.overload_hazard(3.0, 1.0, 0.2) == pytest.approx(0.6)
    got = fatigue.incentive_hazard(20.0, 0.6, 0.3, 10.0, 0.5)
    assert got == pytest.approx(0.5 * 0.36 * (1 - math.exp(-2.0)) * 0.7)
    assert fatigue.incentive_hazard(0.0, 0.6, 0.3, 10.0, 0.5) == 0.0
    assert fatigue.incentive_hazard(20.0, 0.6, 1.0, 10.0, 0.5) == 0.0


# --- referral ----------------------------------------------------------------------------------
def test_share_hazard_formula():
    assert referral.share_hazard(True, 0.6, 0.4, 0.5, 1.5, False, 0.1, 3.0) == pytest.approx(0.1 * (0.36 + 0.2) * 1.5)
    assert referral.share_hazard(True, 0.6, 0.4, 0.5, 1.5, True, 0.1, 3.0) == pytest.approx(0.3 * (0.36 + 0.2) * 1.5)
    assert referral.share_hazard(False, 0.6, 0.4, 0.5, 2.0, False, 0.2, 3.0) == pytest.approx(0.2 * 0.2 * 2.0)
    assert referral.share_hazard(False, 0.9, 0.4, 0.0, 2.0, True, 0.2, 3.0) == 0.0


def test_cash_appeal():
    sc = Scenario.model_validate({"strategy": {"referral_reward": 20.0}, "referral": {"reward_share_lift": 3.0},
                                  "product": {"order_value": 60.0}})
    assert referral.cash_appeal(sc, True) == pytest.approx(1.0)
    assert referral.cash_appeal(sc, False) == 0.0
    assert referral.cash_appeal(sc.with_overrides({"strategy.referral_reward": 0.0}), True) == 0.0


# --- lifecycle ---------------------------------------------------------------------------------
F, C, R, M, PT = (Stage.FOLLOWER, Stage.CUSTOMER, Stage.REPEAT, Stage.MEMBER, Stage.PARTNER)


def test_order_rung():
    assert list(lifecycle.order_rung(np.array([-1, 0, 1, 2, 3, 9]))) == [F, F, C, R, R, R]


@pytest.mark.parametrize("args, want", [
    # purchases trust referrals ladder membership min_p partner min_trust min_refs
    ((0, 0.9, 5, True, True, 3, True, 0.7, 2), F),        # no order: never a partner
    ((1, 0.5, 0, True, True, 3, True, 0.7, 2), C),
    ((2, 0.5, 0, True, True, 3, True, 0.7, 2), R),
    ((3, 0.5, 0, True, True, 3, True, 0.7, 2), M),
    ((3, 0.5, 0, True, False, 3, True, 0.7, 2), R),       # no membership programme
    ((4, 0.5, 0, True, True, 4, True, 0.7, 2), M),        # exactly the minimum
    ((3, 0.5, 0, True, True, 4, True, 0.7, 2), R),        # one short
    ((1, 0.7, 2, True, True, 3, True, 0.7, 2), PT),       # exactly the partner minima
    ((1, 0.69, 2, True, True, 3, True, 0.7, 2), C),       # trust short
    ((1, 0.8, 1, True, True, 3, True, 0.7, 2), C),        # referrals short
    ((5, 0.8, 3, True, True, 3, False, 0.7, 2), M),       # no partner programme
    ((5, 0.8, 3, False, True, 3, True, 0.7, 2), R),       # ladder off: order rungs only
    ((1, 0.8, 0, True, True, 3, True, 0.7, 0), PT),       # no referrals needed
])
def test_ladder_rung(args, want):
    assert lifecycle.rung(*args) == want


# --- messaging ---------------------------------------------------------------------------------
def test_received_messages():
    assert messaging.received(2.0, 3.0, 1.0, 4, 0, True, False) == (2.0, 3.0, 1.0)
    assert messaging.received(2.0, 3.0, 1.0, 4, 0, False, False) == (2.0, 0.0, 1.0)   # group, no selling
    assert messaging.received(2.0, 3.0, 1.0, -1, 0, False, False) == (2.0, 3.0, 1.0)  # friend only
    assert messaging.received(2.0, 3.0, 1.0, 0, 0, False, False) == (2.0, 0.0, 1.0)   # group id 0
    assert messaging.received(2.0, 3.0, 1.0, -1, 0, True, True) == (2.0, 0.0, 0.0)    # unpaid, routed
    assert messaging.received(2.0, 3.0, 1.0, -1, 1, True, True) == (2.0, 3.0, 1.0)    # paid, routed


def test_chat_probability():
    assert messaging.chat_probability(10.0, 40) == 0.25
    assert messaging.chat_probability(50.0, 40) == 1.0
    assert messaging.chat_probability(0.0, 40) == 0.0
    assert messaging.chat_probability(10.0, 0) == 0.0


def test_schedule_of_events():
    st = Strategy(welfare_events_per_week=2.0, welfare_discount=0.1, monthly_promo=True, promo_discount=0.3)
    days = [t for t in range(28) if messaging.schedule(st, t)[0]]
    assert messaging.schedule(st, 14) == (True, 0.3)  # the promotion wins over a welfare event
    welfare = [t for t in days if t != 14]
    assert len(welfare) == 8 and all(messaging.schedule(st, t) == (True, 0.1) for t in welfare)
    assert welfare == [3, 6, 10, 13, 17, 20, 24, 27]
    assert messaging.schedule(st, 44) == (True, 0.3) and messaging.schedule(st, 15)[0] is False
    assert messaging.schedule(Strategy(), 14) == (False, 0.0)
    daily = Strategy(welfare_events_per_week=7.0, welfare_discount=0.2)
    assert all(messaging.schedule(daily, t) == (True, 0.2) for t in range(10))


# --- acquisition -------------------------------------------------------------------------------
def test_cost_per_exposure_growth():
    pub = Public(cost_per_exposure=1.5, cost_growth_per_year=0.5)
    assert acquisition.cost_per_exposure(pub, 0) == 1.5
    assert acquisition.cost_per_exposure(pub, 365) == pytest.approx(2.25)
    assert acquisition.cost_per_exposure(pub, 73) == pytest.approx(1.5 * 1.5 ** 0.2)


def test_hook_take_up_probability_and_selection():
    rng = np.random.default_rng(5)
    n = 40_000
    for deal in (0.1, 0.5, 0.9):
        for sel in (-0.8, 0.0, 0.6, 1.0):
            got = acquisition.hook_take_up(Hook(enabled=True, take_up=0.3, selection=sel), np.full(n, deal), rng).mean()
            want = 0.3 * min(max(1 + sel * (2 * deal - 1), 0.0), 2.0)
            assert got == pytest.approx(want, abs=0.015), (deal, sel)
    assert not acquisition.hook_take_up(Hook(enabled=True, take_up=0.0), np.full(10, 0.5), rng).any()
    assert not acquisition.hook_take_up(Hook(enabled=False, take_up=1.0), np.full(10, 0.5), rng).any()
    assert len(acquisition.hook_take_up(Hook(enabled=True, take_up=1.0), np.empty(0), rng)) == 0
    taken = acquisition.hook_take_up(Hook(enabled=True, take_up=1.0), np.full(10, 0.5), rng)
    assert taken.all() and taken.dtype == np.bool_  # a mask, usable as an index


def test_sample_public_rate_and_public_only():
    rng = np.random.default_rng(2)
    stage = np.zeros(50_000, dtype=np.int8)
    stage[::2] = Stage.FOLLOWER
    got = acquisition.sample_public(stage, 0.2, rng)
    assert (stage[got] == Stage.PUBLIC).all() and (np.diff(got) > 0).all()
    assert len(got) == pytest.approx(25_000 * (1 - math.exp(-0.2)), rel=0.05)
    assert len(acquisition.sample_public(stage, 0.0, rng)) == 0
    every = acquisition.sample_public(np.zeros(2000, dtype=np.int8), 5.0, rng)  # share capped at 1
    assert len(every) == pytest.approx(2000 * (1 - math.exp(-1)), rel=0.08)


def test_trust_update_bounds_trust_in_the_unit_interval_even_from_outside():
    args = (0.0, 0.0, False, False, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert trust.updated(1.5, *args) == 1.0
    assert trust.updated(-0.5, *args) == 0.0
    assert trust.updated(0.25, *args) == 0.25


def test_rule_boundaries_just_past_the_thresholds():
    assert fatigue.overload_hazard(3.0, 2.0, 0.4) == pytest.approx(0.6)   # 1.5 × the leave threshold
    assert fatigue.overload_hazard(2.2, 2.0, 0.4) == pytest.approx(0.44)
    sc = Scenario.model_validate({"strategy": {"referral_reward": 1.0}, "referral": {"reward_share_lift": 4.0},
                                  "product": {"order_value": 8.0}})
    assert referral.cash_appeal(sc, True) == pytest.approx(0.5)          # a reward of 1 RMB still pulls
    rare = Strategy(welfare_events_per_week=0.5, welfare_discount=0.1)    # one event a fortnight
    assert [t for t in range(42) if messaging.schedule(rare, t)[0]] == [13, 27, 41]


def test_hook_edge_cases_draw_nothing_when_nothing_can_happen():
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    assert not acquisition.hook_take_up(Hook(enabled=True, take_up=0.0), np.full(10, 0.5), rng).any()
    assert len(acquisition.sample_public(np.zeros(100, dtype=np.int8), 0.0, rng)) == 0
    assert rng.bit_generator.state == before   # a switched-off channel leaves the random stream alone
    assert acquisition.hook_take_up(Hook(enabled=True, take_up=1.0), np.array([0.5]), rng).tolist() == [True]
