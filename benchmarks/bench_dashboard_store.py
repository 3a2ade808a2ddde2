"""Time the Compare page's cold first view with and without the default comparison in the store.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_dashboard_store.py [--repeat 3]

Each measurement is a fresh Python process (a cold server: empty run cache, nothing imported)
that renders the app once with Streamlit's AppTest at the dashboard's default settings
(``dashboard.state.DEFAULTS``: 3 scenarios × 4 seeds × 20,000 users × 365 days) and reports the
time of the imports a first page run makes (streamlit's test harness, ``sim``, the dashboard
modules) and of that first page run itself, and whether it simulated:

1. *no store entry*: an empty results store — the page simulates the 12 runs (and records them);
2. *stored default*: the same store, now holding that comparison — the page reads it back.

Prints a markdown table. There are no timed assertions here: this script measures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
from streamlit.testing.v1 import AppTest
import sim, dashboard.ui, dashboard.recorded  # what the first page run would import
t1 = time.perf_counter()
at = AppTest.from_file(sys.argv[1] + "/dashboard/app.py", default_timeout=600)
at.run()
t2 = time.perf_counter()
from dashboard import runs
res = at.session_state["cmp.results"]
print(json.dumps({"imports": t1 - t0, "page": t2 - t1, "simulated": runs.CACHE.simulated, "stored": res.stored,
                  "charts": len(at.get("plotly_chart")), "exception": bool(at.exception)}))
"""


def one(store: str) -> dict:
    env = {**os.environ, "SIYU_STORE": store, "PYTHONPATH": str(ROOT)}
    for k in ("SIYU_DASHBOARD_USERS", "SIYU_DASHBOARD_DAYS", "SIYU_DASHBOARD_SEEDS"):
        env.pop(k, None)
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT)], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as store:
            cold = one(store)      # empty store: simulates, then records the default
            warm = one(store)      # the default is in the store now
            rows.append((cold, warm))
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}\n")
    print(f"load average before: {os.getloadavg()[0]:.1f}\n")
    print("| first view (cold server) | imports s | first page run s | runs simulated | read from store | charts |")
    print("|---|---|---|---|---|---|")
    for cold, warm in rows:
        for label, r in (("no store entry", cold), ("stored default", warm)):
            print(f"| {label} | {r['imports']:.2f} | {r['page']:.2f} | {r['simulated']} | "
                  f"{'yes' if r['stored'] else 'no'} | {r['charts']}{' (exception!)' if r['exception'] else ''} |")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
