"""The model's numpy ``Generator`` handed to compiled rules without numba's per-call unboxing.

Compiled code can draw from a ``numpy.random.Generator`` given as an argument: numba's
``Generator`` methods replay numpy's streams draw for draw (``benchmarks/numba_generator_check.py``)
and advance the same bit generator, so draws move into compiled code without changing a run.
But numba unboxes a ``Generator`` argument on every call through Python (its type through
``typeof``, then three ``ctypes.cast`` of the bit generator's function pointers): about 10 µs
a call, more than a small day's draws cost. :func:`handle` reads those addresses once per
``Generator`` into a small ``uint64`` array, which numba passes like any array (well under
1 µs), and :func:`as_generator`, called first thing in the compiled function, rebuilds the
same ``Generator`` from it in compiled code. The draws are the very same: the rebuilt
``Generator`` calls the bit generator's own functions on its own state.

With ``NUMBA_DISABLE_JIT=1`` (the pure-Python rules of the mutation runs) :func:`handle`
returns the ``Generator`` itself and :func:`as_generator` returns its argument.
"""

from __future__ import annotations

import ctypes

import numpy as np
from numba.core import cgutils, config, types
from numba.extending import intrinsic, overload

#: the last Generator asked for and its handle (a run asks every day; one entry is enough)
_LAST: tuple = (None, None)


def handle(rng: np.random.Generator):
    """What to pass compiled code for ``rng``: its bit generator's addresses (or ``rng`` without JIT).

    The addresses are only valid while ``rng`` lives; pass the handle of a live Generator only,
    into a call that returns before the Generator can go away (as the model's ``rng`` in a step).
    """
    global _LAST
    if config.DISABLE_JIT:
        return rng
    last = _LAST
    if last[0] is rng:
        return last[1]
    ct = rng.bit_generator.ctypes  # pragma: no mutate
    out = np.array([ct.state.value, _address(ct.next_uint64), _address(ct.next_uint32),  # pragma: no mutate
                    _address(ct.next_double), ct.state_address], dtype=np.uint64)  # pragma: no mutate
    _LAST = (rng, out)  # pragma: no mutate
    return out


def _address(fn) -> int:
    """The address of a ctypes function pointer (as numba's unboxing reads it)."""
    return ctypes.cast(fn, ctypes.c_void_p).value  # pragma: no mutate


def as_generator(h):
    """The ``Generator`` behind a :func:`handle` (compiled); in plain Python ``h`` is the Generator."""
    return h


_GENERATOR = types.NumPyRandomGeneratorType("NumPyRandomGeneratorType")
_BIT_GENERATOR = types.NumPyRandomBitGeneratorType("bit_generator")


@intrinsic
def _rebuild(typingctx, h):
    """A ``Generator`` on the bit generator whose addresses ``h`` holds (no Python object behind it)."""
    sig = _GENERATOR(h)

    def codegen(context, builder, sig, args):
        arr = context.make_array(sig.args[0])(context, builder, value=args[0])
        ptr = arr.data
        word = [builder.load(builder.gep(ptr, [context.get_constant(types.intp, i)]))
                for i in range(5)]
        bits = cgutils.create_struct_proxy(_BIT_GENERATOR)(context, builder)
        bits.state = word[0]
        bits.fnptr_next_uint64 = word[1]
        bits.fnptr_next_uint32 = word[2]
        bits.fnptr_next_double = word[3]
        bits.state_address = word[4]
        gen = cgutils.create_struct_proxy(_GENERATOR)(context, builder)
        gen.bit_generator = bits._getvalue()
        return gen._getvalue()  # null meminfo and parent: nothing to count, never boxed

    return sig, codegen


@overload(as_generator)
def _as_generator(h):
    if isinstance(h, types.NumPyRandomGeneratorType):
        return lambda h: h
    if isinstance(h, types.Array) and h.dtype == types.uint64 and h.ndim == 1:
        return lambda h: _rebuild(h)
    return None


__all__ = ["as_generator", "handle"]
