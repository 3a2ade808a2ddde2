"""Pinned results: a few KPIs of small runs, exactly as the engine gave them when they were pinned.

The engine's optimisations (docs/PERFORMANCE.md) must keep every run bit-identical per seed:
the same random draws in the same order, the same rules. These runs cover acquisition and
hooks, the three compiled passes, referral cascades over the scale-free network with
group-buys and campaigns, a binding budget cap, a public shock and limited fulfilment
capacity. If a change alters any of these numbers on purpose (new draws, a changed rule), the
change must say so and docs/PERFORMANCE.md must show the shipped scenarios' medians before and
after; then re-pin.
"""

from __future__ import annotations

import math

import pytest

import sim

N_USERS, DAYS, SEED = 5000, 200, 7

#: (scenario, overrides) -> (cum_profit, final_private_pool, gmv_total, mutes_total,
#: referral_joins_total, mean_trust, messages sent, purchases by all users, budget_bound_day)
PINNED = {
    ("content_led", ()): (-7006.516267640989, 239.0, 21600.0, 56.0, 6.0, 0.5894341468811035,
                          41790.35000000002, 272, math.inf),
    ("hybrid_referral", ()): (-8357.619587500249, 492.0, 32580.0, 90.0, 126.0, 0.4496224522590637,
                              51339.00000000005, 443, math.inf),
    ("rebate_led", (("budget.yearly_cap", 9000.0),)): (-2770.3961371282376, 140.0, 13360.0, 133.0, 4.0,
                                                       0.07114291191101074, 13530.0, 167, 97.0),
    ("black_swan", (("fulfilment.capacity_per_day", 3.0),)): (-7567.370294947071, 182.0, 16820.0, 44.0, 5.0,
                                                             0.670964777469635, 38999.85000000006, 212,
                                                             math.inf),
}


@pytest.mark.parametrize("key", list(PINNED), ids=[k[0] + ("+" if k[1] else "") for k in PINNED])
def test_small_run_is_bit_identical_to_its_pinned_kpis(key):
    name, overrides = key
    sc = sim.load_scenario(name).with_overrides({"population.n_users": N_USERS, "horizon_days": DAYS,
                                                 **dict(overrides)})
    run = sim.simulate(sc, SEED)
    s = run.summary
    got = (s["cum_profit"], s["final_private_pool"], s["gmv_total"], s["mutes_total"], s["referral_joins_total"],
           s["mean_trust"], float(run.daily["messages_sent"].sum()), int(run.users["purchases"].sum()),
           s["budget_bound_day"])
    assert got == PINNED[key]  # exact: any change of draws or rules shows here
