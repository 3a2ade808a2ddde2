"""The set-up's blocked and chunked steps (network build) give exactly the arrays of their plain
numpy definitions, so runs stay bit-identical at every size (the trait draws and small graphs:
``tests/test_rules_setup.py``, in the mutation selection)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import network
from sim.scenario import Network


def _reference_csr(n, u, v):
    """Sorted, repeat-free rows without self-loops: sort the keys row × n + col of both ends."""
    keep = u != v
    rows = np.concatenate([u[keep], v[keep]]).astype(np.int64)
    cols = np.concatenate([v[keep], u[keep]]).astype(np.int64)
    keys = np.unique(rows * n + cols)
    indptr = np.searchsorted(keys // n, np.arange(n + 1), side="left").astype(np.int32)
    return indptr, (keys % n).astype(np.int32)


@pytest.mark.parametrize("n", [2, 5, 1023, 1024, 1025, 5000])
@pytest.mark.parametrize("block_bits", [1, 4, 10])
@pytest.mark.parametrize("widest", [False, True])
def test_csr_rows_equal_the_sorted_keys(n, block_bits, widest):
    rng = np.random.default_rng(n + block_bits)
    m = 4 * n
    u = rng.integers(0, n, m).astype(np.int32)
    v = np.minimum(rng.zipf(1.4, m) - 1, n - 1).astype(np.int32)  # hubs, repeats and self-loops
    # the columns' bits as the users need, or all the 32-bit word leaves beside the row's place in
    # its block (as at 5M users: 23 + 9 bits), so a packing that overflowed would show
    col_bits = 32 - block_bits if widest else max(1, (n - 1).bit_length())
    indptr = np.zeros(n + 1, dtype=np.int32)
    indices = np.full(2 * m, -7, dtype=np.int32)
    w = network._csr_rows(n, u, v, block_bits, col_bits, indptr, indices)
    indices = indices[:w]
    ref_ptr, ref_idx = _reference_csr(n, u, v)
    np.testing.assert_array_equal(indptr, ref_ptr)
    np.testing.assert_array_equal(indices, ref_idx)


@pytest.mark.parametrize("n", [2, 5, 1023, 5000])
def test_transposed_csr_rows_equal_the_sorted_keys(n):
    rng = np.random.default_rng(n)
    m = 4 * n
    u = rng.integers(0, n, m).astype(np.int32)
    v = np.minimum(rng.zipf(1.4, m) - 1, n - 1).astype(np.int32)  # hubs, repeats and self-loops
    indptr = np.zeros(n + 1, dtype=np.int32)
    indices = np.full(2 * m, -7, dtype=np.int32)
    w = network._csr_transposed(n, u, v, indptr, indices, np.full(2 * m, -5, dtype=np.int32))
    ref_ptr, ref_idx = _reference_csr(n, u, v)
    np.testing.assert_array_equal(indptr, ref_ptr)
    np.testing.assert_array_equal(indices[:w], ref_idx)


@pytest.mark.parametrize("transposed", [True, False])
def test_symmetric_csr_is_the_canonical_graph(transposed, monkeypatch):
    monkeypatch.setattr(network, "_TRANSPOSE_USERS", 10**6 if transposed else 0)  # either way of sorting the rows
    n = 3000
    rng = np.random.default_rng(3)
    u = rng.integers(0, n, 5 * n)
    v = np.minimum(rng.zipf(1.6, 5 * n) - 1, n - 1)
    g = network._symmetric_csr(n, u, v)
    ref_ptr, ref_idx = _reference_csr(n, u.astype(np.int32), v.astype(np.int32))
    np.testing.assert_array_equal(g.indptr, ref_ptr)
    np.testing.assert_array_equal(g.indices, ref_idx)
    assert len(g.indices) == g.nnz == len(ref_idx) < 2 * len(u)  # the repeats' tail given back
    assert (g != g.T).nnz == 0 and g.diagonal().sum() == 0


@pytest.mark.parametrize("n", [2, 7, 3000])
@pytest.mark.parametrize("direct, step_first", [(True, True), (True, False), (False, False)])
def test_inverse_cdf_draws_equal_searchsorted_of_one_draw(n, direct, step_first, monkeypatch):
    monkeypatch.setattr(network, "_STEP_FIRST_USERS", 10**6 if step_first else 0)  # the first step without a branch, or not
    monkeypatch.setattr(network, "_CHUNK", 1000)  # several chunks, the last one short
    monkeypatch.setattr(network, "_DIRECT_BATCH", 1000)  # several batches of the direct lookup, the last one short
    monkeypatch.setattr(network, "_BLOCK_BITS", 3)
    monkeypatch.setattr(network, "_DIRECT_USERS", 10**6 if direct else 0)  # looked up where they are, or blocked
    w = np.random.default_rng(1).pareto(1.5, n) + 1e-3
    w[::5] = 0.0  # empty cells: repeated CDF values
    w[-1] = 1.0
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    m = 4321
    g = np.random.default_rng(9)
    want = np.minimum(np.searchsorted(cdf, g.random(m)), n - 1)
    for memory in (None, np.empty(100, np.int32), np.empty(40_000, np.int32)):  # none, too little, enough lent
        rng = np.random.default_rng(9)
        got = network._inverse_cdf_draws(cdf, rng, m, network._Lent(memory))
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.int32
        assert rng.bit_generator.state == g.bit_generator.state


def test_lent_arrays_lie_apart_in_the_lent_memory_or_are_fresh():
    memory = np.empty(100, dtype=np.int32)  # 400 bytes
    lent = network._Lent(memory)
    a, b = lent.empty(3, np.int32), lent.empty(20, np.float64)  # bytes 0-11, then 64-223
    assert np.shares_memory(a, memory) and np.shares_memory(b, memory) and not np.shares_memory(a, b)
    assert b.ctypes.data - a.ctypes.data == 64 and b.flags.aligned and b.dtype == np.float64 and len(b) == 20
    c = lent.empty(30, np.float64)  # 240 bytes: no longer fits
    assert not np.shares_memory(c, memory) and len(c) == 30
    assert np.shares_memory(lent.empty(6, np.float64), memory)  # 48 bytes still fit (bytes 256-303)
    assert not np.shares_memory(network._Lent(None).empty(4, np.int8), memory)


def test_scale_free_graph_is_the_canonical_graph_of_its_edge_ends():
    n, params = 5000, Network(kind="scale_free", mean_degree=6)
    g = network.build_network(params, n, np.random.default_rng(4))
    rng = np.random.default_rng(4)  # the same draws without lent memory
    m = int(round(n * params.mean_degree / 2))
    ends = network._inverse_cdf_draws(network._chung_lu_cdf(n, params.mean_degree, rng), rng, 2 * m)
    ref_ptr, ref_idx = _reference_csr(n, ends[:m], ends[m:])
    np.testing.assert_array_equal(g.indptr, ref_ptr)
    np.testing.assert_array_equal(g.indices, ref_idx)


def test_grid_bounds_are_searchsorted_of_the_cells():
    w = np.random.default_rng(2).pareto(1.5, 700) + 1e-3
    w[::3] = 0.0  # repeated CDF values, and a first one of 0
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    for grid in (1, 2, 1 << 9, 1 << 12):
        want = np.searchsorted(cdf, np.arange(grid + 1) / grid, side="left")
        np.testing.assert_array_equal(network._grid_bounds(cdf, np.empty(grid + 1, np.int32)), want)
    short = cdf[:-5]  # a last entry below 1: the cells above it are bounded by n
    np.testing.assert_array_equal(network._grid_bounds(short, np.empty(65, np.int32)),
                                  np.searchsorted(short, np.arange(65) / 64, side="left"))
