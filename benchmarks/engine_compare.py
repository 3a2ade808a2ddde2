"""Time the dashboard's cold comparison and one small run per shipped scenario (engine speed).

Usage (from the repository root)::

    .venv/bin/python benchmarks/engine_compare.py [--users 20000] [--days 365] [--seeds 10]
        [--repeat 3] [--skip-compare]

1. *Per-run cost*: each of the six dashboard scenarios once per seed 0..2 in this process (the
   compiled passes loaded first), best of ``--repeat``; the process CPU time of
   :func:`sim.simulate` (set-up, days and results; less sensitive than wall time to other load
   on a shared machine), reported as seconds per run and as µs per pool-user-day (divided by
   the sum over days of the users in the private pool, reachable or dormant, at the end of
   each day).
2. *Cold comparison*: :func:`dashboard.runs.ensembles` on an empty cache, 6 scenarios × 10 seeds,
   exactly as the Compare page's "Run comparison" does it (worker processes on every core);
   reported in runs per second, best of ``--repeat``.

There are no timed assertions: this script measures. The machine is shared; compare figures
taken in the same minute, and read ``os.getloadavg()`` printed beside them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCENARIOS = ("public_only", "rebate_led", "content_led", "spam_blast", "hybrid_referral", "community_no_sell")


def per_run(names, users: int, days: int, repeat: int) -> list[tuple[str, float, float]]:
    """(scenario, best seconds per run, µs per pool-user-day) for each scenario."""
    import sim
    from sim.runner import warm_up

    warm_up()
    out = []
    for name in names:
        sc = sim.load_scenario(name).with_overrides({"population.n_users": users, "horizon_days": days})
        best, pool_days = float("inf"), 0.0
        for _ in range(repeat):
            for seed in range(3):
                t0 = time.process_time()
                run = sim.simulate(sc, seed)
                dt = time.process_time() - t0
                if dt < best:
                    best, pool_days = dt, float(run.daily["private_pool"].sum())
        out.append((name, best, best / pool_days * 1e6 if pool_days else float("nan")))
    return out


def cold_compare(names, users: int, days: int, seeds: int) -> float:
    """Runs per second of one cold dashboard comparison."""
    import sim
    from dashboard import runs

    scenarios = {n: runs.sized(sim.load_scenario(n), users, days) for n in names}
    runs.CACHE.clear()
    t0 = time.perf_counter()
    runs.ensembles(scenarios, list(range(seeds)))
    return len(names) * seeds / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-compare", action="store_true")
    ap.add_argument("--skip-runs", action="store_true")
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    if not args.skip_runs:
        rows = per_run(SCENARIOS, args.users, args.days, args.repeat)
        print("| scenario | CPU s per run | µs per pool-user-day |\n|---|---:|---:|")
        for name, s, us in rows:
            print(f"| {name} | {s:.3f} | {us:.3f} |")
        print(f"| all six | {sum(r[1] for r in rows):.3f} | |")
    if not args.skip_compare:
        best = max(cold_compare(SCENARIOS, args.users, args.days, args.seeds) for _ in range(args.repeat))
        print(f"cold comparison ({len(SCENARIOS)} × {args.seeds} × {args.users:,} users × {args.days} days): "
              f"{best:.2f} runs/s (best of {args.repeat}); load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
