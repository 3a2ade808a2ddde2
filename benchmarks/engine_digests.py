"""SHA-256 digests of whole runs: the check that an engine change keeps every run bit-identical.

Usage (from the repository root)::

    .venv/bin/python benchmarks/engine_digests.py [--out digests.json] [--against digests.json]
        [--quick] [--large 1000000]

Runs every shipped scenario at 3,000 users × 200 days with 50 traced users and at 20,000 users
× 365 days, plus five variants (binding monthly and yearly budget caps, limited fulfilment
capacity, well-mixed and small-world networks with random seeding), and prints one SHA-256
digest per run of its daily table, users table and trace (``pandas.util.hash_pandas_object``
of each column, with the column names and dtypes). With ``--out`` the digests are written as
JSON; with ``--against`` they are compared with an earlier file and every run that differs is
named (exit status 1). ``--quick`` keeps only the 3,000-user runs; ``--large N`` adds one run of
hybrid_referral and content_led at ``N`` users × 60 days (covers the large-run code paths of the
network build and the population draw).

The digests depend on numpy, pandas and numba versions only through the results themselves, so
two commits compared on the same environment give equal digests exactly when their runs agree.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHIPPED = ("public_only", "rebate_led", "content_led", "spam_blast", "hybrid_referral", "community_no_sell",
           "broadcast_group", "black_swan")

VARIANTS = {
    "rebate_led+monthly_cap": ("rebate_led", {"budget.monthly_cap": 800.0}),
    "rebate_led+yearly_cap": ("rebate_led", {"budget.yearly_cap": 9000.0}),
    "black_swan+capacity": ("black_swan", {"fulfilment.capacity_per_day": 3.0}),
    "hybrid_referral+well_mixed": ("hybrid_referral", {"network.kind": "well_mixed",
                                                       "strategy.seeding": "random"}),
    "hybrid_referral+small_world": ("hybrid_referral", {"network.kind": "small_world",
                                                        "strategy.seeding": "random"}),
}


def table_digest(df) -> str:
    """SHA-256 of a table's column names, dtypes and values (row order included)."""
    import pandas as pd

    h = hashlib.sha256()
    if df is None:
        return "none"
    for name in df.columns:
        col = df[name]
        h.update(str(name).encode())
        h.update(str(col.dtype).encode())
        h.update(pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes())
    h.update(str(len(df)).encode())
    return h.hexdigest()


def run_digest(name: str, overrides: dict, n_users: int, days: int, seed: int, trace: int) -> dict:
    """Digests of one run's daily table, users table and trace."""
    import sim

    sc = sim.load_scenario(name).with_overrides({"population.n_users": n_users, "horizon_days": days, **overrides})
    run = sim.simulate(sc, seed, trace_users=range(0, n_users, max(1, n_users // trace)) if trace else None)
    return {"daily": table_digest(run.daily), "users": table_digest(run.users), "trace": table_digest(run.trace)}


def configurations(quick: bool, large: int | None) -> list[tuple[str, str, dict, int, int, int]]:
    runs = []
    for n_users, days, trace in ((3000, 200, 50),) + (() if quick else ((20_000, 365, 0),)):
        for name in SHIPPED:
            runs.append((f"{name}@{n_users}", name, {}, n_users, days, trace))
        for key, (name, ov) in VARIANTS.items():
            runs.append((f"{key}@{n_users}", name, ov, n_users, days, trace))
    if large:
        for name in ("hybrid_referral", "content_led"):
            runs.append((f"{name}@{large}x60", name, {}, large, 60, 0))
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--against", type=Path, default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--large", type=int, default=None)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    got = {}
    for key, name, ov, n_users, days, trace in configurations(args.quick, args.large):
        got[key] = run_digest(name, ov, n_users, days, args.seed, trace)
        print(f"{key}: " + " ".join(f"{k}={v[:12]}" for k, v in got[key].items()), flush=True)
    if args.out is not None:
        args.out.write_text(json.dumps(got, indent=1, sort_keys=True))
    if args.against is not None:
        ref = json.loads(args.against.read_text())
        differ = [k for k in got if k in ref and ref[k] != got[k]]
        missing = [k for k in got if k not in ref]
        print(f"compared {len(got) - len(missing)} runs with {args.against}: "
              + (f"DIFFER: {', '.join(differ)}" if differ else "all identical")
              + (f"; not in the reference: {', '.join(missing)}" if missing else ""))
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
