"""The most a pool-contiguous layout could save: the pool's passes on scattered ids against dense rows.

Usage (from the repository root)::

    .venv/bin/python benchmarks/pool_layout.py [--users 1000000] [--scenario hybrid_referral]
        [--days 10,30,60,100,150,200,250,300,365] [--repeat 5] [--seed 1] [--json]

The population keeps one row per user in columns as long as the population, and the private
pool's daily passes (``sim.mechanisms.pool``: the morning, the sharers', the evening) visit the
pool's users at their ids, in increasing order. A pool-contiguous layout would keep the pool's
rows next to each other instead. This script measures what that could save, without building it:
the run is advanced to each of ``--days``; there, the three passes run once on copies of the
columns, as the engine runs them, and once on the pool's rows gathered densely (the same rows in
the same order, ``joined = 0, 1, …``), with the same draws. The two give identical results (checked
on every repetition: the reachable users, buyers, sharers, stage counts and every column's pool rows),
so the difference is the cost of the scattered layout alone. The cache is evicted (a 64 MB
write) before each timed pass, as the day's other work evicts it.

Reported per day: the pool's size and the three passes' times in ms (median of ``--repeat``)
in both layouts. The *ceiling* integrates the difference over the year (trapezoids between the
measured days): the most the days of a run could gain from the layout, before paying to keep it
(moving rows at every merge and compaction, and an id → position look-up for every writer).
There are no timed assertions: this script measures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.loader import load_scenario  # noqa: E402
from sim.mechanisms import pool  # noqa: E402
from sim.model import SiyuModel  # noqa: E402
from sim.population import Cause, Columns, Stage  # noqa: E402


def _passes(model: SiyuModel, cols: Columns, joined: np.ndarray) -> tuple[tuple[float, float, float], tuple]:
    """The morning, sharers' and evening passes on ``cols`` over ``joined``: their times (s) and results."""
    reach = np.empty(len(joined), dtype=np.int64)
    buyers = np.empty(len(joined), dtype=np.int64)
    by_cause = np.zeros(len(Cause), dtype=np.int64)
    draws = model.draws.copy()
    t0 = time.perf_counter()
    n_reach, n_buyers, *_ = pool._morning(
        model.rules, cols, joined, model.groups.activity, int(model.t), 0.0, 1.0, 1.0, 0.0, False, 0.0,
        draws, False, pool._NO_TRACE, reach, buyers, by_cause)
    t1 = time.perf_counter()
    sharers = np.empty(n_reach, dtype=np.int64)
    n_sharers = pool._sharers(model.rules, cols, reach[:n_reach], 0.0, draws, sharers)
    t2 = time.perf_counter()
    counts = np.zeros(len(Stage), dtype=np.int64)
    kept = joined.copy()
    pool._evening(model.rules, cols, kept, reach[:n_reach], counts)
    t3 = time.perf_counter()
    return (t1 - t0, t2 - t1, t3 - t2), (reach[:n_reach], buyers[:n_buyers], sharers[:n_sharers], counts)


def measure(users: int, scenario: str, days: list[int], repeat: int, seed: int) -> dict:
    """The passes in both layouts at each of ``days`` of one run (see the module docstring)."""
    model = SiyuModel(load_scenario(scenario, {"population.n_users": users}), seed=seed)
    junk = np.zeros(64 << 20, dtype=np.uint8)
    rows = []
    for day in days:
        model.advance(day - model.t)
        joined = model.pop.joined.copy()
        k = len(joined)
        dense = Columns(*[c[joined] for c in model.pop.cols])
        times = {"scattered": [], "dense": []}
        for _ in range(repeat):
            junk += 1
            cols = Columns(*[c.copy() for c in model.pop.cols])
            took, (reach, buyers, sharers, counts) = _passes(model, cols, joined)
            times["scattered"].append(took)
            junk += 1
            dcols = Columns(*[c.copy() for c in dense])
            took, (d_reach, d_buyers, d_sharers, d_counts) = _passes(model, dcols, np.arange(k, dtype=np.int64))
            times["dense"].append(took)
            same = (np.array_equal(joined[d_reach], reach) and np.array_equal(joined[d_buyers], buyers)
                    and np.array_equal(joined[d_sharers], sharers) and np.array_equal(d_counts, counts)
                    and all(np.array_equal(c[joined], d) for c, d in zip(cols, dcols, strict=True)))
            if not same:
                raise SystemExit(f"error: the dense layout gave other results on day {day}")
        med = {kind: (np.median(np.array(v), axis=0) * 1e3).round(3).tolist() for kind, v in times.items()}
        rows.append({"day": day, "pool": k, "scattered_ms": med["scattered"], "dense_ms": med["dense"]})
    day = [0] + [r["day"] for r in rows]

    def over_year(ms: list[float]) -> float:
        """Seconds a day's ``ms`` at the measured days sum to over the run (trapezoids; 0 on day 0, an empty pool)."""
        y = [0.0, *ms]
        return sum((y[i] + y[i + 1]) / 2 * (day[i + 1] - day[i]) for i in range(len(rows))) / 1e3

    passes = [sum(r["scattered_ms"]) for r in rows]
    gain = [p - sum(r["dense_ms"]) for p, r in zip(passes, rows, strict=True)]
    return {"users": users, "scenario": scenario, "seed": seed, "repeat": repeat, "days": rows,
            "passes_s": round(over_year(passes), 3), "ceiling_s": round(over_year(gain), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--scenario", default="hybrid_referral")
    ap.add_argument("--days", default="10,30,60,100,150,200,250,300,365")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    a = ap.parse_args()
    days = sorted({int(d) for d in a.days.split(",")})
    out = measure(a.users, a.scenario, days, a.repeat, a.seed)
    if a.json:
        print(json.dumps(out))
        return
    print(f"{a.scenario}, {a.users:,} users, seed {a.seed}; median of {a.repeat}, cache evicted before each pass\n")
    print("| day | pool | scattered: morning, sharers, evening (ms) | dense: morning, sharers, evening (ms) |")
    print("|---:|---:|---|---|")
    for r in out["days"]:
        fmt = lambda v: ", ".join(f"{x:.2f}" for x in v)  # noqa: E731
        print(f"| {r['day']} | {r['pool']:,} | {fmt(r['scattered_ms'])} | {fmt(r['dense_ms'])} |")
    print(f"\nthe three passes over the year, scattered: ≈ {out['passes_s']:.2f} s; "
          f"the most a dense layout saves: ≈ {out['ceiling_s']:.2f} s")


if __name__ == "__main__":
    main()
