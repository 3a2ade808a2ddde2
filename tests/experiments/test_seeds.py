"""Run seeds (sim.experiments.seeds): the documented SeedSequence key, 63 bits, bad input.

Pure and fast (no simulation, no cluster), so the mutation runs (benchmarks/mutation.sh) use it.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.seeds import run_seed, seed_table


def _documented(entropy: int, key: tuple[int, ...]) -> int:
    state = np.random.SeedSequence(entropy=entropy, spawn_key=key).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


def test_a_run_seed_is_the_documented_seed_sequence_key():
    assert run_seed(7, 3, 2) == _documented(7, (2,))                 # common random numbers: (replicate)
    assert run_seed(7, 3, 2, common=False) == _documented(7, (3, 2))  # independent: (point, replicate)
    assert run_seed(7, 0, 0) == run_seed(7, 5, 0) != run_seed(7, 0, 1)
    assert run_seed(7, 1, 0, common=False) != run_seed(7, 0, 1, common=False)
    seeds = [run_seed(e, p, r, c) for e in (0, 2**40) for p in (0, 9) for r in (0, 4) for c in (True, False)]
    assert all(type(s) is int and 0 <= s < 2**63 for s in seeds)
    assert max(seeds) >= 2**61   # all 63 bits are used, not fewer


@pytest.mark.parametrize("args", [(-1, 0, 0), (0, -1, 0), (0, 0, -1)])
def test_negative_seeds_points_or_replicates_are_refused(args):
    with pytest.raises(ValueError) as err:
        run_seed(*args)
    assert str(err.value) == "experiment seed, point and replicate must be non-negative"


@pytest.mark.parametrize("common", [True, False])
def test_the_seed_table_holds_every_run_s_seed(common):
    t = seed_table(5, 3, 4, common)
    assert t.shape == (3, 4) and t.dtype == np.int64
    assert t.tolist() == [[run_seed(5, p, r, common) for r in range(4)] for p in range(3)]
    for empty in (seed_table(5, 0, 4, common), seed_table(5, 3, 0, common)):
        assert empty.size == 0 and empty.dtype == np.int64   # an empty table is still one of int64 seeds
    assert seed_table(5, 0, 4, common).shape == (0, 4) and seed_table(5, 3, 0, common).shape == (3, 0)
    assert seed_table(5, 1, 1, common).tolist() == [[run_seed(5, 0, 0, common)]]


def test_common_random_numbers_are_the_default():
    assert (seed_table(5, 3, 4) == seed_table(5, 3, 4, True)).all()
    assert not (seed_table(5, 3, 4) == seed_table(5, 3, 4, False)).all()
