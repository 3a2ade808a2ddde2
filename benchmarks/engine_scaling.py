"""Large runs: total time and peak memory against the number of users, and the streaming reference.

Usage (from the repository root)::

    .venv/bin/python benchmarks/engine_scaling.py [--sizes 10000,100000,1000000,5000000]
        [--scenario hybrid_referral[,content_led|all]] [--days 365] [--repeat 1] [--seed 1] [--setup-only]

Every configuration runs in a fresh subprocess, so its peak memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is its own. Reported per configuration:
*population* (drawing the users' traits) and *network* (building the social graph), both
inside *set-up* (all of :class:`sim.model.SiyuModel`), *run* (the days, ``SiyuModel.advance``),
*results* (daily table and KPIs from the users' columns, as ``sim.runner.simulate`` takes them), *total* (set-up + run + results, the compiled passes being loaded
before the clock starts), *µs per user* (total ÷ users: flat when the time is linear in users),
*peak RSS*, *RSS after imports*, the same parts in process CPU time, and *bytes per user* (peak − after imports, ÷ users) and, from
the second size on, the *marginal bytes per user* (growth of peak RSS ÷ growth of users).

The *streaming reference* runs in its own subprocess right after the 1M-user configurations
(same minute, same machine load): over 1,000,000-element float32 arrays, each of the horizon's
days does ten multiply-adds ``x ← x × a + b`` and one comparison ``x < u`` per user, as numpy
whole-array operations writing into preallocated arrays — the cost of touching every user
with a few operations a day, without any model. *× reference* is a configuration's total ÷ the
reference's time for the same number of days (only for 1M users), and *CPU × reference* the same ratio of process CPU times (less
sensitive to other load on the machine). With ``--repeat N`` each
configuration and the reference run N times, alternating, and the fastest is kept.

``--setup-only`` times only the set-up (population draw and network build; no days, no
reference) in CPU time per user, the fastest of ``--repeat`` fresh processes: the check that the
set-up alone is linear in users; the network build is split into its Chung-Lu edge ends (both
draws) and the CSR step. Its *of which kernel* columns are the system CPU time (the kernel
zeroing and mapping fresh pages), for the whole set-up and for its parts; *user-mode ns per user*
is the rest. ``--page-cost MB``
measures that kernel cost per MB of fresh memory and of memory written again after a free.

There are no timed assertions here: this script measures. 5M-user runs take minutes and
several GB: run them only on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

REFERENCE_USERS = 1_000_000


def _maxrss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024.0 * 1024.0) if sys.platform == "darwin" else rss / 1024.0


def measure(scenario_name: str, n_users: int, days: int, seed: int, setup_only: bool = False) -> dict:
    """One configuration in this process: timings (s) and memory (MB); only the set-up if ``setup_only``."""
    import sim
    import sim.model as model_module
    import sim.network as network_module
    import sim.shared_setup as setup_module
    from sim.runner import kpis, warm_up

    warm_up()
    base_rss = _maxrss_mb()
    parts = {f"{part}_{kind}": 0.0 for part in ("population", "network", "ends", "csr") for kind in ("s", "cpu_s", "kernel_s")}

    def timed(fn, key):
        def wrapper(*args, **kwargs):
            t0, c0, k0 = time.perf_counter(), time.process_time(), os.times().system
            try:
                return fn(*args, **kwargs)
            finally:
                parts[key + "_s"] += time.perf_counter() - t0
                parts[key + "_cpu_s"] += time.process_time() - c0
                parts[key + "_kernel_s"] += os.times().system - k0
        return wrapper

    # the set-up's parts: the traits' draw, the network build and, inside it, the Chung-Lu edge ends and the CSR step
    setup_module.draw_traits = timed(setup_module.draw_traits, "population")
    setup_module.build_network = timed(setup_module.build_network, "network")
    network_module._inverse_cdf_draws = timed(network_module._inverse_cdf_draws, "ends")
    network_module._symmetric_csr = timed(network_module._symmetric_csr, "csr")
    scenario = sim.load_scenario(scenario_name).with_overrides({"population.n_users": n_users, "horizon_days": days})
    k0 = os.times().system
    c0, t0 = time.process_time(), time.perf_counter()
    model = model_module.SiyuModel(scenario, seed=seed)
    t1, c1 = time.perf_counter(), time.process_time()
    if setup_only:
        return {"scenario": scenario_name, "n_users": n_users, **parts, "setup_s": t1 - t0, "setup_cpu_s": c1 - c0,
                "setup_kernel_s": os.times().system - k0, "peak_rss_mb": _maxrss_mb(), "import_rss_mb": base_rss,
                "load": os.getloadavg()[0]}
    if hasattr(model, "advance"):  # as sim.runner.simulate runs the days
        model.advance(days)
    else:  # an older tree
        for _ in range(days):
            model.step()
    t2, c2 = time.perf_counter(), time.process_time()
    daily = model.daily()
    try:  # as sim.runner.simulate computes the KPIs: from the users' columns they read
        from sim.results import UsersTable
        users = UsersTable(model.pop).kpi_columns()
    except (ImportError, AttributeError):  # an older tree: from the whole users table
        users = model.pop.table()
    summary = kpis(daily, users, days)
    t3 = time.perf_counter()
    return {"scenario": scenario_name, "n_users": n_users, "days": days, **parts,
            "setup_s": t1 - t0, "run_s": t2 - t1, "results_s": t3 - t2, "total_s": t3 - t0,
            "setup_cpu_s": c1 - c0, "run_cpu_s": c2 - c1,
            "cpu_s": time.process_time() - c0, "peak_rss_mb": _maxrss_mb(), "import_rss_mb": base_rss,
            "cum_profit": summary["cum_profit"], "load": os.getloadavg()[0]}


def reference(n: int, days: int) -> dict:
    """The numpy streaming reference: ten float32 multiply-adds and one comparison per user a day."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random(n, dtype=np.float32)
    a = (0.5 + 0.4 * rng.random(n, dtype=np.float32)).astype(np.float32)  # |x| stays below 10
    b = rng.random(n, dtype=np.float32)
    u = rng.random(n, dtype=np.float32)
    hit = np.empty(n, dtype=bool)
    t0, c0 = time.perf_counter(), time.process_time()
    count = 0
    for _ in range(days):
        for _ in range(10):
            np.multiply(x, a, out=x)
            np.add(x, b, out=x)
        np.less(x, u, out=hit)
        count += int(np.count_nonzero(hit))
    return {"reference_s": time.perf_counter() - t0, "reference_cpu_s": time.process_time() - c0, "n": n, "days": days, "hits": count,
            "load": os.getloadavg()[0]}


