"""The set-up's compiled draws and graph build on small inputs (fast in plain Python too, for the
mutation runs): the trait draws are numpy's own draws, the CSR rows the sorted edge keys."""

from __future__ import annotations

import numpy as np
import pytest
from test_setup_kernels import _reference_csr

import sim
from sim import network, population
from sim.mechanisms.streams import handle


def test_trait_draws_equal_one_numpy_draw_per_trait_and_leave_the_generator_where_numpy_does(monkeypatch):
    monkeypatch.setattr(population, "_DRAW_CHUNK", 7)  # the lognormal traits in many chunks, the last one short
    n = 300
    sc = sim.load_scenario("content_led").with_overrides({"population.n_users": n, "population.sociability_sigma": 0.7})
    p, c = sc.population, sc.population.trait_concentration
    rng = np.random.default_rng(4)
    traits = population.draw_traits(p, sc.product, rng)
    g = np.random.default_rng(4)
    want = [g.beta(m * c, (1 - m) * c, size=n).astype(np.float32)
            for m in (p.need_mean, p.deal_seeking_mean, p.price_sensitivity_mean)]
    want.append((p.tolerance_median * np.exp(p.tolerance_sigma * g.standard_normal(n))).astype(np.float32))
    want.append(np.maximum((sc.product.purchase_cycle_days * np.exp(p.cycle_sigma * g.standard_normal(n)))
                           .astype(np.float32), 1.0))
    soc = np.exp(p.sociability_sigma * g.standard_normal(n))
    want.append((soc / soc.mean()).astype(np.float32))
    for got, ref in zip(traits, want, strict=True):
        assert got.dtype == np.float32 and len(got) == n
        np.testing.assert_array_equal(got, ref)
    assert rng.bit_generator.state == g.bit_generator.state


@pytest.mark.parametrize("a, b", [(2.0, 2.0), (1.4, 2.6), (0.3, 0.6), (40.0, 9.0), (0.8, 3.0), (1.0, 2.0), (3.0, 0.5), (1.0, 1.0)])
def test_compiled_betas_and_normals_are_numpys_draws(a, b):
    rng, g = np.random.default_rng(11), np.random.default_rng(11)
    out = np.full(50, -1.0, dtype=np.float32)
    population._betas(handle(rng), a, b, out)
    np.testing.assert_array_equal(out, g.beta(a, b, 50).astype(np.float32))
    z = np.full(20, np.nan)
    population._normals(handle(rng), z)
    np.testing.assert_array_equal(z, g.standard_normal(20))
    assert rng.bit_generator.state == g.bit_generator.state


@pytest.mark.parametrize("n, block_bits", [(2, 1), (5, 1), (300, 4), (300, 10)])
def test_small_csr_rows_equal_the_sorted_keys(n, block_bits):
    rng = np.random.default_rng(n)
    m = 3 * n
    u = rng.integers(0, n, m).astype(np.int32)
    v = np.minimum(rng.zipf(1.4, m) - 1, n - 1).astype(np.int32)  # hubs, repeats and self-loops
    col_bits = max(1, (n - 1).bit_length())
    indptr = np.zeros(n + 1, dtype=np.int32)
    indices = np.full(2 * m, -7, dtype=np.int32)
    w = network._csr_rows(n, u, v, block_bits, col_bits, indptr, indices)
    ref_ptr, ref_idx = _reference_csr(n, u, v)
    np.testing.assert_array_equal(indptr, ref_ptr)
    np.testing.assert_array_equal(indices[:w], ref_idx)
    indptr[:] = 0
    w = network._csr_transposed(n, u, v, indptr, indices, np.empty(2 * m, dtype=np.int32))
    np.testing.assert_array_equal(indptr, ref_ptr)
    np.testing.assert_array_equal(indices[:w], ref_idx)


@pytest.mark.parametrize("direct, step_first", [(True, True), (True, False), (False, False)])
def test_small_edge_end_draws_equal_searchsorted_of_one_draw(direct, step_first, monkeypatch):
    monkeypatch.setattr(network, "_DIRECT_BATCH", 64)  # several batches, the last one short
    monkeypatch.setattr(network, "_CHUNK", 64)
    monkeypatch.setattr(network, "_BLOCK_BITS", 2)
    monkeypatch.setattr(network, "_DIRECT_USERS", 10**6 if direct else 0)
    monkeypatch.setattr(network, "_STEP_FIRST_USERS", 10**6 if step_first else 0)
    n, m = 40, 300
    w = np.random.default_rng(5).pareto(1.2, n) + 1e-3
    w[::4] = 0.0  # repeated CDF values
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    rng, g = np.random.default_rng(8), np.random.default_rng(8)
    got = network._inverse_cdf_draws(cdf, rng, m)
    np.testing.assert_array_equal(got, np.minimum(np.searchsorted(cdf, g.random(m)), n - 1))
    assert rng.bit_generator.state == g.bit_generator.state
    grid = 1 << 7
    np.testing.assert_array_equal(network._grid_bounds(cdf, np.empty(grid + 1, np.int32)),
                                  np.searchsorted(cdf, np.arange(grid + 1) / grid))
