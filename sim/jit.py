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
(order failures, cascades) can be taken inside compiled code too: :class:`NumpyStream` views
the generator's PCG64 state, and :func:`random32` and :func:`permutation` replay numpy's own
float32 uniforms and permutations on it, draw for draw.
"""

from __future__ import annotations

import ctypes
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


# --- the model's numpy Generator, advanced inside compiled code ---------------------------------
#: PCG64's 128-bit multiplier (numpy's ``PCG_DEFAULT_MULTIPLIER_128``), high and low words
_MUL_HI, _MUL_LO = uint64(2549297995355413924), uint64(4865540595714422341)
_M32 = uint64(0xFFFFFFFF)


class NumpyStream:
    """The state of a ``numpy.random.Generator``'s PCG64 bit generator, as arrays compiled code advances.

    Passing the ``Generator`` itself to a compiled function costs ≈ 40 µs a call (numba unboxes
    it through ctypes every time), more than a small day's booking. This object instead views
    the bit generator's own memory once: ``words`` (the 128-bit state and increment, low word
    first) and ``buffer`` (numpy's buffered 32-bit half: flag and value). The compiled draws
    below (:func:`random32`, :func:`permutation`) reproduce numpy's ``Generator.random(n,
    dtype=float32)`` and ``Generator.permutation(n)`` draw for draw on it, so draws taken here
    and draws numpy takes in Python form one stream (tests/test_rules_day.py compares them).
    The layout is checked against ``bit_generator.state`` when the view is made.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        """View the state of ``rng`` (its bit generator must be numpy's ``PCG64``)."""
        bg = rng.bit_generator
        if type(bg) is not np.random.PCG64:
            raise TypeError(f"NumpyStream needs a PCG64 generator, not {type(bg).__name__}")
        self.rng = rng  # keeps the viewed memory alive
        address = bg.ctypes.state_address  # struct {pcg64_random_t *pcg_state; int has_uint32; uint32_t uinteger}
        pcg = ctypes.c_void_p.from_address(address).value
        self.words = np.ctypeslib.as_array((ctypes.c_uint64 * 4).from_address(pcg))
        self.buffer = np.ctypeslib.as_array((ctypes.c_uint32 * 2).from_address(address + 8))
        st = bg.state
        w = [int(x) for x in self.words]
        if (w[0] | w[1] << 64, w[2] | w[3] << 64, int(self.buffer[0]), int(self.buffer[1])) != (
                st["state"]["state"], st["state"]["inc"], st["has_uint32"], st["uinteger"]):
            raise RuntimeError("numpy's PCG64 state layout is not the one NumpyStream expects")

    def __reduce__(self):
        return NumpyStream, (self.rng,)

    @staticmethod
    def of(model) -> NumpyStream:
        """The stream of ``model.rng`` (made on first use and kept on the model while its ``rng`` is the same)."""
        stream = model.__dict__.get("_numpy_stream")
        if stream is None or stream.rng is not model.rng:
            stream = model._numpy_stream = NumpyStream(model.rng)
        return stream


@rule
def _mul_hi(a, b):
    """High 64 bits of the 128-bit product of the uint64s ``a`` and ``b``."""
    a_lo, a_hi, b_lo, b_hi = a & _M32, a >> uint64(32), b & _M32, b >> uint64(32)
    p0, p1, p2 = a_lo * b_lo, a_lo * b_hi, a_hi * b_lo
    mid = (p0 >> uint64(32)) + (p1 & _M32) + (p2 & _M32)
    return a_hi * b_hi + (p1 >> uint64(32)) + (p2 >> uint64(32)) + (mid >> uint64(32))


@rule
def next64(words):
    """Advance the stream as numpy's ``pcg64_next64`` does: step the 128-bit LCG, return its XSL-RR output."""
    lo, hi = words[0], words[1]
    new_hi = _mul_hi(lo, _MUL_LO) + lo * _MUL_HI + hi * _MUL_LO
    new_lo = lo * _MUL_LO
    s_lo = new_lo + words[2]
    carry = uint64(1) if s_lo < new_lo else uint64(0)
    s_hi = new_hi + words[3] + carry
    words[0], words[1] = s_lo, s_hi
    x = s_hi ^ s_lo
    rot = s_hi >> uint64(58)
    return (x >> rot) | (x << ((uint64(64) - rot) & uint64(63)))


@rule
def next32(words, buffer):
    """The next 32 bits as numpy's ``pcg64_next32`` gives them: the buffered high half of the last 64-bit output, else a fresh low half."""
    if buffer[0]:
        buffer[0] = 0
        return buffer[1]
    v = next64(words)
    buffer[0] = 1
    buffer[1] = np.uint32(v >> uint64(32))
    return np.uint32(v & _M32)


@rule
def random32(words, buffer, n):
    """``Generator.random(n, dtype=np.float32)``: ``(next32 >> 8) × 2⁻²⁴`` each."""
    out = np.empty(n, dtype=np.float32)
    scale = np.float32(1.0 / 16777216.0)
    for k in range(n):
        out[k] = np.float32(next32(words, buffer) >> np.uint32(8)) * scale
    return out


@rule
def permutation(words, buffer, n):
    """``Generator.permutation(n)``: a Fisher-Yates shuffle of ``0..n-1`` from the last position down.

    Position ``i`` swaps with ``j`` uniform on ``0..i`` (numpy's ``random_interval``: masked
    32-bit draws, rejected above ``i``).
    """
    out = np.arange(n)
    for i in range(n - 1, 0, -1):
        mask = uint64(i)
        for s in (1, 2, 4, 8, 16, 32):
            mask |= mask >> uint64(s)
        if i <= 0xFFFFFFFF:
            j = uint64(next32(words, buffer)) & mask
            while j > uint64(i):
                j = uint64(next32(words, buffer)) & mask
        else:
            j = next64(words) & mask
            while j > uint64(i):
                j = next64(words) & mask
        k = np.int64(j)
        out[i], out[k] = out[k], out[i]
    return out


__all__ = ["NumpyStream", "Pass", "chance", "compiled_pass", "occurs", "next32", "next64", "occurs_at", "permutation", "random32", "rule", "stream",
           "uniform"]
