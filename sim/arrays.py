"""Small, exact array helpers for the model's per-day hot paths.

numpy 2's ``np.unique`` on integer arrays goes through a hash table and is about ten times
slower than sorting for the index arrays the mechanisms handle (hundreds to a few hundred
thousand user ids), so :func:`sorted_unique` and :func:`union_sorted` sort and drop
repeats instead. Their results are identical to ``np.unique(x)`` and ``np.union1d(a, b)``
(same values, same order, same dtype). See docs/PERFORMANCE.md.
"""

from __future__ import annotations

import numpy as np


def sorted_unique(x: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-D array (same result as ``np.unique(x)``)."""
    x = np.sort(x)
    if len(x) > 1:
        first = np.empty(len(x), dtype=bool)
        first[0] = True
        np.not_equal(x[1:], x[:-1], out=first[1:])
        x = x[first]
    return x


def union_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sorted distinct values found in ``a`` or ``b`` (same result as ``np.union1d(a, b)``)."""
    return sorted_unique(np.concatenate([np.ravel(a), np.ravel(b)]))
