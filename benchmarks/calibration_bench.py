"""Benchmark of calibration: 3 parameters fitted to a 90-day pilot at 20,000 users, local and on Dask.

    python benchmarks/calibration_bench.py                     # budget 1,500, all three set-ups
    python benchmarks/calibration_bench.py --budget 600 --only local1

The pilot is the shipped sample ``scenarios/pilots/content_led_pilot.csv`` (content_led at
20,000 users, 90 days, made by the model with the true values in its ``.truth.json``). The
fitted parameters are those three, with the priors below; the base scenario runs 365 days, so
the posterior-predictive forecast (``--seeds`` draws) goes to day 365. Set-ups:

- ``local1``: one process (pyabc's SingleCoreSampler; reproducible by seed);
- ``local2``: two local worker processes (MulticoreEvalParallelSampler);
- ``dask2``: a Dask LocalCluster of 2 single-threaded workers on 127.0.0.1 (DaskDistributedSampler
  on the cluster's client; the forecast through the same DaskBackend).

Reported per set-up: wall time (cluster start-up excluded, reported apart), ABC simulations,
forecast runs, simulations per second, generations, the posterior medians and 90 % intervals
and whether each true value is inside its interval; and the machine's load average before and
after. Timings depend on the machine and on what else runs on it; say so beside any figure.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PILOT = ROOT / "scenarios" / "pilots" / "content_led_pilot.csv"
TRUTH = json.loads((ROOT / "scenarios" / "pilots" / "content_led_pilot.truth.json").read_text(encoding="utf-8"))
PRIORS = {"public.organic_reach_per_day": (0.0, 0.05), "public.platform_conversion": (0.0, 0.5),
          "fatigue.base_churn_per_year": (0.0, 1.0)}


def one(setup: str, budget: int, seeds: int, store: Path) -> dict:
    """One calibration on one set-up; its figures."""
    import sim
    from sim.experiments import DaskBackend
    from sim.planning.calibration import calibrate

    base = sim.load_scenario(TRUTH["scenario"]).with_overrides({"population.n_users": TRUTH["overrides"]["population.n_users"]})
    backend, started = None, 0.0
    if setup == "dask2":
        t0 = time.perf_counter()
        backend = DaskBackend(workers=2)
        started = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        res = calibrate(base, PILOT, PRIORS, seeds=seeds, budget=budget, seed=0,
                        workers=2 if setup == "local2" else 1, backend=backend, store=store)
        wall = time.perf_counter() - t0
    finally:
        if backend is not None:
            backend.close()
    summary = res.summary()
    return {
        "setup": setup, "sampler": res.info["sampler"], "wall_seconds": round(wall, 1),
        "cluster_start_seconds": round(started, 1) if started else None,
        "abc_simulations": res.runs, "forecast_runs": seeds,
        "simulations_per_second": round((res.runs + seeds) / wall, 2),
        "generations": int((res.generations["t"] >= 0).sum()), "population": res.info["population"],
        "final_epsilon": float(res.generations["epsilon"].dropna().iloc[-1]),
        "posterior": {p: {"median": round(s["median"], 4), "q05": round(s["q05"], 4), "q95": round(s["q95"], 4),
                          "shrinkage": round(s["shrinkage"], 3),
                          "truth": TRUTH["true_values"][p],
                          "truth_inside": s["q05"] <= TRUTH["true_values"][p] <= s["q95"]}
                      for p, s in summary.items()},
        "id": res.id,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=1500, help="ABC simulations (default 1,500)")
    parser.add_argument("--seeds", type=int, default=20, help="forecast runs (default 20)")
    parser.add_argument("--only", choices=["local1", "local2", "dask2"], action="append",
                        help="run only these set-ups (repeatable)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    setups = args.only or ["local1", "local2", "dask2"]
    out = {"benchmark": "calibration", "pilot": str(PILOT.relative_to(ROOT)), "users": 20_000, "pilot_days": 90,
           "horizon_days": 365, "parameters": list(PRIORS), "budget": args.budget, "cpus": os.cpu_count(),
           "load_before": [round(x, 2) for x in os.getloadavg()], "results": []}
    with tempfile.TemporaryDirectory() as tmp:
        for setup in setups:
            r = one(setup, args.budget, args.seeds, Path(tmp))
            out["results"].append(r)
            print(json.dumps(r), flush=True)
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
