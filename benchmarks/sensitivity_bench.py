"""Benchmark of ``siyu sensitivity``: a Morris screening of 20 parameters, locally and on 2 Dask workers.

    python benchmarks/sensitivity_bench.py                         # 20,000 users × 365 days (the issue's size)
    python benchmarks/sensitivity_bench.py --users 2000 --days 90  # a quick look

The screening varies 20 number fields of the ``trust`` and ``fatigue`` sections of
content_led (the first 20, over their schema ranges) with ``--samples`` Morris trajectories ×
``--seeds`` replicates, plus the tornado (each parameter at its low and high end): runs =
(trajectories × 21 + 41) × seeds. It runs once through the local process pool (2 workers) and
once through a Dask LocalCluster of 2 workers on 127.0.0.1, each into its own temporary store,
and prints wall time, runs, runs/s and the top-5 parameters by μ* as one JSON document. The
two backends must give the same indices (a run depends only on its scenario and seed); the
benchmark checks it. Wall times include starting the workers and compiling nothing (the
compiled rules are cached); they depend on the machine and its load — say so beside any figure.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np

import sim
from sim.experiments import DaskBackend, LocalBackend
from sim.planning import sensitivity as sa

PARAMS = 20


def paths() -> list[str]:
    """The 20 screened parameters: the trust and fatigue sections' number fields, in schema order."""
    base = sim.load_scenario("content_led")
    return [f.path for f in sa.factors(base, [], ["trust", "fatigue"])][:PARAMS]


def one(backend, scenario: sim.Scenario, samples: int, seeds: int) -> dict:
    with tempfile.TemporaryDirectory() as store:
        t0 = time.perf_counter()
        res = sa.sensitivity(scenario, "morris", vary=paths(), kpi="cum_profit", samples=samples, seeds=seeds,
                             backend=backend, store=store)
        wall = time.perf_counter() - t0
    return {"backend": res.backend, "runs": res.runs, "points": res.points, "wall_seconds": round(wall, 1),
            "runs_per_second": round(res.runs / wall, 2), "seed_share": round(res.seed_share, 4),
            "top5": res.table[["parameter", "mu_star"]].head(5).round(1).values.tolist(),
            "_mu_star": res.table.sort_values("parameter")["mu_star"].to_numpy()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--samples", type=int, default=4, help="Morris trajectories")
    ap.add_argument("--seeds", type=int, default=2)
    args = ap.parse_args()
    scenario = sim.load_scenario("content_led").with_overrides(
        {"population.n_users": args.users, "horizon_days": args.days})
    out = {"size": f"{args.users:,} users × {args.days} days", "parameters": PARAMS, "samples": args.samples,
           "seeds": args.seeds, "load_average_start": [round(x, 1) for x in os.getloadavg()], "results": []}
    mus = []
    for make in (lambda: LocalBackend(workers=2), lambda: DaskBackend(workers=2)):
        with make() as backend:
            r = one(backend, scenario, args.samples, args.seeds)
        mus.append(r.pop("_mu_star"))
        out["results"].append(r)
    out["same_indices_on_both_backends"] = bool(np.array_equal(mus[0], mus[1]))
    out["load_average_end"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
