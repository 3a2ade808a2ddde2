"""Social networks for referral cascades, built as symmetric scipy CSR graphs in O(edges).

Generators are vectorised, the Chung-Lu edge ends are resolved by a compiled, blocked inverse-CDF
lookup and the CSR arrays are built by a compiled radix sort by row block, so that the build
stays about linear in users up to the schema's 5M (no random gathers over the whole graph):

- ``scale_free``: Chung-Lu graph with power-law expected degrees (exponent 2.5, capped at the
  structural cut-off √(n × mean degree)), the fast stand-in for preferential attachment
  (heavy-tailed degrees, a few hubs);
- ``small_world``: Watts-Strogatz ring lattice with rewiring probability ``rewire_p``;
- ``random``: Erdős-Rényi G(n, m);
- ``well_mixed``: no graph (``None``); referral contacts are drawn at random each share.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.jit import rule
from sim.scenario import Network, NetworkKind

POWER_LAW_EXPONENT = 2.5


def _symmetric_csr(n: int, u: np.ndarray, v: np.ndarray, entries: np.ndarray | None = None) -> sp.csr_matrix:
    """The canonical CSR graph (sorted, duplicate-free rows, no self-loops) of undirected edges (u, v).

    ``entries``, if given, is the indices' memory (``2 × len(u)`` int32 that own their data, free
    to overwrite: :func:`build_network` lends it to the edge ends' temporaries first).
    """
    # one compiled version for every kind of network (user ids < 2^31: the schema caps n_users)
    u, v = np.asarray(u, dtype=np.int32), np.asarray(v, dtype=np.int32)
    col_bits = max(1, (n - 1).bit_length())
    block_bits = min(_ROW_BLOCK_BITS, 32 - col_bits)  # a row's place in its block and its column in 32 bits
    indptr = np.zeros(n + 1, dtype=np.int32)
    if entries is None:
        entries = np.empty(2 * len(u), dtype=np.int32)  # numpy's own memory: shrunk in place below
    if n <= _TRANSPOSE_USERS:
        w = _csr_transposed(n, u, v, indptr, entries, np.empty(2 * len(u), dtype=np.int32))
    else:
        w = _csr_rows(n, u, v, block_bits, col_bits, indptr, entries)
    entries.resize(w, refcheck=False)  # realloc: the tail past the last entry is given back, not copied
    return sp.csr_matrix((np.ones(w, dtype=np.int8), entries, indptr), shape=(n, n))


#: up to this many users the CSR rows are sorted by two counting sorts over the whole graph
#: (:func:`_csr_transposed`: its ≤ 2.6 MB at mean degree 10 stay in cache), above by row block
_TRANSPOSE_USERS = 1 << 15
#: at most 2^10 rows per block of the CSR build (their counters and ≈ 10,000 entries stay in cache)
_ROW_BLOCK_BITS = 10
#: at most 2^11 counters per digit of a block's radix sort (the column takes two digits up to 4M users)
_DIGIT_BITS = 11


@rule
def _csr_rows(n, u, v, block_bits, col_bits, indptr, entries):
    """Fill ``indptr`` and ``entries[:w]`` (the indices) of :func:`_symmetric_csr` in O(edges); return ``w``.

    Both ends of every edge (no self-loops) are first distributed by row block (``row >>
    block_bits``) into ``entries``, in edge order within each block, each packed as one 32-bit
    word: the row's place in its block above the column's ``col_bits`` bits. Then each block,
    small enough to stay in cache, is sorted by its packed words with a least-significant-digit
    radix sort (the column's digits of at most :data:`_DIGIT_BITS` bits, then the row's place;
    one counting pass for every digit's counts, then one stable pass per digit between the
    block's slice and a block-sized scratch), and its repeats dropped, compacted towards the
    front. The same arrays as sorting the edge keys ``row × n + col`` and dropping repeats,
    without a comparison sort, without random writes over the whole graph and with no memory
    beyond the indices themselves and one block.
    """
    n_blocks = (n >> block_bits) + 1
    bstart = np.zeros(n_blocks + 1, dtype=np.int64)
    for k in range(len(u)):
        if u[k] != v[k]:
            bstart[(u[k] >> block_bits) + 1] += 1
            bstart[(v[k] >> block_bits) + 1] += 1
    biggest = 0
    for b in range(n_blocks):
        biggest = max(biggest, bstart[b + 1])
        bstart[b + 1] += bstart[b]
    low = np.uint32((1 << block_bits) - 1)
    cmask = np.uint32((1 << col_bits) - 1)
    packed = entries.view(np.uint32)
    bpos = bstart[:-1].copy()
    for k in range(len(u)):
        a, b = np.uint32(u[k]), np.uint32(v[k])
        if a != b:
            q = bpos[a >> block_bits]
            packed[q] = ((a & low) << col_bits) | b
            bpos[a >> block_bits] = q + 1
            q = bpos[b >> block_bits]
            packed[q] = ((b & low) << col_bits) | a
            bpos[b >> block_bits] = q + 1
    # the radix sort's digits: the column's in equal widths, then the row's place in its block
    n_digits = (col_bits + _DIGIT_BITS - 1) // _DIGIT_BITS
    digit_bits = (col_bits + n_digits - 1) // n_digits
    shifts = np.empty(n_digits + 1, dtype=np.uint32)
    masks = np.empty(n_digits + 1, dtype=np.uint32)
    for d in range(n_digits):
        shifts[d] = d * digit_bits
        masks[d] = (1 << min(digit_bits, col_bits - d * digit_bits)) - 1
    shifts[n_digits] = col_bits
    masks[n_digits] = low
    width = 1 << max(digit_bits, block_bits)
    hist = np.zeros((n_digits + 1, width + 1), dtype=np.int64)
    block = np.empty(biggest, dtype=np.uint32)
    rows_per_block = 1 << block_bits
    w = 0
    for blk in range(n_blocks):
        r0 = blk << block_bits
        r1 = min(n, r0 + rows_per_block)
        if r0 >= r1:
            break
        s0, e0 = bstart[blk], bstart[blk + 1]
        cnt = e0 - s0
        hist[:, :] = 0
        for x in range(s0, e0):
            key = packed[x]
            for d in range(n_digits + 1):
                hist[d, ((key >> shifts[d]) & masks[d]) + 1] += 1
        src, dst = packed[s0:e0], block[:cnt]
        for d in range(n_digits + 1):
            h = hist[d]
            for i in range(width):
                h[i + 1] += h[i]
            sh, mk = shifts[d], masks[d]
            for x in range(cnt):
                key = src[x]
                dg = (key >> sh) & mk
                dst[h[dg]] = key
                h[dg] += 1
            src, dst = dst, src
        # src: the block sorted by (row, column); drop the repeats, compact towards the front
        last = np.int64(-1)
        done = 0  # rows of the block whose end is written
        for x in range(cnt):
            key = src[x]
            r = key >> col_bits
            while done < r:
                indptr[r0 + done + 1] = w
                done += 1
            if np.int64(key) != last:
                entries[w] = np.int32(key & cmask)
                w += 1
                last = np.int64(key)
        for i in range(done, r1 - r0):
            indptr[r0 + i + 1] = w
    return w


@rule
def _csr_transposed(n, u, v, indptr, entries, scratch):
    """:func:`_csr_rows` for small graphs: the same ``indptr`` and ``entries[:w]``, by two counting sorts.

    Both ends of every edge (no self-loops) are first counted by row, then distributed by row
    into ``scratch`` (each row's columns in edge order). The graph is symmetric, so visiting
    those rows in increasing order and writing each row ``r`` into the row of each of its
    columns ``c`` fills every row with all its columns, now in increasing order (row ``r`` of
    the transpose is row ``r``). Then the repeats are dropped, compacted towards the front. Two
    scatters over the whole graph: faster than the blocked radix sort while the graph stays in cache.
    """
    for k in range(len(u)):
        if u[k] != v[k]:
            indptr[u[k] + 1] += 1
            indptr[v[k] + 1] += 1
    for r in range(n):
        indptr[r + 1] += indptr[r]
    pos = indptr[:-1].copy()
    for k in range(len(u)):
        a, b = u[k], v[k]
        if a != b:
            scratch[pos[a]] = b
            pos[a] += 1
            scratch[pos[b]] = a
            pos[b] += 1
    pos[:] = indptr[:-1]
    for r in range(n):
        for x in range(indptr[r], indptr[r + 1]):
            c = scratch[x]
            entries[pos[c]] = r
            pos[c] += 1
    w = 0
    start = 0
    for r in range(n):
        end = indptr[r + 1]
        last = -1
        for x in range(start, end):
            c = entries[x]
            if c != last:
                entries[w] = c
                w += 1
                last = c
        indptr[r + 1] = w
        start = end
    return w


#: at least this many edge ends drawn and resolved at once (8 MB of draws, 12 MB of sort), and at
#: least the number of users: each chunk reads the whole grid and CDF once, so the chunks must
#: grow with them for that read to stay a fixed cost per edge end
_CHUNK = 1 << 20
#: at least 2^10 grid cells per block of lookups (4 KB of bounds and ≈ 8 KB of the CDF) …
_BLOCK_BITS = 10
#: … and at most 2^10 blocks (the chunk's counting sort writes one stream per block)
_MAX_BLOCK_COUNT_BITS = 10
#: up to this many users the grid bounds and the CDF (≤ 4 MB) stay in cache: each draw is looked up
#: where it is, on a grid of ≥ 2n cells, without the blocking (faster up to 2^18 users, slower above:
#: at 1M users 80 against 46 ns per edge end on the 2026-12-02 machine, whose random reads of 16 MB
#: of tables miss its cache; docs/PERFORMANCE.md, seventh round)
_DIRECT_USERS = 1 << 18
#: draws per batch of the direct lookup (512 KB: drawn by numpy, then looked up; drawn by numba
#: in the lookup's own loop or batches they were slower at 1M users)
_DIRECT_BATCH = 1 << 16
#: up to this many users (≤ 4 MB of tables) the direct lookup takes its first step without a branch
_STEP_FIRST_USERS = 1 << 18


@rule
def _grid_bounds(cdf, lo):
    """``lo[k] = searchsorted(cdf, k / grid)`` (side ``left``) for k = 0 … grid = len(lo) − 1, in one pass over ``cdf`` (sorted).

    ``cdf[i] ≥ k / grid`` exactly when ``k ≤ ⌊cdf[i] × grid⌋`` (``grid`` is a power of two: the
    product is exact), so the cells up to that one not bounded by an earlier entry have bound ``i``;
    no division per cell and one branch per entry. Returns ``lo``.
    """
    n = len(cdf)
    grid = len(lo) - 1
    k = 0
    for i in range(n):
        top = min(np.int64(cdf[i] * grid), grid)
        while k <= top:
            lo[k] = i
            k += 1
    while k <= grid:  # cells above every entry (none when cdf[-1] = 1)
        lo[k] = n
        k += 1
    return lo


@rule
def _lookup(cdf, lo, grid, u, out, step_first):
    """``out[j] = min(searchsorted(cdf, u[j]), n − 1)`` for a batch of draws ``u``, each looked up where it is.

    For small tables (:data:`_DIRECT_USERS`): ``u × grid`` names the grid cell whose bound ``lo``
    is an exact lower bound of the answer and, on a grid of ≥ 2n cells, usually the answer or one
    before it. With ``step_first`` (tables in the core's own cache, :data:`_STEP_FIRST_USERS`)
    that first step is taken without a branch: 20 % faster there, but 30 % slower when the tables
    miss the cache, as its load then waits for the bound's.
    """
    n = len(cdf)
    for j in range(len(u)):
        x = u[j]
        idx = min(np.int64(lo[np.int64(x * grid)]), n - 1)
        if step_first:
            idx += (idx < n - 1) & (cdf[idx] < x)
        while idx < n - 1 and cdf[idx] < x:
            idx += 1
        out[j] = idx


@rule
def _resolve(cdf, lo, grid, block_shift, u, out, order, keys, counts):
    """``out[j] = min(searchsorted(cdf, u[j]), n − 1)`` for a chunk of draws ``u``, visited block by block.

    ``u × grid`` (exact: ``grid`` is a power of two) names the grid cell whose bound ``lo`` is an
    exact lower bound of the answer; a few steps forward finish the search. The chunk is first
    counting-sorted by the cell's top bits (``cell >> block_shift``), so that the lookups of one
    block touch one small slice of ``lo`` and ``cdf`` instead of gathering at random over both
    tables; each answer is written back at its own position.
    """
    n = len(cdf)
    counts[:] = 0
    for j in range(len(u)):
        counts[(np.int64(u[j] * grid) >> block_shift) + 1] += 1
    for b in range(1, len(counts)):
        counts[b] += counts[b - 1]
    for j in range(len(u)):
        b = np.int64(u[j] * grid) >> block_shift
        q = counts[b]
        order[q] = j
        keys[q] = u[j]
        counts[b] = q + 1
    for q in range(len(u)):
        x = keys[q]
        idx = min(np.int64(lo[np.int64(x * grid)]), n - 1)
        while idx < n - 1 and cdf[idx] < x:
            idx += 1
        out[order[q]] = idx


class _Lent:
    """Temporary arrays laid one after another in the memory of an array not in use yet (64-byte aligned).

    Every MB a process writes for the first time costs the kernel 0.2–3 ms here (a fresh page
    from the VM: docs/PERFORMANCE.md, "Third round: large"); the network build's tables and
    buffers are dead before the CSR build writes its indices, so they can live in the indices'
    memory, paid for once. An array that does not fit (or with no memory lent) is a fresh one.
    """

    def __init__(self, memory: np.ndarray | None) -> None:
        self._raw = None if memory is None else memory.reshape(-1).view(np.uint8)
        self._at = 0

    def empty(self, k: int, dtype) -> np.ndarray:
        """An uninitialised ``k``-long array of ``dtype``, in the lent memory if it still fits there."""
        nbytes = k * np.dtype(dtype).itemsize
        if self._raw is None or self._at + nbytes > len(self._raw):
            return np.empty(k, dtype=dtype)
        out = self._raw[self._at : self._at + nbytes].view(dtype)
        self._at += -(-nbytes // 64) * 64
        return out


def _inverse_cdf_draws(cdf: np.ndarray, rng: np.random.Generator, m: int, lent: _Lent | None = None) -> np.ndarray:
    """``min(searchsorted(cdf, rng.random(m)), n - 1)`` as int32, cache-friendly and in O(m + n).

    A power-of-two grid over [0, 1) with ≥ n cells (≥ 2n when direct) gives each draw an exact
    lower bound for its answer (``u × 2^b`` and ``k / 2^b`` are exact in floating point). Up to
    :data:`_DIRECT_USERS` users, where the tables stay in cache, each draw is looked up where it
    is (:func:`_lookup`), in batches of :data:`_DIRECT_BATCH` draws. Above, the draws are taken
    in chunks of ``max(_CHUNK, n)`` and resolved chunk by chunk block by block (:func:`_resolve`),
    so that the tables are read about ``2m / n`` times whatever the size. Either way the draws go
    into one reused buffer (the same stream as one ``rng.random(m)``: each float64 consumes one
    64-bit output of the generator) and no m-long float64 array is held. Same values as ``np.searchsorted`` (side
    ``left``) clipped to ``n − 1``. The grid bounds and the buffers are taken from ``lent``.
    """
    lent = lent or _Lent(None)
    n = len(cdf)
    bits = max(1, (n - 1).bit_length())
    direct = n <= _DIRECT_USERS
    bits += int(direct)  # looked up directly: ≥ 2n cells, so that most draws' cell bound is their answer
    grid = 1 << bits
    lo = _grid_bounds(cdf, lent.empty(grid + 1, np.int32))
    out = np.empty(m, dtype=np.int32)
    if direct:
        batch = lent.empty(min(m, _DIRECT_BATCH), np.float64)
        for s in range(0, m, len(batch)):
            u = rng.random(out=batch[: min(len(batch), m - s)])
            _lookup(cdf, lo, grid, u, out[s : s + len(u)], n <= _STEP_FIRST_USERS)
        return out
    block_shift = min(max(_BLOCK_BITS, bits - _MAX_BLOCK_COUNT_BITS), bits)
    counts = np.zeros((grid >> block_shift) + 2, dtype=np.int64)
    chunk = min(m, max(_CHUNK, n))
    draws = lent.empty(chunk, np.float64)
    order = lent.empty(chunk, np.int32)
    keys = lent.empty(chunk, np.float64)
    for s in range(0, m, chunk):
        u = rng.random(out=draws[: min(chunk, m - s)])
        _resolve(cdf, lo, grid, block_shift, u, out[s : s + len(u)], order, keys, counts)
    return out


def _chung_lu_cdf(n: int, mean_degree: float, rng: np.random.Generator, lent: _Lent | None = None) -> np.ndarray:
    """CDF over the users of the Chung-Lu endpoint weights (in a function of its own: its temporaries die here)."""
    # expected degrees w_i ∝ i^(-1/(γ-1)) (Chung & Lu 2002); endpoints drawn ∝ w
    # one n-long array (from ``lent``), every step in place (as many fresh pages as one array at
    # most: at 5M users, 40 MB instead of five temporaries of 40 MB; the same values and draws)
    w = (lent or _Lent(None)).empty(n, np.float64)
    w[:] = 1.0
    np.cumsum(w, out=w)  # 1, 2, …, n exactly: np.arange(1, n + 1) without a temporary
    np.power(w, -1.0 / (POWER_LAW_EXPONENT - 1.0), out=w)
    # structural cut-off: no expected degree above sqrt(n × mean degree)
    np.minimum(w, w.mean() * np.sqrt(n * mean_degree) / mean_degree, out=w)
    rng.shuffle(w)  # as rng.permutation(w), which shuffles a copy
    np.cumsum(w, out=w)
    w /= w[-1]
    return w


def build_network(params: Network, n: int, rng: np.random.Generator) -> sp.csr_matrix | None:
    """Build the scenario's social network over ``n`` users (``None`` for well-mixed)."""
    if params.kind == NetworkKind.well_mixed or n < 2:
        return None
    m = int(round(n * params.mean_degree / 2))
    if params.kind == NetworkKind.random:
        u = rng.integers(0, n, m)
        v = rng.integers(0, n, m)
        return _symmetric_csr(n, u, v)
    if params.kind == NetworkKind.scale_free:
        # the CSR's indices, until then the memory of the CDF, the grid bounds and the buffers
        entries = np.empty(2 * m, dtype=np.int32)
        lent = _Lent(entries)
        cdf = _chung_lu_cdf(n, params.mean_degree, rng, lent)
        ends = _inverse_cdf_draws(cdf, rng, 2 * m, lent)  # all of u, then all of v: one stream, one set of buffers
        del cdf, lent  # not held through the CSR build, the set-up's memory peak
        return _symmetric_csr(n, ends[:m], ends[m:], entries)
    # small world: each node links to its k/2 clockwise neighbours, each link rewired with p
    half = max(1, int(round(params.mean_degree / 2)))
    u = np.repeat(np.arange(n), half)
    v = (u + np.tile(np.arange(1, half + 1), n)) % n
    rewire = rng.random(len(v)) < params.rewire_p
    v[rewire] = rng.integers(0, n, int(rewire.sum()))
    return _symmetric_csr(n, u, v)


def neighbour_edges(g: sp.csr_matrix, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edge ids and owning node for all edges out of ``nodes`` (vectorised CSR row gather)."""
    starts = g.indptr[nodes]
    lens = g.indptr[nodes + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    owner = np.repeat(nodes, lens)
    # edge id = row start + position within the row = (start − edges before this row) + k
    return np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total), owner
