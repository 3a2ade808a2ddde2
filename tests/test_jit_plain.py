"""The compiled passes also run as plain Python (NUMBA_DISABLE_JIT=1).

numba's documented debugging mode, and the basis of the mutation runs (benchmarks/mutation.sh
runs the rules' pure-Python versions): a ``jit.Pass`` must then call the function itself.
"""

from __future__ import annotations

import numba
import numpy as np

from sim import jit


def _scaled_sum(x, k):
    total = 0.0
    for v in x:
        total += v * k
    return total


def test_a_pass_runs_as_plain_python_when_jit_is_disabled(monkeypatch):
    monkeypatch.setattr(numba.config, "DISABLE_JIT", True)
    plain = jit.compiled_pass(_scaled_sum)
    assert plain.dispatcher is _scaled_sum   # numba hands back the Python function
    x = np.arange(4, dtype=np.float64)
    assert plain(x, 2.0) == 12.0 and plain(x, 3.0) == 18.0
