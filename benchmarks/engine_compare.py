"""Time the dashboard's cold comparison and one small run per shipped scenario (engine speed).

Usage (from the repository root)::

    .venv/bin/python benchmarks/engine_compare.py [--users 20000] [--days 365] [--seeds 10]
        [--repeat 3] [--skip-compare] [--skip-runs] [--breakdown]

1. *Per-run cost*: each of the six dashboard scenarios once per seed 0..2 in this process (the
   compiled passes loaded first), best of ``--repeat``; the process CPU time of
   :func:`sim.simulate` (set-up, days and results; less sensitive than wall time to other load
   on a shared machine), reported as seconds per run and as µs per pool-user-day (divided by
   the sum over days of the users in the private pool, reachable or dormant, at the end of
   each day).
2. *Cold comparison*: :func:`dashboard.runs.ensembles` on an empty cache, 6 scenarios × 10 seeds,
   exactly as the Compare page's "Run comparison" does it (worker processes on every core);
   reported in runs per second, best of ``--repeat``.

3. *Breakdown* (``--breakdown``): where the cold comparison's time goes. Per run, in this
   process (CPU time, mean over the six scenarios × seeds 0..2): set-up (population and
   network), the days (``step``, including the day's results row), results building (daily
   table, users table, KPIs) and transfer (pickling the run as a worker sends it back, and
   unpickling it). Then one cold comparison with the CPU time of the worker processes (summed
   from ``/proc``), of this process (receiving the runs, aggregation) and the idle share of
   the cores over its wall time.

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


def split_run(names, users: int, days: int) -> dict[str, float]:
    """Mean CPU seconds per run of set-up, days, results building and transfer (see module doc)."""
    import pickle

    import sim
    from sim import results
    from sim.model import SiyuModel
    from sim.results import RunResult
    from sim.runner import _release, kpis, warm_up

    warm_up()
    lazy = getattr(results, "UsersTable", None)
    clock = time.process_time
    tot = dict.fromkeys(("set-up", "days", "results", "transfer"), 0.0)
    n = 0
    SPLIT_TIMES.clear()
    for name in names:
        sc = sim.load_scenario(name).with_overrides({"population.n_users": users, "horizon_days": days})
        for seed in range(3):
            t0 = clock()
            model = SiyuModel(sc, seed=seed)
            t1 = clock()
            if hasattr(model, "advance"):  # as sim.runner.simulate runs the days
                model.advance(days)
            else:  # an older tree
                for _ in range(days):
                    model.step()
            t2 = clock()
            daily = model.daily()
            if lazy is None:  # (an older tree: the whole users table for the KPIs and the transfer)
                table = sent = model.pop.table()
            else:  # as sim.runner.simulate does it: the KPIs' columns; the arrays are sent
                sent = lazy(model.pop)
                table = sent.kpi_columns() if hasattr(sent, "kpi_columns") else sent.kpi_frame()
            run = RunResult(scenario=None, seed=seed, daily=daily, users=sent, trace=model.trace(),
                            summary=kpis(daily, table, days, discount_rate=sc.finance.discount_rate))
            t3 = clock()
            pickle.loads(pickle.dumps(run, protocol=pickle.HIGHEST_PROTOCOL))
            t4 = clock()
            _release(model)
            for key, dt in zip(tot, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                tot[key] += dt
            SPLIT_TIMES.setdefault(name, []).append(t4 - t0)
            n += 1
    return {k: v / n for k, v in tot.items()}


#: CPU seconds of each run of :func:`split_run`, by scenario (seeds 0, 1, 2)
SPLIT_TIMES: dict[str, list[float]] = {}


def makespan(times: list[float], cores: int) -> float:
    """Seconds until ``cores`` workers finish ``times``, each taking the next run when free (a pool)."""
    free = [0.0] * cores
    for dt in times:
        i = free.index(min(free))
        free[i] += dt
    return max(free)


def _cpu_of(pids) -> float:
    """User + system CPU seconds of the live processes ``pids`` (Linux ``/proc``)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def compare_breakdown(names, users: int, days: int, seeds: int) -> dict[str, float]:
    """Wall time of one cold comparison, the CPU time of its workers and of this process."""
    import sim
    from dashboard import runs
    from sim import runner

    scenarios = {n: runs.sized(sim.load_scenario(n), users, days) for n in names}
    runs.CACHE.clear()
    pool = runner._SHARED.get("pool")
    before = {pid: _cpu_of([pid]) for pid in getattr(pool, "_processes", None) or {}}
    t0, c0 = time.perf_counter(), time.process_time()
    runs.ensembles(scenarios, list(range(seeds)))
    wall, main = time.perf_counter() - t0, time.process_time() - c0
    pool = runner._SHARED.get("pool")
    pids = list(getattr(pool, "_processes", None) or {})
    workers = sum(_cpu_of([pid]) - before.get(pid, 0.0) for pid in pids)
    return {"wall": wall, "workers_cpu": workers, "main_cpu": main, "cores": max(1, len(pids)),
            "runs": len(names) * seeds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-compare", action="store_true")
    ap.add_argument("--skip-runs", action="store_true")
    ap.add_argument("--breakdown", action="store_true", help="split a run's and the comparison's time")
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

    if args.breakdown:
        per = split_run(SCENARIOS, args.users, args.days)
        total = sum(per.values())
        print("| per run (CPU, mean of 6 scenarios × 3 seeds) | ms | share |\n|---|---:|---:|")
        for key, v in per.items():
            print(f"| {key} | {v * 1e3:.1f} | {v / total:.0%} |")
        print(f"| total | {total * 1e3:.1f} | |")
        seeds = [[t[i % len(t)] for i in range(args.seeds)] for t in SPLIT_TIMES.values()]
        apart = sum(makespan(t, 2) for t in seeds)
        together = makespan([dt for t in seeds for dt in t], 2)
        print(f"on 2 cores, from these runs' CPU times (seed i costing as seed i mod 3): {len(seeds)} x "
              f"{args.seeds} runs take {apart:.2f} s one scenario after the other, {together:.2f} s as one batch")
        b = compare_breakdown(SCENARIOS, args.users, args.days, args.seeds)
        idle = b["cores"] * b["wall"] - b["workers_cpu"] - b["main_cpu"]
        print(f"cold comparison: {b['runs']} runs in {b['wall']:.2f} s wall ({b['runs'] / b['wall']:.2f} runs/s); "
              f"CPU of {b['cores']} workers {b['workers_cpu']:.2f} s ({b['workers_cpu'] / b['runs'] * 1e3:.0f} ms per run), "
              f"this process {b['main_cpu']:.2f} s; cores x wall not used by either {idle:.2f} s "
              f"(other load, waits); load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
