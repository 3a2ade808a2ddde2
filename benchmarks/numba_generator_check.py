"""Check whether numba's ``numpy.random.Generator`` draws replay numpy's own, draw for draw (issue 9).

Usage: ``.venv/bin/python benchmarks/numba_generator_check.py [--seeds 20]``

Moving the whole day into one compiled call needs the draws the day now takes from the model's
``numpy.random.Generator`` in Python (``random`` in float64 and float32, ``integers``,
``binomial``, ``permutation``, ``choice`` without replacement) taken inside numba instead,
without changing the stream, or every run changes. numba (≥ 0.56) accepts a ``Generator`` as an
argument and advances the same bit generator. This script draws the day's kinds of samples,
with the shapes the model uses, once through numba and once through numpy from generators with
equal seeds, and reports for each kind whether the values and the generator's state afterwards
are identical. It prints one line per kind and exits 1 if any differs. (A measurement for the
engine work, not a test: nothing in the engine relies on it yet.)
"""

from __future__ import annotations

import argparse

import numba
import numpy as np

KINDS = ("random", "random_float32", "integers_pool", "integers_small", "binomial", "permutation")


def _numpy_draws(g, kind, n, k):
    """The draws under test; the same source is compiled by numba as :func:`_numba_draws`."""
    if kind == 0:
        return g.random(k)
    if kind == 1:
        return g.random(k, dtype=np.float32).astype(np.float64)
    if kind == 2:
        return g.integers(0, n, k).astype(np.float64)
    if kind == 3:
        return g.integers(0, 7, k).astype(np.float64)
    if kind == 4:
        return g.binomial(n, 0.013, k).astype(np.float64)
    return g.permutation(k).astype(np.float64)


_numba_draws = numba.njit(_numpy_draws)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args(argv)
    print(f"numba {numba.__version__}, numpy {np.__version__}")
    bad = 0
    for kind, name in enumerate(KINDS):
        same_values = same_state = True
        for seed in range(args.seeds):
            for n, k in ((20_000, 1), (20_000, 613), (1_000_000, 5_000)):
                a, b = np.random.default_rng(seed), np.random.default_rng(seed)
                x, y = _numba_draws(a, kind, n, k), _numpy_draws(b, kind, n, k)
                same_values &= bool(np.array_equal(x, y))
                same_state &= a.bit_generator.state == b.bit_generator.state
        bad += not (same_values and same_state)
        print(f"{name}: values {'identical' if same_values else 'DIFFER'}, "
              f"state after {'identical' if same_state else 'DIFFERS'}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
