"""The referral rules (sim.mechanisms.referral) away from their defaults, one rule at a time.

Campaign seeding for every seed count, joins at the edges of the join rule (the appeal cap,
the need factor, every user reachable in the well-mixed case), group-buys at their
threshold (1 = off, 2, 3; partners lead, the gone do not), and the reward's conditions
(no reward of 0, a reward below 1 RMB, a reward the budget stopped), with the day's other
event bits kept. Tiny populations set up by hand (``siyu_harness``), so the mutation runs
(benchmarks/mutation.sh) can run them as pure Python.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from siyu_harness import joined, new_day, tiny

from sim.mechanisms import pool, referral
from sim.mechanisms.day import Day, Ledger
from sim.model import SiyuModel
from sim.population import NEVER, Event, Source, Stage


def _four_sd(p) -> float:
    p = np.asarray(p, dtype=float)
    return 4.0 * math.sqrt(float((p * (1 - p)).sum())) + 1.0


def _shared(m, ids) -> np.ndarray:
    return (m.pop.events[ids] & Event.SHARED) > 0


# --- campaign seeds ------------------------------------------------------------------------------
def _seed_model(k: int, n: int = 30, seeding: str = "targeted") -> SiyuModel:
    sc = tiny(strategy__seeds_per_campaign=k / n, strategy__seeding=seeding, network__kind="random",
              referral__join_prob=0.0)
    m = joined(sc, n, seed=4)
    rng = np.random.default_rng(11)
    m.pop.trust[:n] = rng.uniform(0.0, 1.0, n)
    m.pop.sociability[:n] = rng.uniform(0.2, 2.0, n)
    m.pop.group_buys[:n] = rng.integers(0, 4, n)
    return m


def _influence(m, ids) -> np.ndarray:
    pop = m.pop
    return (pop.sociability[ids].astype(float) * m.fresh_reach(ids) * (0.1 + pop.trust[ids].astype(float))
            * (1.0 + pop.group_buys[ids]))


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8, 13, 21, 29, 30])
def test_targeted_seeds_are_exactly_the_k_most_influential(k):
    m = _seed_model(k)
    ids = np.arange(30, dtype=np.int64)
    want = set(np.argsort(-_influence(m, ids), kind="stable")[:k].tolist())
    got = referral.pick_seeds(m, ids)
    assert len(got) == k and set(got.tolist()) == want


def test_targeted_seeds_are_the_most_influential_for_every_pool_size():
    # half of each pool of the first L users, for every L up to 400 (numpy's partial sort is
    # nearly a full sort on small arrays, so an off-by-one partition shows only on large pools)
    m = joined(tiny(strategy__seeds_per_campaign=0.5, referral__join_prob=0.0), 400)
    m.pop.sociability[:] = np.random.default_rng(0).uniform(0.0, 1.0, 400)
    m.pop.trust[:] = 0.0
    ids = np.arange(400, dtype=np.int64)
    wrong = []
    for n in range(2, 401):
        want = set(np.argsort(-_influence(m, ids[:n]), kind="stable")[:round(0.5 * n)].tolist())
        if set(referral.pick_seeds(m, ids[:n]).tolist()) != want:
            wrong.append(n)
    assert wrong == []


def test_influence_weighs_group_buys_against_trust():
    # A: more trust, no group-buy (0.85 × 1); B: less trust, one group-buy started (0.5 × 2) — B leads
    sc = tiny(strategy__seeds_per_campaign=0.5, strategy__seeding="targeted", referral__join_prob=0.0)
    m = joined(sc, 2)
    m.pop.sociability[:2] = 1.0
    m.pop.trust[:2] = [0.75, 0.4]
    m.pop.group_buys[:2] = [0, 1]
    assert referral.pick_seeds(m, np.arange(2, dtype=np.int64)).tolist() == [1]
    m.pop.group_buys[1] = 0
    assert referral.pick_seeds(m, np.arange(2, dtype=np.int64)).tolist() == [0]


def test_random_seeds_are_distinct_pool_members_not_the_most_influential():
    m = _seed_model(10, seeding="random")
    ids = np.arange(30, dtype=np.int64)
    top = set(np.argsort(-_influence(m, ids))[:10].tolist())
    got = referral.pick_seeds(m, ids)
    assert len(got) == 10 and len(set(got.tolist())) == 10 and set(got.tolist()) <= set(ids.tolist())
    assert set(got.tolist()) != top   # P(a random draw is the top 10 of 30) = 1 / C(30, 10)


def test_a_campaign_too_small_for_one_seed_still_books_the_spontaneous_sharers():
    # round(0.01 × 40) = 0 seeds; the unprompted sharers share all the same
    sc = tiny(strategy__seeds_per_campaign=0.01, referral__share_rate=1.0, referral__join_prob=0.0)
    m = joined(sc, 40, trust=1.0)
    m.pop.purchases[:40] = 1
    m.pop.sociability[:40] = 5.0
    new_day(m, 5, campaign=True)
    m.day.reach = np.arange(40, dtype=np.int64)
    pool.share(m)
    n = int(_shared(m, np.arange(40)).sum())
    assert n > 20 and m.ledger["referrals"] == n


def test_no_sharers_no_joiners():
    m = joined(tiny(referral__join_prob=1.0), 10, trust=1.0)
    new_day(m, 1, rebates_active=True)
    got = referral.spread(m, np.empty(0, dtype=np.int64))
    assert len(got) == 0 and len(m.pop.stage[got]) == 0   # an id array (indexes the population)
    assert m.ledger["referrals"] == 0 and m.ledger["new_joins"] == 0


# --- the join rule -------------------------------------------------------------------------------
def _edges_to_public(m, sharers) -> dict[int, int]:
    g, out = m.graph, {}
    for s in sharers:
        for t in g.indices[g.indptr[s]:g.indptr[s + 1]]:
            if m.pop.stage[t] == Stage.PUBLIC:
                out[int(t)] = out.get(int(t), 0) + 1
    return out


@pytest.mark.parametrize(("need", "trust", "deal", "want_q"), [
    (0.9, 1.0, 1.0, 0.3 * 1.0 * 1.4),   # appeal 1 + 1 × cash 1 = 2, capped at 1
    (0.9, 0.5, 0.0, 0.3 * 0.5 * 1.4),   # need 0.9 lifts the chance by 0.5 + 0.9
    (0.1, 0.5, 0.0, 0.3 * 0.5 * 0.6),   # need 0.1 lowers it
])
def test_join_chance_caps_the_appeal_at_one_and_scales_with_need(need, trust, deal, want_q):
    sc = tiny(population__n_users=3000, network__kind="random", network__mean_degree=12.0,
              referral__join_prob=0.3, strategy__referral_reward=25.0, referral__reward_share_lift=2.0,
              product__order_value=50.0, strategy__entry_threshold=0.0)
    m = joined(sc, 60, trust=trust)
    public = m.pop.stage == Stage.PUBLIC
    m.pop.need[public] = need
    m.pop.deal[public] = deal
    new_day(m, 2, rebates_active=True)
    assert referral.cash_appeal(sc, True) == pytest.approx(1.0)
    sharers = np.arange(60, dtype=np.int64)
    p = [1 - (1 - want_q) ** k for k in _edges_to_public(m, sharers).values()]
    got = referral.spread(m, sharers)
    assert len(p) > 400 and abs(len(got) - sum(p)) < _four_sd(p)


def test_a_well_mixed_share_can_reach_every_user():
    # user 0 is the only public user; 399 sharers × 20 random contacts miss it with chance e^-20
    sc = tiny(referral__join_prob=1.0, referral__well_mixed_contacts=20, strategy__entry_threshold=0.0)
    m = SiyuModel(sc, seed=0)
    m.day, m.ledger = Day(t=0), Ledger()
    m.touchpoints.admit(np.arange(1, 400, dtype=np.int64), Source.GIFT, None)
    m.pop.trust[1:] = 1.0
    m.pop.need[0] = 1.0
    new_day(m, 1)
    assert referral.spread(m, np.arange(1, 400, dtype=np.int64)).tolist() == [0]


# --- group-buys ----------------------------------------------------------------------------------
def _group_buy_model(size: int, seed: int = 3) -> SiyuModel:
    sc = tiny(referral__join_prob=0.6, referral__well_mixed_contacts=2, strategy__group_buy_size=size,
              strategy__group_buy_discount=0.25, purchase__event_lift=3.0, product__order_value=100.0,
              strategy__entry_threshold=0.0)
    m = joined(sc, 60, trust=1.0, seed=seed)
    m.pop.stage[:20] = Stage.PARTNER
    m.pop.stage[50:60] = Stage.DORMANT
    m.pop.group_buys[:60] = 2
    new_day(m, 2)
    return m


@pytest.mark.parametrize("size", [2, 3])
def test_group_buy_completes_at_exactly_size_minus_one_joiners(size):
    m = _group_buy_model(size)
    sharers = np.arange(60, dtype=np.int64)
    got = referral.spread(m, sharers)
    assert (m.pop.group_buys[:60] == 3).all()   # one more group-buy started by each sharer
    refs = m.pop.referrer[got]
    brought = np.bincount(refs, minlength=60)
    leaders = np.flatnonzero(brought >= size - 1)
    buyers = set(got[np.isin(refs, leaders)].tolist()) | {int(u) for u in leaders if u < 50}  # not the dormant
    # the threshold is met exactly by some, missed by others, by partners and by the dormant
    assert (brought == size - 1).any() and ((brought > 0) & (brought < size - 1)).any() == (size > 2)
    assert (brought[leaders] > 0).all() and (leaders < 20).any() and ((leaders >= 20) & (leaders < 50)).any()
    assert (leaders >= 50).any() and (brought[:50] < size - 1).any()
    bought = set(np.flatnonzero(m.pop.purchases > 0).tolist())
    assert bought == buyers and m.ledger["private_purchases"] == len(buyers)
    assert m.ledger["gmv"] == pytest.approx(75.0 * len(buyers))


def test_a_group_buy_of_one_is_off():
    # size 1 (documented "0 or 1 = off"): same joins as size 0, no lift, no group-buys, no orders
    runs = []
    for size in (0, 1):
        m = _group_buy_model(size, seed=5)
        got = referral.spread(m, np.arange(60, dtype=np.int64))
        runs.append((got.tolist(), m))
    (got0, m0), (got1, m1) = runs
    assert got0 == got1 and len(got1) > 0
    assert (m1.pop.group_buys[:60] == 2).all()
    assert m1.ledger["private_purchases"] == 0 and (m1.pop.purchases == 0).all()


# --- rewards and event bits ----------------------------------------------------------------------
def _reward_model(reward: float) -> SiyuModel:
    sc = tiny(referral__join_prob=1.0, strategy__referral_reward=reward, referral__well_mixed_contacts=5)
    m = joined(sc, 20, trust=1.0)
    new_day(m, 2, rebates_active=True)
    m.pop.events[:20] = Event.BOUGHT | Event.PROMO   # earlier today
    return m


def test_sharing_and_rewards_add_their_bits_to_the_day_s_events():
    m = _reward_model(12.0)
    got = referral.spread(m, np.arange(20, dtype=np.int64))
    rewarded = np.unique(m.pop.referrer[got])
    assert len(got) > 0 and len(rewarded) > 0
    ev = m.pop.events[:20]
    assert ((ev & Event.SHARED) > 0).all() and ((ev & Event.BOUGHT) > 0).all() and ((ev & Event.PROMO) > 0).all()
    assert ((m.pop.events[rewarded] & Event.REWARDED) > 0).all()


def test_a_reward_below_one_rmb_is_paid_per_joiner():
    m = _reward_model(0.5)
    got = referral.spread(m, np.arange(20, dtype=np.int64))
    assert len(got) > 0 and m.ledger["cost_referrals"] == pytest.approx(0.5 * len(got))
    assert (m.pop.last_reward[np.unique(m.pop.referrer[got])] == 2).all()


def test_no_reward_no_reward_event_and_no_reward_memory():
    m = _reward_model(0.0)
    got = referral.spread(m, np.arange(20, dtype=np.int64))
    assert len(got) > 0 and m.ledger["cost_referrals"] == 0 and m.ledger["acq_cost"] == 0
    assert not (m.pop.events[:20] & Event.REWARDED).any() and (m.pop.last_reward[:20] == NEVER).all()


def test_rewards_the_budget_stopped_today_are_not_paid():
    m = _reward_model(12.0)
    m.budget.cut = ("referral_rewards",)   # the budget rule's cut for today
    assert m.budget.stopped("referral_rewards")
    got = referral.spread(m, np.arange(20, dtype=np.int64))
    assert len(got) > 0 and m.ledger["referral_joins"] == len(got)
    assert m.ledger["cost_referrals"] == 0 and m.ledger["acq_cost"] == 0
    assert not (m.pop.events[:20] & Event.REWARDED).any() and (m.pop.last_reward[:20] == NEVER).all()


def test_a_contact_reached_by_several_sharers_is_credited_to_the_first():
    # every exposure succeeds (trust 1, need 1: chance 1.5 ≥ 1), so each public contact joins and
    # is credited to the first sharer, in the order given, whose share reached them
    sc = tiny(population__n_users=3000, network__kind="random", network__mean_degree=12.0,
              referral__join_prob=1.0, strategy__entry_threshold=0.0)
    m = joined(sc, 60, trust=1.0)
    m.pop.need[m.pop.stage == Stage.PUBLIC] = 1.0
    new_day(m, 1)
    g, first = m.graph, {}
    for s in range(60):
        for t in g.indices[g.indptr[s]:g.indptr[s + 1]]:
            if m.pop.stage[t] == Stage.PUBLIC:
                first.setdefault(int(t), s)
    got = referral.spread(m, np.arange(60, dtype=np.int64))
    assert sorted(got.tolist()) == sorted(first)
    reached_twice = {int(t) for s in range(60) for t in g.indices[g.indptr[s]:g.indptr[s + 1]]
                     if int(t) in first and first[int(t)] != s}
    assert len(reached_twice) > 20
    assert {int(t): int(m.pop.referrer[t]) for t in got} == first
