"""Benchmark of the experiment layer: backend throughput and a 1,000-run sweep's wall time and memory.

    python benchmarks/bench_sweep.py                      # full: 20,000 users × 365 days
    python benchmarks/bench_sweep.py --sweep-users 5000   # the 1,000-run sweep at a smaller population

Part 1, throughput (runs/s) of runs of ``--users`` × ``--days`` (content_led, distinct seeds),
after each backend has started and warmed up: the local process pool with 2 workers, Dask with
1 worker, Dask with 2 workers (a LocalCluster on 127.0.0.1). Reported: runs/s, the 2-vs-1
Dask speed-up and the Dask overhead against the local pool at 2 workers.

Part 2, a sweep of ``--sweep-runs`` runs (a grid over strategy.ad_posts_per_day × 10 seeds,
daily tables stored) through Dask with 2 workers into a temporary store: wall time, and the
peak resident memory of this process plus all its children (scheduler, nannies, workers)
sampled every 0.2 s, reported separately for each quarter of the sweep — flat memory means the
last quarter's peak is no higher than the first's.

Timings depend on the machine and on what else runs on it; say so beside any figure.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import psutil

import sim
from sim.experiments import DaskBackend, LocalBackend, grid, sweep


def throughput(backend, scenario: sim.Scenario, runs: int) -> float:
    """Runs per second of ``runs`` distinct seeds on a started backend (after a warm-up batch)."""
    backend.run([(scenario, 10_000 + i) for i in range(backend.workers)])
    t0 = time.perf_counter()
    backend.run([(scenario, i) for i in range(runs)])
    return runs / (time.perf_counter() - t0)


class MemorySampler:
    """Peak RSS (bytes) of this process and its descendants, sampled in a thread."""

    def __init__(self, period: float = 0.2) -> None:
        self.period = period
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        """Current RSS of this process and all its descendants."""
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(self.period)

    def start(self) -> MemorySampler:
        """Start sampling."""
        self._thread.start()
        return self

    def reset(self) -> int:
        """Return the peak so far and start a new window."""
        peak, self.peak = self.peak, self.rss()
        return peak

    def stop(self) -> int:
        """Stop sampling; return the peak of the last window."""
        self._stop.set()
        self._thread.join()
        return self.peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--runs", type=int, default=24, help="runs per throughput measurement")
    ap.add_argument("--sweep-runs", type=int, default=1_000)
    ap.add_argument("--sweep-users", type=int, default=20_000)
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    out: dict = {"users": args.users, "days": args.days}
    base = sim.load_scenario("content_led").with_overrides(
        {"population.n_users": args.users, "horizon_days": args.days})

    if not args.skip_throughput:
        with LocalBackend(workers=2) as b:
            out["local_2"] = throughput(b, base, args.runs)
        with DaskBackend(workers=1) as b:
            out["dask_1"] = throughput(b, base, args.runs)
        with DaskBackend(workers=2) as b:
            out["dask_2"] = throughput(b, base, args.runs)
        out["dask_speedup_2_vs_1"] = out["dask_2"] / out["dask_1"]
        out["dask_overhead_vs_local"] = 1 - out["dask_2"] / out["local_2"]
        print(f"| backend ({args.users:,} users × {args.days} days, {args.runs} runs) | runs/s |")
        print("|---|---|")
        for k in ("local_2", "dask_1", "dask_2"):
            print(f"| {k} | {out[k]:.2f} |")
        print(f"Dask 2 vs 1 worker: {out['dask_speedup_2_vs_1']:.2f}×; "
              f"Dask overhead vs local at 2 workers: {out['dask_overhead_vs_local']:+.1%}")

    if not args.skip_sweep:
        seeds = 10
        points = max(1, args.sweep_runs // seeds)
        design = grid({"strategy.ad_posts_per_day": [round(0.1 * (i + 1), 3) for i in range(points)]})
        scn = base.with_overrides({"population.n_users": args.sweep_users})
        sampler = MemorySampler().start()
        quarters: list[int] = []
        total = points * seeds

        def progress(done: int, n: int) -> None:
            if done and done % max(1, n // 4) == 0 and len(quarters) < 4:
                quarters.append(sampler.reset())

        with tempfile.TemporaryDirectory() as tmp, DaskBackend(workers=2) as backend:
            t0 = time.perf_counter()
            result = sweep(scn, design, seeds, backend=backend, store=tmp, id="bench", daily=True,
                           progress=progress)
            wall = time.perf_counter() - t0
            stored = len(result.table)
            size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
        peak = max(sampler.stop(), *quarters) if quarters else sampler.stop()
        out["sweep"] = {"runs": total, "stored": stored, "users": args.sweep_users, "days": args.days,
                        "wall_seconds": wall, "runs_per_second": total / wall,
                        "peak_rss_mb": peak / 2**20, "peak_rss_by_quarter_mb": [q / 2**20 for q in quarters],
                        "store_mb": size / 2**20}
        s = out["sweep"]
        print(f"sweep: {total:,} runs of {args.sweep_users:,} users × {args.days} days (daily tables stored), "
              f"Dask 2 workers: {wall:.0f} s ({s['runs_per_second']:.2f} runs/s), peak RSS "
              f"{s['peak_rss_mb']:.0f} MB (all processes); per quarter "
              + ", ".join(f"{q:.0f}" for q in s["peak_rss_by_quarter_mb"]) + f" MB; store {s['store_mb']:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
