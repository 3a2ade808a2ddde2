"""Run seeds: ``numpy.random.SeedSequence`` keyed by (experiment seed, point, replicate).

A run's result depends only on its scenario and its seed (``sim.simulate``), so fixing the seed
of every run up front, from its position in the experiment alone, makes an experiment identical
whatever the backend, the number of workers, the order runs finish in or how often it was
interrupted and resumed.

With **common random numbers** (the default) replicate ``r`` gets the same seed at every point —
the key is (experiment seed, replicate) — so two points differ by their parameters, not by seed
noise. Without them the key is (experiment seed, point, replicate) and every run is independent.
Seeds are 63-bit non-negative integers (they fit a signed 64-bit Parquet column).
"""

from __future__ import annotations

import numpy as np

__all__ = ["run_seed", "seed_table"]


def run_seed(experiment_seed: int, point: int, replicate: int, common: bool = True) -> int:
    """The seed of one run (see the module text for the key)."""
    if experiment_seed < 0 or point < 0 or replicate < 0:
        raise ValueError("experiment seed, point and replicate must be non-negative")
    key = (int(replicate),) if common else (int(point), int(replicate))
    seq = np.random.SeedSequence(entropy=int(experiment_seed), spawn_key=key)
    return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1))


def seed_table(experiment_seed: int, points: int, replicates: int, common: bool = True) -> np.ndarray:
    """A ``points × replicates`` int64 array of run seeds."""
    if common:
        row = [run_seed(experiment_seed, 0, r, True) for r in range(replicates)]
        return np.tile(np.asarray(row, dtype=np.int64), (points, 1))
    return np.asarray([[run_seed(experiment_seed, p, r, False) for r in range(replicates)]
                       for p in range(points)], dtype=np.int64).reshape(points, replicates)
