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


# --- the whole engine as plain Python gives the compiled engine's runs, bit for bit ----------------
_RUNS = (("content_led", {}), ("hybrid_referral", {}), ("rebate_led", {"budget.yearly_cap": 4000.0}))
_CHILD = """
import pickle, sys
import sim
out = {}
for name, extra in %r:
    sc = sim.load_scenario(name).with_overrides({"population.n_users": 1500, "horizon_days": 90, **extra})
    run = sim.simulate(sc, 5)
    out[name] = (run.daily, run.users)
pickle.dump(out, open(sys.argv[1], "wb"))
"""


def test_plain_python_engine_is_bit_identical_to_the_compiled_one(tmp_path):
    # float32 columns meet Python floats in the rules: NumPy keeps float32 there (NEP 50) while
    # numba computes in float64, so the rules cast their float32 inputs; a rule that forgets
    # makes the mutation runs (plain Python) score a different engine from the shipped one
    import os
    import pickle
    import subprocess
    import sys

    import sim

    path = tmp_path / "plain.pkl"
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    subprocess.run([sys.executable, "-c", _CHILD % (_RUNS,), str(path)], check=True, env=env,
                   cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), timeout=600)
    plain = pickle.loads(path.read_bytes())
    for name, extra in _RUNS:
        sc = sim.load_scenario(name).with_overrides({"population.n_users": 1500, "horizon_days": 90, **extra})
        run = sim.simulate(sc, 5)
        daily, users = plain[name]
        for col in run.daily.columns:
            assert daily[col].equals(run.daily[col]), (name, "daily", col)
        for col in run.users.columns:
            assert users[col].equals(run.users[col]), (name, "users", col)
        assert run.daily["private_pool"].iloc[-1] > 0
