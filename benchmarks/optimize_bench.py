"""Benchmark of ``siyu optimize``: a 100-trial search of 4 decision variables, locally and on 2 Dask workers.

    python benchmarks/optimize_bench.py                          # 20,000 users × 365 days (the issue's size)
    python benchmarks/optimize_bench.py --users 2000 --days 90   # a quick look

The search optimises the median cumulative profit of hybrid_referral over four strategy levers
(content posts a day 0–4, ad posts a day 0–3, referral reward 0–30 RMB, campaign interval 7–60
days, an integer) under two constraints (total cost ≤ 120,000 RMB, churn ≤ 25 %, on the seed
medians), ``--trials`` trials × ``--seeds`` seeds with common random numbers, then re-evaluates the
best plan on ``--fresh`` fresh seeds beside the base and content_led: runs = trials × seeds +
fresh × 3. It runs once through the local process pool (2 workers) and once through a Dask
LocalCluster of 2 workers on 127.0.0.1, each into its own temporary store, and prints wall
time, runs, runs/s, the best plan and its re-evaluation as one JSON document. The two backends
must give the same search (same sampler seed, trials told in order, runs depend only on
scenario and seed); the benchmark checks it. Wall times depend on the machine and its load —
say so beside any figure.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import sim
from sim.experiments import DaskBackend, LocalBackend
from sim.planning import optimize as op

DECIDE = {"strategy.content_posts_per_day": (0, 4), "strategy.ad_posts_per_day": (0, 3),
          "strategy.referral_reward": (0, 30), "strategy.campaign_every_days": (7, 60)}
CONSTRAINTS = ["cost_total<=120000", "churn_rate<=0.25"]


def one(backend, scenario: sim.Scenario, trials: int, seeds: int, fresh: int) -> dict:
    with tempfile.TemporaryDirectory() as store:
        t0 = time.perf_counter()
        res = op.optimize(scenario, DECIDE, "cum_profit", constraints=CONSTRAINTS, trials=trials, seeds=seeds,
                          fresh_seeds=fresh, compare=["content_led"], backend=backend, store=store)
        wall = time.perf_counter() - t0
    bands = res.reeval_bands().set_index(["scenario", "kpi"])
    reeval = {s: {k: [round(bands.loc[(s, k), q], 3) for q in ("q10", "q50", "q90")]
                  for k in ("cum_profit", "cost_total", "churn_rate")}
              for s in dict.fromkeys(res.reevaluation["scenario"])} if res.feasible else {}
    best = res.trials[res.trials["trial"] == res.best].iloc[0] if res.feasible else None
    return {"backend": res.info["backend"], "runs": res.info["runs"], "trials": trials,
            "wall_seconds": round(wall, 1), "runs_per_second": round(res.info["runs"] / wall, 2),
            "feasible_trials": int(res.trials["feasible"].sum()),
            "best_trial": res.best, "best_plan": {k: round(float(v), 3) for k, v in res.plan().items()},
            "best_objective_search": None if best is None else round(float(best["objective"]), 1),
            "reevaluation_q10_q50_q90": reeval, "_trials": res.trials}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--fresh", type=int, default=5)
    ap.add_argument("--only", choices=["local", "dask"], default=None, help="Run one backend only.")
    args = ap.parse_args()
    scenario = sim.load_scenario("hybrid_referral").with_overrides(
        {"population.n_users": args.users, "horizon_days": args.days})
    out = {"size": f"{args.users:,} users × {args.days} days", "decisions": list(DECIDE), "constraints": CONSTRAINTS,
           "trials": args.trials, "seeds": args.seeds, "fresh_seeds": args.fresh,
           "load_average_start": [round(x, 1) for x in os.getloadavg()], "results": []}
    tables = []
    makers = {"local": lambda: LocalBackend(workers=2), "dask": lambda: DaskBackend(workers=2)}
    for name, make in makers.items():
        if args.only and name != args.only:
            continue
        with make() as backend:
            r = one(backend, scenario, args.trials, args.seeds, args.fresh)
        tables.append(r.pop("_trials"))
        out["results"].append(r)
    if len(tables) == 2:
        out["same_search_on_both_backends"] = bool(tables[0].equals(tables[1]))
    out["load_average_end"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(out, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
