"""Time the dashboard's comparison from a cold cache, and a presentation-only rerun.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_dashboard.py [--users 20000] [--days 365] [--seeds 10]
        [--scenarios public_only,rebate_led,content_led,spam_blast,hybrid_referral,community_no_sell]

1. *Cold comparison*: every run simulated (empty cache), exactly as the Compare page's
   "Run comparison" does it (:func:`dashboard.runs.ensembles`, worker processes when worthwhile).
2. *Warm fetch*: the same comparison again, all runs from the cache.
3. *Presentation reruns*: the real app (Streamlit's AppTest) on that warm cache — the first
   render, then changing the baseline, the chart and the language; none may simulate.

Prints a markdown table. There are no timed assertions here: this script measures.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_SCENARIOS = "public_only,rebate_led,content_led,spam_blast,hybrid_referral,community_no_sell"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--scenarios", default=DEFAULT_SCENARIOS)
    args = ap.parse_args()
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]

    t0 = time.perf_counter()
    import sim
    from dashboard import runs
    t_import = time.perf_counter() - t0

    scenarios = {n: runs.sized(sim.load_scenario(n), args.users, args.days) for n in names}
    seeds = list(range(args.seeds))
    total_runs = len(names) * len(seeds)
    runs.CACHE.clear()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    runs.ensembles(scenarios, seeds, progress=lambda d, n: print(f"\r  simulating {int(d)}/{n}", end="",
                                                                    file=sys.stderr))
    t_cold = time.perf_counter() - t0
    cpu_cold = time.process_time() - cpu0
    print(file=sys.stderr)
    simulated = runs.CACHE.simulated

    t0 = time.perf_counter()
    runs.ensembles(scenarios, seeds)
    t_warm = time.perf_counter() - t0
    assert runs.CACHE.simulated == simulated, "the warm fetch simulated something"

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=600)
    for key, value in {"cmp.scenarios": names, "cmp.n_users": args.users, "cmp.horizon": args.days,
                       "cmp.seeds": args.seeds}.items():
        at.session_state[key] = value
    timings: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    at.run()
    timings.append(("first render (warm cache)", time.perf_counter() - t0))
    steps = [("change baseline", lambda: at.selectbox(key="cmp.baseline").set_value(names[-1])),
             ("chart: pool by stage", lambda: at.radio(key="cmp.chart").set_value("pool")),
             ("chart: costs by kind", lambda: at.radio(key="cmp.chart").set_value("costs")),
             ("language: 中文", lambda: at.radio(key="lang").set_value("zh"))]
    for label, change in steps:
        change()
        t0 = time.perf_counter()
        at.run()
        timings.append((label, time.perf_counter() - t0))
    if at.exception:
        raise SystemExit(f"the app raised: {at.exception[0].value}")
    assert runs.CACHE.simulated == simulated, "a presentation change simulated something"

    print(f"## Dashboard benchmark — {len(names)} scenarios × {args.seeds} seeds × {args.users:,} users × "
          f"{args.days} days ({total_runs} runs)\n")
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}; "
          f"`import sim, dashboard.runs`: {t_import:.1f} s\n")
    print("| step | wall time | note |\n|---|---:|---|")
    print(f"| cold comparison | {t_cold:.1f} s | {total_runs / t_cold:.2f} runs/s; parent CPU {cpu_cold:.1f} s |")
    print(f"| warm fetch (cache) | {t_warm * 1000:.0f} ms | no simulation |")
    for label, secs in timings:
        print(f"| {label} | {secs * 1000:.0f} ms | AppTest rerun, no simulation |")


if __name__ == "__main__":
    main()
