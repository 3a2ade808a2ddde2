"""Small, exact array helpers for the model's per-day hot paths.

numpy 2's ``np.unique`` on integer arrays goes through a hash table and is about ten times
slower than sorting for the index arrays the mechanisms handle (hundreds to a few hundred
thousand user ids), so :func:`sorted_unique` and :func:`union_sorted` sort and drop
repeats instead. Their results are identical to ``np.unique(x)`` and ``np.union1d(a, b)``
(same values, same order, same dtype); :func:`occurrences` and :func:`mean_of` likewise
give exactly the numbers of the numpy idioms they replace. See docs/PERFORMANCE.md.
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


def occurrences(x: np.ndarray) -> np.ndarray:
    """For each element of 1-D integer ``x``, how often its value occurs in ``x``.

    Same numbers as ``np.bincount(x, minlength=n)[x]`` without an array as long as the
    population (which costs milliseconds a day at a million users).
    """
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(x, kind="stable")
    s = x[order]
    new = np.empty(len(s), dtype=bool)
    new[0] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    group = np.cumsum(new) - 1
    out = np.empty(len(x), dtype=np.int64)
    out[order] = np.bincount(group)[group]
    return out


def mean_of(x: np.ndarray) -> np.floating:
    """``np.mean(x)`` of a non-empty 1-D float array, bit for bit, without its Python overhead."""
    total = np.add.reduce(x)
    return total.dtype.type(total / np.intp(len(x)))
