"""Compilation of the per-user rules with numba, its on-disk cache, and the rules' random stream.

The daily pass over the private pool (``sim.mechanisms.pool``) and the per-user rules it calls
(in each mechanism module) are compiled to machine code with numba's ``njit`` the first time
they run. Compiled code is cached on disk so later processes load it in milliseconds.

numba checks a cached function only against its own source file, not against the functions it
calls in other files, so an edited rule could be served stale. The cache therefore lives in a
directory keyed by a hash of every source file of ``sim.mechanisms``, of ``sim.population``, ``sim.network`` and ``sim.agents`` and of this file: any edit
gives a fresh cache. The directory is ``$SIYU_NUMBA_CACHE`` if set, else
``$XDG_CACHE_HOME/siyu/numba`` (default ``~/.cache/siyu/numba``); a ``NUMBA_CACHE_DIR`` set by
the user is respected as is. If no cache directory is writable, rules are compiled in memory.

Random draws inside compiled rules come from a xoroshiro128+ stream (Blackman & Vigna 2021):
two 64-bit words of state seeded from the model's ``numpy.random.Generator``, about 2 ns a
draw here against 16 ns for numba's built-in Mersenne Twister (docs/PERFORMANCE.md). A seed
therefore still replays a run exactly. Draws the model takes from its ``Generator`` itself
(acquisition, order failures, cascades) are taken inside compiled code through
:func:`sim.mechanisms.streams.handle`: numba's ``Generator`` on the same bit generator, numpy's
own draws.
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

_SOURCES = sorted((Path(__file__).parent / "mechanisms").glob("*.py")) + [Path(__file__).parent / f for f in ("population.py", "network.py", "agents.py")] + [Path(__file__)]


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


class Pass:
    """A compiled pass (``rule``) called without numba's per-call type dispatch.

    numba resolves the type of every argument on each call; for the scenario's ``Rules`` and
    the population's ``Columns`` (named tuples of some 90 numbers and 20 arrays) that costs
    ≈ 15 µs a call, several times what a small pass computes. A ``Pass`` dispatches once per
    combination of argument kinds (each argument's dtype if it is an array, else its Python
    type) and then calls the compiled entry point of that version directly (≈ 4 µs). Callers
    pass plain Python scalars, the named tuples and contiguous 1-D arrays, always of the same
    kinds, as the daily passes do. (For functions of arrays and scalars alone numba's own
    dispatch is faster: use :func:`rule`.)
    """

    def __init__(self, fn) -> None:
        self.dispatcher = rule(fn)
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__
        self._entries: dict[tuple, object] = {}

    def __call__(self, *args):
        """Run the pass on ``args`` (the compiled version for their kinds)."""
        key = tuple([a.dtype if type(a) is np.ndarray else type(a) for a in args])
        entry = self._entries.get(key)
        if entry is not None:
            return entry(*args)
        out = self.dispatcher(*args)  # compiles, or loads from the cache, this version
        if not hasattr(self.dispatcher, "typeof_pyval"):
            return out  # NUMBA_DISABLE_JIT=1: the plain Python function (no versions to look up)
        sig = tuple(self.dispatcher.typeof_pyval(a) for a in args)
        cres = self.dispatcher.overloads.get(sig)
        if cres is not None and all(not isinstance(a, np.ndarray) or (a.ndim == 1 and a.flags.c_contiguous)
                                    for a in args):
            self._entries[key] = cres.entry_point
        return out


def compiled_pass(fn) -> Pass:
    """Compile ``fn``, a daily pass over the pool, as a :class:`Pass` (cached on disk like ``rule``)."""
    return Pass(fn)


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


__all__ = ["Pass", "chance", "compiled_pass", "occurs", "occurs_at", "rule", "stream", "uniform"]