def _subprocess(payload: dict) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(payload)]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark {payload} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--scenario", default="hybrid_referral")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--setup-only", action="store_true",
                        help="time only the set-up (population draw and network build), no days, no reference")
    parser.add_argument("--page-cost", type=int, default=0, metavar="MB",
                        help="only measure the kernel's cost of first touching MB of fresh memory, and of reused memory")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        job = json.loads(args.worker)
        if job.get("page_cost"):
            print(json.dumps(page_cost(job["page_cost"])))
        elif job.get("reference"):
            print(json.dumps(reference(job["n"], job["days"])))
        else:
            print(json.dumps(measure(job["scenario"], job["n_users"], job["days"], job["seed"], job.get("setup_only", False))))
        return 0

    if args.page_cost:
        r = _subprocess({"page_cost": args.page_cost})
        print(f"kernel CPU per MB first written: fresh {r['fresh_ms_per_mb']:.2f} ms, "
              f"reused after a free {r['reused_ms_per_mb']:.2f} ms ({args.page_cost} MB, load {os.getloadavg()[0]:.1f})")
        return 0
    from configurations import SCENARIOS, size_of

    names = list(SCENARIOS) if args.scenario == "all" else [s.strip() for s in args.scenario.split(",")]
    sizes = [size_of(s) for s in args.sizes.split(",") if s.strip()]
    print(f"{os.cpu_count()} cores; load average at start {os.getloadavg()[0]:.2f}", flush=True)
    if args.setup_only:
        return _setup_table(names, sizes, args)
    rows, ref_best = [], None
    for name in names:
        for n in sizes:
            best = None
            for _ in range(max(1, args.repeat)):
                r = _subprocess({"scenario": name, "n_users": n, "days": args.days, "seed": args.seed})
                best = r if best is None or r["total_s"] < best["total_s"] else best
                if n == REFERENCE_USERS:  # the reference right after, alternating
                    ref = _subprocess({"reference": True, "n": REFERENCE_USERS, "days": args.days})
                    ref_best = ref if ref_best is None or ref["reference_s"] < ref_best["reference_s"] else ref_best
            rows.append(best)
            print(f"  {name} {n:,}: total {best['total_s']:.2f} s (set-up {best['setup_s']:.2f}), "
                  f"peak {best['peak_rss_mb']:.0f} MB, load {best['load']:.1f}", flush=True)
    print()
    print("| scenario | users | population (s) | network (s) | set-up (s) | run (s) | results (s) | total (s) "
          "| µs per user | × reference | peak RSS (MB) | RSS after imports (MB) | bytes per user | marginal bytes per user "
          "| CPU: population, network, set-up, run, total (s) | CPU µs per user | CPU × reference |")
    print("|" + "---|" * 17)
    prev: dict[str, dict] = {}
    for r in rows:
        n = r["n_users"]
        per_user = (r["peak_rss_mb"] - r["import_rss_mb"]) * 2**20 / n
        p = prev.get(r["scenario"])
        marginal = (f"{(r['peak_rss_mb'] - p['peak_rss_mb']) * 2**20 / (n - p['n_users']):.0f}"
                    if p is not None and n > p["n_users"] else "")
        ratio = f"{r['total_s'] / ref_best['reference_s']:.2f}" if ref_best and n == REFERENCE_USERS else ""
        cpu_ratio = f"{r['cpu_s'] / ref_best['reference_cpu_s']:.2f}" if ref_best and n == REFERENCE_USERS else ""
        cpu = (f"{r['population_cpu_s']:.2f}, {r['network_cpu_s']:.2f}, {r['setup_cpu_s']:.2f}, {r['run_cpu_s']:.2f}, "
               f"{r['cpu_s']:.2f}")
        print(f"| {r['scenario']} | {n:,} | {r['population_s']:.2f} | {r['network_s']:.2f} | {r['setup_s']:.2f} "
              f"| {r['run_s']:.2f} | {r['results_s']:.2f} | {r['total_s']:.2f} | {r['total_s'] / n * 1e6:.2f} "
              f"| {ratio} | {r['peak_rss_mb']:.0f} | {r['import_rss_mb']:.0f} | {per_user:.0f} | {marginal} "
              f"| {cpu} | {r['cpu_s'] / n * 1e6:.2f} | {cpu_ratio} |")
        prev[r["scenario"]] = r
    if ref_best:
        print(f"\nstreaming reference ({REFERENCE_USERS:,} users × {args.days} days, ten float32 multiply-adds and "
              f"one comparison per user a day): {ref_best['reference_s']:.2f} s, CPU {ref_best['reference_cpu_s']:.2f} s "
              f"(load {ref_best['load']:.1f})")
    if args.json is not None:
        args.json.write_text(json.dumps({"rows": rows, "reference": ref_best}, indent=2))
    return 0


