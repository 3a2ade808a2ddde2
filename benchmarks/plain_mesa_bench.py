"""Engine against its plain-Mesa twin at 20,000 users × 365 days: agreement and speed-up.

Usage (from the repository root)::

    PYTHONPATH=. .venv/bin/python benchmarks/plain_mesa_bench.py
        [--scenarios content_led,hybrid_referral,rebate_led] [--seeds 10] [--users 20000]
        [--days 365] [--json out.json]

For each shipped scenario (as shipped, only ``population.n_users`` and ``horizon_days`` set),
``--seeds`` replicates of the engine (``sim.model.SiyuModel``, seeds 0…) and of the twin
(``benchmarks/plain_mesa.py``, seeds 10,000…) run alternately in this one process, so that a
change in machine load hits both alike. Printed: the agreement table (median and 10–90 % band
over seeds of each KPI the twin models, and the z-score of the difference of the means, Welch;
``plain_mesa.agreement``) and the speed per pool-user-day.

*Pool-user-days* are Σ over days of the private pool (reachable + dormant) at the end of the
day, counted from each model's own daily rows by the same function
(``plain_mesa.pool_user_days``). *Time* is building the model (population, network) plus its
365 days (the twin's 365 ``step()`` calls; the engine's ``advance(365)``, as ``sim.runner.simulate``
runs them), wall clock and process CPU of that same section, for both (not the
results tables or KPIs after it); the engine's compiled passes are
loaded once before (``sim.runner.warm_up``) and not counted. The speed-up is the twin's µs per
pool-user-day over the engine's. No assertions: this script measures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from plain_mesa import KPIS, agreement, run_engine, run_twin  # noqa: E402

import sim  # noqa: E402

DEFAULT_SCENARIOS = ("content_led", "hybrid_referral", "rebate_led")


def bench(name: str, seeds: int, users: int, days: int, log=print) -> dict:
    """Run one scenario's comparison; return its KPIs per seed, timings and agreement."""
    sc = sim.load_scenario(name).with_overrides({"population.n_users": users, "horizon_days": days})
    out = {"scenario": name, "users": users, "days": days, "seeds": seeds, "engine": [], "twin": [],
           "engine_s": 0.0, "twin_s": 0.0, "engine_cpu_s": 0.0, "twin_cpu_s": 0.0,
           "engine_pud": 0.0, "twin_pud": 0.0}
    stats: dict[str, float] = {}
    for s in range(seeds):
        for who, fn, args in (("engine", run_engine, (s,)), ("twin", run_twin, (10_000 + s, stats))):
            k, pud, sec, cpu = fn(sc, *args)
            out[who].append(k)
            out[f"{who}_s"] += sec
            out[f"{who}_cpu_s"] += cpu
            out[f"{who}_pud"] += pud
        log(f"  {name} seed {s}: engine {out['engine_s']:.1f} s, twin {out['twin_s']:.1f} s so far", file=sys.stderr)
    out["agreement"] = agreement(out["engine"], out["twin"])
    for who in ("engine", "twin"):
        out[f"{who}_us_per_pud"] = out[f"{who}_s"] / out[f"{who}_pud"] * 1e6
        out[f"{who}_cpu_us_per_pud"] = out[f"{who}_cpu_s"] / out[f"{who}_pud"] * 1e6
    out["twin_morning_us_per_agent_step"] = stats["morning_s"] / max(1.0, stats["morning_steps"]) * 1e6
    out["speedup"] = out["twin_us_per_pud"] / out["engine_us_per_pud"]
    out["speedup_cpu"] = out["twin_cpu_us_per_pud"] / out["engine_cpu_us_per_pud"]
    return out


def _fmt(x: float) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "—"
    return f"{x:.3g}" if abs(x) < 10 else f"{x:,.0f}"


def table(results: list[dict]) -> str:
    """Markdown: the speed table and one agreement table per scenario."""
    lines = ["| scenario | seeds | pool-user-days per run (engine / twin) | engine µs per pool-user-day (wall / CPU) "
             "| twin µs per pool-user-day (wall / CPU) | speed-up (wall / CPU) | twin s per run "
             "| twin morning rule µs per agent-step (wall) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        n = r["seeds"]
        lines.append(f"| {r['scenario']} | {n} | {r['engine_pud'] / n:,.0f} / {r['twin_pud'] / n:,.0f} "
                     f"| {r['engine_us_per_pud']:.3f} / {r['engine_cpu_us_per_pud']:.3f} "
                     f"| {r['twin_us_per_pud']:.2f} / {r['twin_cpu_us_per_pud']:.2f} "
                     f"| {r['speedup']:.0f}× / {r['speedup_cpu']:.0f}× | {r['twin_s'] / n:.1f} "
                     f"| {r['twin_morning_us_per_agent_step']:.1f} |")
    for r in results:
        lines += ["", f"**{r['scenario']}** ({r['users']:,} users × {r['days']} days, {r['seeds']} seeds each; "
                      "median [10–90 %]; z = |difference of means| / its standard error)", "",
                  "| KPI | engine | twin | z | agrees (z ≤ 4) |", "|---|---|---|---:|:---:|"]
        for k in KPIS:
            a = r["agreement"][k]
            if "engine_p10" not in a:
                lines.append(f"| {k} | {_fmt(a['engine_median'])} | {_fmt(a['twin_median'])} | {a['z']:.2f} | "
                             f"{'yes' if a['agrees'] else 'NO'} |")
                continue
            lines.append(f"| {k} | {_fmt(a['engine_median'])} [{_fmt(a['engine_p10'])}–{_fmt(a['engine_p90'])}] "
                         f"| {_fmt(a['twin_median'])} [{_fmt(a['twin_p10'])}–{_fmt(a['twin_p90'])}] "
                         f"| {a['z']:.2f} | {'yes' if a['agrees'] else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", default=",".join(DEFAULT_SCENARIOS))
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--json", default=None, help="also write the raw results to this file")
    args = ap.parse_args(argv)
    from sim.runner import warm_up
    warm_up()
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    results = [bench(name, args.seeds, args.users, args.days) for name in args.scenarios.split(",")]
    load1 = os.getloadavg()
    print(table(results))
    print(f"\nwall {time.perf_counter() - t0:.0f} s; load average (1, 5, 15 min) at start {load0[0]:.1f}, {load0[1]:.1f}, "
          f"{load0[2]:.1f}, at end {load1[0]:.1f}, {load1[1]:.1f}, {load1[2]:.1f} on {os.cpu_count()} cores; "
          f"Python {platform.python_version()}")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "load_start": load0, "load_end": load1}, indent=1))


if __name__ == "__main__":
    main()
