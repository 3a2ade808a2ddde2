"""The day's fused compiled calls (docs/PERFORMANCE.md, issue 9, third round: day) give exactly what
their separate steps give.

Without a budget cap the morning pass and the booking of its orders are one compiled call
(``pool._morning_orders``); with a cap the orders are booked afterwards through ``purchase.book``.
On a day without a campaign the sharers and their cascade's exposures are one compiled call
(``pool._share_cascade``); on a campaign day the cascade runs through ``referral.spread``. Each
pair is compared on the same model state and seed, so a broken fused call (or a broken split
one) shows as a difference. Small populations: these run under the mutation tests (pure Python).
"""

from __future__ import annotations

import numpy as np
import pytest
from siyu_harness import joined, new_day, tiny

from sim.mechanisms import pool
from sim.population import Event, Stage

COLUMNS = ("stage", "rung", "trust", "fatigue", "purchases", "private_purchases", "spend", "last_purchase",
           "last_reward", "leave_day", "leave_cause", "events", "referrals", "group_buys", "referrer")


def _state(m) -> dict:
    cols = {name: getattr(m.pop, name).copy() for name in COLUMNS}
    return {**cols, "ledger": dict(m.ledger), "capacity": m.capacity_left, "churned": m.n_churned(),
            "rng": m.rng.bit_generator.state, "draws": m.draws.tolist(), "reach": m.day.reach.tolist()}


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], np.ndarray):
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        else:
            assert a[key] == b[key], key


def _buying_model(cap: float, **overrides):
    sc = tiny(**{"purchase.conversion_floor": 0.9, "purchase.conversion_ceiling": 1.0, "purchase.unprompted_share": 1.0, "fulfilment.failure_rate": 0.3, "trust.failure_loss": 0.6,
                 "strategy.cashback_rate": 0.2, "strategy.partner_program": True,
                 "strategy.partner_commission": 0.1, "budget.monthly_cap": cap,
                 **{k.replace("__", "."): v for k, v in overrides.items()}})
    m = joined(sc, 300, trust=0.4, seed=3)
    m.pop.need[:300] = 1.0
    m.pop.cycle[:300] = 1.0
    m.pop.last_purchase[:300] = -100
    m.pop.stage[0] = m.pop.rung[0] = Stage.PARTNER
    m.pop.referrer[10:60] = 0
    new_day(m, 7, rebates_active=True)
    m.capacity_left = 25
    return m


@pytest.mark.parametrize("capacity", [0.0, 1.0])
def test_the_morning_books_its_orders_in_one_call_exactly_as_the_booking_does(capacity):
    fused = _buying_model(0.0, fulfilment__capacity_per_day=capacity)
    split = _buying_model(1e9, fulfilment__capacity_per_day=capacity)  # a cap that never binds: booked after
    assert not fused.budget.active and split.budget.active
    pool.morning(fused)
    pool.morning(split)
    a, b = _state(fused), _state(split)
    _assert_same(a, b)
    led = a["ledger"]
    buyers = a["events"] & Event.BOUGHT.value > 0
    failed = a["events"] & Event.FAILED.value > 0
    assert 100 < buyers.sum() == led["private_purchases"] and led["failures"] == failed.sum() > 0
    assert (failed <= buyers).all() and (a["events"] & Event.REWARDED.value > 0).sum() == buyers.sum()
    assert led["cost_rebates"] == pytest.approx(0.2 * fused.scenario.product.order_value * buyers.sum())
    assert led["cost_referrals"] == pytest.approx(0.1 * fused.scenario.product.order_value * buyers[10:60].sum())
    lost = (a["stage"] == Stage.CHURNED) & failed
    assert lost.sum() == led["leaves_failed_order"] > 0 and (a["leave_day"][lost] == 7).all()
    if capacity:
        assert a["capacity"] == 0 and failed.sum() >= buyers.sum() - 25  # beyond capacity every order fails
    else:
        assert a["capacity"] == 25


@pytest.mark.parametrize("network", ["well_mixed", "scale_free"])
def test_sharers_and_their_cascade_in_one_call_equal_the_campaign_days_path(network):
    def model():
        sc = tiny(**{"referral.share_rate": 1.0, "referral.join_prob": 0.5, "network.kind": network,
                     "strategy.group_buy_size": 2, "strategy.referral_reward": 5.0, "strategy.seeds_per_campaign": 0.0})
        m = joined(sc, 150, trust=0.9, seed=5)
        m.pop.purchases[:150] = 1
        new_day(m, 4, rebates_active=True)
        pool.morning(m)
        return m

    fused, split = model(), model()
    split.day.campaign = True  # no seeds (seeds_per_campaign 0): the same sharers through referral.spread
    pool.share(fused)
    pool.share(split)
    a, b = _state(fused), _state(split)
    _assert_same(a, b)
    shared = a["events"] & Event.SHARED.value > 0
    assert shared.sum() == a["ledger"]["referrals"] > 20 and (a["group_buys"][shared] == 1).all()
    assert a["ledger"]["referral_joins"] == a["referrals"].sum() > 0
    assert (a["stage"][150:] != Stage.PUBLIC).sum() == a["ledger"]["referral_joins"]