def page_cost(mb: int) -> dict:
    """Kernel CPU time (ms per MB) of first writing ``mb`` MB of fresh memory, then the same again once freed."""
    import numpy as np

    out = {}
    for label in ("fresh", "reused"):
        k0 = os.times().system
        a = np.ones(mb * 2**17, dtype=np.int64)  # np.ones writes every page
        out[label + "_ms_per_mb"] = (os.times().system - k0) * 1e3 / mb
        del a
    return out


def _setup_table(names: list[str], sizes: list[int], args) -> int:
    """``--setup-only``: the set-up's parts in CPU time per user, fastest of ``--repeat`` fresh processes."""
    print("| scenario | users | CPU population (s) | CPU network (s) | of which edge ends, CSR (s) | CPU set-up (s) "
          "| of which kernel (s) | kernel: population, ends, CSR (s) | CPU ns per user "
          "| user-mode ns per user | wall set-up (s) | peak RSS (MB) | bytes per user | load |")
    print("|" + "---|" * 14)
    rows = []
    for name in names:
        for n in sizes:
            runs = [_subprocess({"scenario": name, "n_users": n, "days": 1, "seed": args.seed, "setup_only": True})
                    for _ in range(max(1, args.repeat))]
            r = min(runs, key=lambda x: x["setup_cpu_s"])
            rows.append(r)
            per_user = (r["peak_rss_mb"] - r["import_rss_mb"]) * 2**20 / n
            user_mode = r["setup_cpu_s"] - r["setup_kernel_s"]
            print(f"| {name} | {n:,} | {r['population_cpu_s']:.2f} | {r['network_cpu_s']:.2f} "
                  f"| {r['ends_cpu_s']:.2f}, {r['csr_cpu_s']:.2f} | {r['setup_cpu_s']:.2f} | {r['setup_kernel_s']:.2f} "
                  f"| {r['population_kernel_s']:.2f}, {r['ends_kernel_s']:.2f}, {r['csr_kernel_s']:.2f} "
                  f"| {r['setup_cpu_s'] / n * 1e9:.0f} | {user_mode / n * 1e9:.0f} "
                  f"| {r['setup_s']:.2f} | {r['peak_rss_mb']:.0f} | {per_user:.0f} | {r['load']:.1f} |", flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps({"rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
