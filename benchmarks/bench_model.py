"""Time one replicate of the model at several population sizes and print a markdown table.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_model.py [--sizes 10000,100000,1000000]
        [--scenario hybrid_referral[,content_led|all]] [--days 365] [--repeat 1] [--seed 1]

Every configuration runs in a fresh subprocess so that its peak memory, read from
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` at the end of the run, belongs to that
configuration alone (tracemalloc is far too slow for numpy-heavy code). Reported per
configuration: *compiled rules* (``sim.runner.warm_up``: compiling the per-user passes, or loading them from
numba's on-disk cache; not part of the total), *set-up* (building :class:`sim.model.SiyuModel`:
population, network, groups),
*run* (stepping through the horizon), *results* (the daily table, the per-user table and the
KPIs, as :func:`sim.simulate` builds them), *total* (wall clock) and *total CPU* (process CPU
time, less sensitive to other load on the machine), the peak RSS and the RSS right after the
imports (the interpreter, numpy, pandas, scipy and mesa). With ``--repeat N`` each
configuration runs N times (each in its own process) and the fastest total is reported.
There are no timed assertions here: this script measures, it does not test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from configurations import DEFAULT_SCENARIO, HORIZON_DAYS, SCENARIOS, Config, size_of  # noqa: E402


def _maxrss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024.0 * 1024.0) if sys.platform == "darwin" else rss / 1024.0


def measure(cfg: Config) -> dict[str, float]:
    """Run one configuration in this process and return its timings (s) and memory (MB)."""
    import sim
    from sim.model import SiyuModel
    from sim.runner import kpis, warm_up

    w0 = time.perf_counter()
    warm_up()  # compile the per-user passes, or load them from numba's on-disk cache
    jit_s = time.perf_counter() - w0
    base_rss = _maxrss_mb()
    scenario = sim.load_scenario(cfg.scenario).with_overrides(cfg.overrides())
    c0, t0 = time.process_time(), time.perf_counter()
    model = SiyuModel(scenario, seed=cfg.seed)
    c1, t1 = time.process_time(), time.perf_counter()
    model.advance(scenario.horizon_days)  # as sim.runner.simulate runs the days
    c2, t2 = time.process_time(), time.perf_counter()
    daily = model.daily()
    users = model.pop.table()
    summary = kpis(daily, users, scenario.horizon_days)
    c3, t3 = time.process_time(), time.perf_counter()
    return {
        "scenario": cfg.scenario, "n_users": cfg.n_users, "days": cfg.horizon_days,
        "jit_s": jit_s, "setup_s": t1 - t0, "run_s": t2 - t1, "results_s": t3 - t2, "total_s": t3 - t0,
        "setup_cpu_s": c1 - c0, "run_cpu_s": c2 - c1, "total_cpu_s": c3 - c0,
        "peak_rss_mb": _maxrss_mb(), "import_rss_mb": base_rss,
        "cum_profit": summary["cum_profit"],
    }


def run_in_subprocess(cfg: Config) -> dict[str, float]:
    """Measure ``cfg`` in a fresh interpreter (so peak RSS is this configuration's own)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker",
           json.dumps({"scenario": cfg.scenario, "n_users": cfg.n_users,
                       "horizon_days": cfg.horizon_days, "seed": cfg.seed})]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark of {cfg} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    """One line describing the machine and library versions."""
    import numpy

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores, {cpu}; Python {platform.python_version()}, "
            f"numpy {numpy.__version__}")


def table(rows: list[dict[str, float]]) -> str:
    """Markdown table of measured rows."""
    head = ("| scenario | users | days | compiled rules (s) | set-up (s) | run (s) | results (s) "
            "| total (s) | total CPU (s) | peak RSS (MB) | RSS after imports (MB) |")
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        lines.append(
            f"| {r['scenario']} | {r['n_users']:,} | {r['days']} | {r['jit_s']:.2f} | {r['setup_s']:.2f} "
            f"| {r['run_s']:.2f} | {r['results_s']:.2f} | {r['total_s']:.2f} "
            f"| {r['total_cpu_s']:.2f} | {r['peak_rss_mb']:.0f} | {r['import_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="comma-separated user counts or names (small, medium, large)")
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO,
                        help=f"scenario name(s), comma-separated, or 'all' ({', '.join(SCENARIOS)})")
    parser.add_argument("--days", type=int, default=HORIZON_DAYS, help="horizon in days")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs per configuration (fastest kept)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker is not None:
        print(json.dumps(measure(Config(**json.loads(args.worker)))))
        return 0

    names = list(SCENARIOS) if args.scenario == "all" else [s.strip() for s in args.scenario.split(",")]
    sizes = [size_of(s) for s in args.sizes.split(",") if s.strip()]
    print(machine(), flush=True)
    rows = []
    for name in names:
        for n in sizes:
            cfg = Config(scenario=name, n_users=n, horizon_days=args.days, seed=args.seed)
            runs = [run_in_subprocess(cfg) for _ in range(max(1, args.repeat))]
            best = min(runs, key=lambda r: r["total_s"])
            rows.append(best)
            print(f"  {name} {n:,} users: set-up {best['setup_s']:.2f} s, run {best['run_s']:.2f} s, "
                  f"total {best['total_s']:.2f} s, peak {best['peak_rss_mb']:.0f} MB", flush=True)
    print()
    print(table(rows))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
