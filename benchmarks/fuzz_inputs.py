"""Fuzz the scenario inputs at length: many more cases than the test suite's property test.

Usage (from the repository root)::

    PYTHONPATH=. .venv/bin/python benchmarks/fuzz_inputs.py [--cases 3000] [--seed 1]

Draws cases from ``tests/fuzzing.py`` (mutated shipped scenarios — types, values, keys,
nesting, anchors/aliases, encodings, junk — and hostile ``--set`` values), runs each through
the loader (and a tiny simulation when valid), and prints how many were valid, refused with
one line, and the slowest case. Any other outcome (another exception, a message of more than
one line or over 300 characters) stops the run with the failing case, as the test does.
This script measures, it does not test; the suite's ``tests/test_fuzz_inputs.py`` is the check.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fuzzing import check_case, scenario_inputs  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402


def main() -> None:
    """Run the fuzzing and print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    slowest = (0.0, None)

    @seed(args.seed)
    @settings(max_examples=args.cases, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=scenario_inputs)
    def run(case: tuple[str, bytes | str]) -> None:
        nonlocal slowest
        start = time.perf_counter()
        counts[f"{case[0]}:{check_case(*case)}"] += 1
        took = time.perf_counter() - start
        if took > slowest[0]:
            slowest = (took, case)

    start = time.perf_counter()
    run()
    total = sum(counts.values())
    print(f"{total:,} cases in {time.perf_counter() - start:.1f} s (seed {args.seed})")
    for key, n in sorted(counts.items()):
        print(f"  {key:<14} {n:>6,}")
    took, case = slowest
    shown = repr(case)[:120] if case else "-"
    print(f"slowest case: {took:.2f} s  {shown}")


if __name__ == "__main__":
    main()
