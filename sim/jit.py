"""Compilation of the per-user rules with numba, its on-disk cache, and the rules' random stream.

The daily pass over the private pool (``sim.mechanisms.pool``) and the per-user rules it calls
(in each mechanism module) are compiled to machine code with numba's ``njit`` the first time
they run. Compiled code is cached on disk so later processes load it in milliseconds.

numba checks a cached function only against its own source file, not against the functions it
calls in other files, so an edited rule could be served stale. The cache therefore lives in a
directory keyed by a hash of every source file of ``sim.mechanisms`` and of this file: any edit
gives a fresh cache. The directory is ``$SIYU_NUMBA_CACHE`` if set, else
``$XDG_CACHE_HOME/siyu/numba`` (default ``~/.cache/siyu/numba``); a ``NUMBA_CACHE_DIR`` set by
the user is respected as is. If no cache directory is writable, rules are compiled in memory.

Random draws inside compiled rules come from a xoroshiro128+ stream (Blackman & Vigna 2021):
two 64-bit words of state seeded from the model's ``numpy.random.Generator``, about 2 ns a
draw here against 16 ns for numba's built-in Mersenne Twister (docs/PERFORMANCE.md). A seed
therefore still replays a run exactly.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from pathlib import Path

import numba
import numpy as np
from numba import uint64

_SOURCES = sorted((Path(__file__).parent / "mechanisms").glob("*.py")) + [Path(__file__)]


def _cache_dir() -> str | None:
    digest = hashlib.sha256()
    for path in _SOURCES:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    base = os.environ.get("SIYU_NUMBA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "siyu", "numba")
    path = os.path.join(base, digest.hexdigest()[:16])
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()  # writable?
    except OSError:
        return None
    return path


if not os.environ.get("NUMBA_CACHE_DIR"):
    _dir = _cache_dir()
    if _dir is not None:
        numba.config.CACHE_DIR = _dir
CACHING = bool(numba.config.CACHE_DIR)


def rule(fn):
    """Compile ``fn`` (a per-user rule or a pass over the pool) with numba, cached on disk."""
    return numba.njit(cache=CACHING, nogil=True)(fn)


def stream(rng: np.random.Generator) -> np.ndarray:
    """A fresh xoroshiro128+ state (two non-zero 64-bit words) drawn from ``rng``."""
    return rng.integers(1, 2**63, size=2, dtype=np.uint64)


@rule
def uniform(state: np.ndarray) -> float:
    """Next draw from ``U[0, 1)`` (53 random bits) of the xoroshiro128+ ``state``, advanced in place."""
    s0, s1 = state[0], state[1]
    out = s0 + s1
    s1 ^= s0
    state[0] = ((s0 << uint64(24)) | (s0 >> uint64(40))) ^ s1 ^ (s1 << uint64(16))
    state[1] = (s1 << uint64(37)) | (s1 >> uint64(27))
    return (out >> uint64(11)) * (1.0 / 9007199254740992.0)


@rule
def chance(state: np.ndarray, p: float) -> bool:
    """True with probability ``p`` (one draw)."""
    return uniform(state) < p


@rule
def occurs(state: np.ndarray, hazard: float) -> bool:
    """True with probability ``1 − e^(−hazard)``: an event with daily ``hazard`` happens today.

    One draw when ``hazard > 0`` (none otherwise); ``exp`` is evaluated only when the draw is
    below ``hazard``, which bounds ``1 − e^(−hazard)`` from above, so the outcome is exact.
    """
    if hazard <= 0.0:
        return False
    u = uniform(state)
    return u < hazard and u < 1.0 - math.exp(-hazard)


@rule
def occurs_at(state: np.ndarray, hazard: float) -> float:
    """:func:`occurs` with the same single draw, returning where in the event's probability it fell.

    Returns ``u / (1 − e^(−hazard))`` in ``[0, 1)`` if the event happens today, ``-1`` if not.
    Given the event, the value is uniform on ``[0, 1)``, so it can pick which of several competing
    hazards caused the event (each with probability ``h_k / hazard``) without another draw.
    """
    if hazard <= 0.0:
        return -1.0
    u = uniform(state)
    if u < hazard:
        p = 1.0 - math.exp(-hazard)
        if u < p:
            return u / p
    return -1.0


__all__ = ["chance", "occurs", "occurs_at", "rule", "stream", "uniform"]
