"""The user population: one row per user, stored as numpy columns (structure of arrays).

Users are the many agents of the model. Mesa's per-object agents cannot reach a million users
in seconds, so every user attribute is a column here; the actors' rules act on whole columns
(or index subsets of them) and the private pool's per-user rules run as compiled loops over
the pool (``sim.mechanisms.pool``). States are :class:`Stage` codes,
join channels :class:`Source` codes, why a user muted or left :class:`Cause` codes, and the things that happened to a user today are
:class:`Event` bits (used by the per-user trace).
"""

from __future__ import annotations

from enum import IntEnum, IntFlag
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.jit import rule
from sim.mechanisms.streams import as_generator, handle
from sim.scenario import Population as PopulationParams
from sim.scenario import Product

NEVER = -1_000_000  # "day" of something that has not happened


class Stage(IntEnum):
    """Lifecycle stage of a user; exactly one per user per day."""

    PUBLIC = 0    # in the rented public pool, no relationship
    FOLLOWER = 1  # in the private pool, never bought from us privately or publicly
    CUSTOMER = 2  # bought once
    REPEAT = 3    # bought at least twice
    MEMBER = 4    # loyal buyer in the membership tier
    PARTNER = 5   # super user who refers and earns commission
    DORMANT = 6   # muted: still in the pool, unreachable
    CHURNED = 7   # left the private pool


class Source(IntEnum):
    """How a user entered the private pool."""

    NONE = 0
    CARD = 1      # package-insert card in a platform order
    GIFT = 2      # free gift for adding the account
    CASH = 3      # cash back for joining
    CONTENT = 4   # public content led them in
    REFERRAL = 5  # a friend's share


class Cause(IntEnum):
    """Why a user muted or left (docs/MODEL.md, "Leave causes"); one code per user for each."""

    NONE = 0
    FATIGUE = 1        # fatigue past tolerance (mute) or past leave_multiple × tolerance (leave)
    INCENTIVE = 2      # the memory of the last cash reward ran out (lost incentive)
    BACKGROUND = 3     # background churn unrelated to the merchant
    FAILED_ORDER = 4   # an order failed and the buyer left
    CLEANUP = 5        # a muted user cleared the dead contact out (dormant clean-up)


#: leave causes and the daily column counting each (the columns add up to ``leaves``)
LEAVE_COLUMNS: dict[Cause, str] = {
    Cause.FATIGUE: "leaves_fatigue", Cause.INCENTIVE: "leaves_incentive",
    Cause.BACKGROUND: "leaves_background", Cause.FAILED_ORDER: "leaves_failed_order",
    Cause.CLEANUP: "leaves_cleanup",
}


CAUSE_NAMES = [c.name.lower() for c in Cause]


class Tag(IntFlag):
    """Operator tags (标签) used for routing and targeted seeding."""

    PAID = 1
    DEAL_SEEKER = 2
    CONTENT_FAN = 4
    INFLUENCER = 8
    GROUP_BUY_LEADER = 16


class Event(IntFlag):
    """What happened to a user on a day (recorded for the per-user trace)."""

    EXPOSED = 1
    PLATFORM_BUY = 2
    JOINED = 4
    BOUGHT = 8
    FAILED = 16
    CHAT = 32
    PROMO = 64
    RED_PACKET = 128
    MUTED = 256
    REACTIVATED = 512
    LEFT = 1024
    SHARED = 2048
    REWARDED = 4096
    PROMOTED = 8192


class Columns(NamedTuple):
    """The population columns the compiled daily pass reads and writes (views, not copies)."""

    stage: np.ndarray
    rung: np.ndarray
    trust: np.ndarray
    fatigue: np.ndarray
    need: np.ndarray
    deal: np.ndarray
    price_sens: np.ndarray
    tolerance: np.ndarray
    cycle: np.ndarray
    sociability: np.ndarray
    group: np.ndarray
    purchases: np.ndarray
    last_purchase: np.ndarray
    last_reward: np.ndarray
    leave_day: np.ndarray
    leave_cause: np.ndarray
    mute_cause: np.ndarray
    messages: np.ndarray
    events: np.ndarray
    referrals: np.ndarray


_FOLLOWER, _JOINED, _REWARDED = 1, 4, 4096  # Stage.FOLLOWER, Event.JOINED, Event.REWARDED


@rule
def _join(idx, refs, has_refs, in_group, group_ids, source, t, base_trust, endorsement, rewarded, purchases,
          rung, stage, src, join_day, trust, referrer, fatigue, group, events, last_reward, joined, n_joined):
    """The per-user writes of a join (``acquisition.admit_users``), float32 trust as the columns hold it.

    Each of ``idx`` starts on the rung their orders earned (``lifecycle.order_rung``), from
    ``source`` on day ``t``, with trust ``min(1, base_trust + endorsement × referrer's trust)``
    if referred (``refs``, when ``has_refs``), else at least ``base_trust``; no fatigue; in the
    next group seats (``group_ids``) if ``in_group``; with a reward today if ``rewarded``. Their
    ids go to ``joined[n_joined:]``.
    """
    base = np.float32(base_trust)
    endo = np.float32(endorsement)
    g = 0
    for j in range(len(idx)):
        i = idx[j]
        r = _FOLLOWER + min(max(purchases[i], 0), 2)  # lifecycle.order_rung
        rung[i] = r
        stage[i] = r
        src[i] = source
        join_day[i] = t
        if has_refs:
            trust[i] = min(np.float32(1.0), base + endo * trust[refs[j]])
            referrer[i] = refs[j]
        else:
            trust[i] = max(trust[i], base)
        fatigue[i] = 0.0
        if in_group[j]:
            group[i] = group_ids[g]
            g += 1
        events[i] |= _JOINED
        if rewarded:
            last_reward[i] = t
            events[i] |= _REWARDED
        joined[n_joined + j] = i


@rule
def _merge_tail(a, n_sorted, n):
    """Sort ``a[:n]`` in place, given that ``a[:n_sorted]`` is sorted: sort the tail, merge backwards."""
    tail = np.sort(a[n_sorted:n])
    i, j = n_sorted - 1, len(tail) - 1
    for k in range(n - 1, -1, -1):
        if j < 0:
            break
        if i >= 0 and a[i] > tail[j]:
            a[k] = a[i]
            i -= 1
        else:
            a[k] = tail[j]
            j -= 1


#: users per chunk of the lognormal trait draws (float64 temporaries of 2 MB stay in cache)
_DRAW_CHUNK = 1 << 18


@rule
def _gamma(g, shape, d, c):
    """``Generator.standard_gamma(shape)``, given ``d = shape − 1/3`` and ``c = 1 / √(9d)`` computed once.

    For ``shape`` > 1 numpy's Marsaglia-Tsang rejection step by step (a standard normal, then a
    uniform, the same squeeze and log test), with its two constants taken as arguments instead
    of recomputed (a square root and a division) at every draw; otherwise numpy's own draw.
    """
    if shape <= 1.0:
        return g.standard_gamma(shape)
    while True:
        while True:
            x = g.standard_normal()
            v = 1.0 + c * x
            if v > 0.0:
                break
        v = v * v * v
        u = g.random()
        if u < 1.0 - 0.0331 * (x * x) * (x * x):
            return d * v
        if np.log(u) < 0.5 * x * x + d * (1.0 - v + np.log(v)):
            return d * v


@rule
def _betas(h, a, b, out):
    """``out[i] = Beta(a, b)`` in float32, as ``Generator.beta(a, b, size=len(out)).astype(float32)``.

    ``h`` is the run's generator (``streams.handle``). numpy's algorithm on the same bit
    generator, so the same draws in the same order: Jöhnk's (numba's ``Generator.beta``) when
    both shapes are at most 1, else ``Ga / (Ga + Gb)`` of two gamma draws (:func:`_gamma`, each
    shape's constants computed once for the column: a third of the draw's cost). Written
    straight into the float32 column (the same rounding as numpy's cast), with no float64 temporary.
    """
    g = as_generator(h)
    if a <= 1.0 and b <= 1.0:
        for i in range(len(out)):
            out[i] = g.beta(a, b)
        return
    da, db = a - 1.0 / 3.0, b - 1.0 / 3.0
    ca = 1.0 / np.sqrt(9 * da) if a > 1.0 else 0.0  # (unused for a shape ≤ 1)
    cb = 1.0 / np.sqrt(9 * db) if b > 1.0 else 0.0
    for i in range(len(out)):
        ga = _gamma(g, a, da, ca)
        gb = _gamma(g, b, db, cb)
        out[i] = ga / (ga + gb)


@rule
def _normals(h, out):
    """``out[:] = Generator.standard_normal(len(out))`` (float64), drawn by numba on the same stream."""
    g = as_generator(h)
    for i in range(len(out)):
        out[i] = g.standard_normal()


def _lognormal(rng: np.random.Generator, scale: float, sigma: float, n: int) -> np.ndarray:
    """float32 column of ``scale × exp(sigma × Z)``, ``Z`` standard normal: the same values as in one draw.

    The normals are drawn chunk by chunk into one float64 buffer (consecutive draws continue one
    stream) and ``exp`` is numpy's, as in ``(scale * np.exp(sigma * rng.standard_normal(n))).astype(float32)``.
    """
    out = np.empty(n, dtype=np.float32)
    z = np.empty(min(n, _DRAW_CHUNK), dtype=np.float64)
    h = handle(rng)
    for s in range(0, n, _DRAW_CHUNK):
        k = min(_DRAW_CHUNK, n - s)
        _normals(h, z[:k])
        out[s : s + k] = scale * np.exp(sigma * z[:k])
    return out


def _beta(rng: np.random.Generator, mean: float, conc: float, n: int) -> np.ndarray:
    out = np.empty(n, dtype=np.float32)
    _betas(handle(rng), mean * conc, (1.0 - mean) * conc, out)
    return out


class Traits(NamedTuple):
    """The per-user traits of a population: drawn once (:func:`draw_traits`), never changed by a run."""

    need: np.ndarray
    deal: np.ndarray
    price_sens: np.ndarray
    tolerance: np.ndarray
    cycle: np.ndarray
    sociability: np.ndarray


def draw_traits(params: PopulationParams, product: Product, rng: np.random.Generator) -> Traits:
    """Draw ``params.n_users`` users' traits from the scenario's distributions, in this order.

    Need, deal seeking and price sensitivity ~ Beta(mean × c, (1 − mean) × c) with c the
    trait concentration; tolerance ~ median × lognormal(σ); purchase cycle ~ the product's
    cycle × lognormal(σ), at least one day; sociability ~ lognormal(σ) scaled to mean 1. Reads
    only ``params`` and ``product.purchase_cycle_days`` (``sim.shared_setup.setup_key``).
    """
    n = params.n_users
    c = params.trait_concentration
    need = _beta(rng, params.need_mean, c, n)
    deal = _beta(rng, params.deal_seeking_mean, c, n)
    price_sens = _beta(rng, params.price_sensitivity_mean, c, n)
    tolerance = _lognormal(rng, params.tolerance_median, params.tolerance_sigma, n)
    cycle = _lognormal(rng, product.purchase_cycle_days, params.cycle_sigma, n)
    np.maximum(cycle, 1.0, out=cycle)
    soc = np.empty(n, dtype=np.float64)  # the same values as exp(σ × z) / mean, in one float64 array
    _normals(handle(rng), soc)
    soc *= params.sociability_sigma
    np.exp(soc, out=soc)
    soc /= soc.mean()
    sociability = soc.astype(np.float32)
    return Traits(need, deal, price_sens, tolerance, cycle, sociability)


class Population:
    """Columns of per-user traits (drawn once) and state (changed by the mechanisms)."""

    def __init__(self, params: PopulationParams, product: Product, rng: np.random.Generator) -> None:
        """Draw ``params.n_users`` users' traits from the scenario's distributions (:func:`draw_traits`)."""
        self._start(draw_traits(params, product, rng))

    @classmethod
    def from_traits(cls, traits: Traits) -> Population:
        """A population of users with ``traits`` (shared, read only) and a fresh state of their own."""
        pop = cls.__new__(cls)
        pop._start(traits)
        return pop

    def _start(self, traits: Traits) -> None:
        """Take the traits and set every user's state as before day 0: public, never joined."""
        n = len(traits.need)
        self.n = n
        self.traits = traits
        self.need, self.deal, self.price_sens, self.tolerance, self.cycle, self.sociability = traits
        # state
        self.stage = np.zeros(n, dtype=np.int8)
        self.rung = np.zeros(n, dtype=np.int8)  # highest ladder stage reached (kept while dormant)
        self.trust = np.zeros(n, dtype=np.float32)
        self.fatigue = np.zeros(n, dtype=np.float32)
        self.source = np.zeros(n, dtype=np.int8)
        self.join_day = np.full(n, NEVER, dtype=np.int32)
        self.leave_day = np.full(n, NEVER, dtype=np.int32)
        self.leave_cause = np.zeros(n, dtype=np.int8)  # Cause of leaving (NONE while in the pool)
        self.mute_cause = np.zeros(n, dtype=np.int8)   # Cause of the latest mute (NONE if never muted)
        self.last_purchase = np.full(n, NEVER, dtype=np.int32)
        self.last_reward = np.full(n, NEVER, dtype=np.int32)
        self.purchases = np.zeros(n, dtype=np.int32)
        self.private_purchases = np.zeros(n, dtype=np.int32)
        self.spend = np.zeros(n, dtype=np.float64)
        self.referrer = np.full(n, -1, dtype=np.int32)
        self.referrals = np.zeros(n, dtype=np.int32)
        self.group_buys = np.zeros(n, dtype=np.int32)
        self.group = np.full(n, -1, dtype=np.int32)
        self.messages = np.zeros(n, dtype=np.float32)  # messages received (cumulative)
        self.events = np.zeros(n, dtype=np.int32)   # today's Event bits (cleared daily when tracing)
        self.cols = Columns(**{name: getattr(self, name) for name in Columns._fields})
        self._acquire_columns = (self.need, self.deal, self.cycle, self.last_purchase, self.spend,
                                 self.private_purchases, self.purchases, self.rung, self.stage, self.source,
                                 self.join_day, self.trust, self.referrer, self.fatigue, self.group, self.events,
                                 self.last_reward)
        # the private pool's index (see `joined`): _n_index entries, sorted up to _n_sorted;
        # _n_joined users ever joined, _n_left of them dropped from the index after leaving
        self._joined = np.empty(max(16, n // 16), dtype=np.int64)
        self._n_index = self._n_sorted = self._n_joined = self._n_left = 0

    # --- the private-pool index -------------------------------------------------------------
    @property
    def joined(self) -> np.ndarray:
        """Indices of the users in the private pool, in increasing order.

        Everyone who joined and had not left by the last evening (users who left today are still
        here until the evening drops them, see :meth:`drop_left`), so the daily passes visit no
        user who left on an earlier day. Kept sorted so that the passes read the columns front to
        back (at a million users, visiting the pool in join order, i.e. at random, costs ten times
        more in cache misses).
        """
        if self._n_sorted < self._n_index:  # merge the newest joiners into the sorted index
            _merge_tail(self._joined, self._n_sorted, self._n_index)
            self._n_sorted = self._n_index
        return self._joined[: self._n_index]

    def drop_left(self, n_kept: int) -> None:
        """Keep the first ``n_kept`` entries of :attr:`joined`; the others have left for good.

        The evening pass moved the users still in the pool to the front, in order.
        """
        self._n_left += self._n_index - n_kept
        self._n_index = self._n_sorted = n_kept

    @property
    def n_left_before(self) -> int:
        """Users who left the pool and were dropped from :attr:`joined` on an earlier evening."""
        return self._n_left

    def add_joined(self, idx: np.ndarray) -> None:
        """Add newly joined users to the private-pool index."""
        k = len(idx)
        index, n_index, _ = self.index_buffer(k)
        index[n_index : n_index + k] = idx
        self.indexed(k)

    def index_buffer(self, room: int) -> tuple[np.ndarray, int, int]:
        """The index's buffer with room for ``room`` more entries, its number of entries and of sorted ones.

        For code that appends joiners after the index's entries (``acquisition._acquire_day``,
        :meth:`add_joined`) and, in the pool's days (``sim.mechanisms.pool.days``), also merges the
        index and drops those who left itself; :meth:`indexed` then books what it did.
        """
        self._grow(room)
        return self._joined, self._n_index, self._n_sorted

    def indexed(self, added: int, kept: int = -1) -> None:
        """Book the index written in :meth:`index_buffer`: ``added`` joiners appended after its entries.

        With ``kept`` ≥ 0 the index was also merged and compacted: its first ``kept`` entries
        are the pool, sorted, and the others have left for good (see :meth:`drop_left`).
        """
        self._n_joined += added
        if kept < 0:  # appended only: sorted when next read (see `joined`)
            self._n_index += added
        else:
            self._n_left += self._n_index + added - kept
            self._n_index = self._n_sorted = kept

    @property
    def n_index(self) -> int:
        """Entries of the pool's index (:attr:`joined`, before today's evening drops today's leavers)."""
        return self._n_index

    def _grow(self, k: int) -> None:
        if self._n_index + k > len(self._joined):
            grown = np.empty(max(2 * len(self._joined), self._n_index + k), dtype=np.int64)
            grown[: self._n_index] = self._joined[: self._n_index]
            self._joined = grown

    @property
    def join_columns(self) -> tuple[np.ndarray, ...]:
        """The columns a join writes, in the order of ``_join``'s (and ``acquisition.admit_users``'s) arguments.

        ``purchases`` (read), ``rung``, ``stage``, ``source``, ``join_day``, ``trust``, ``referrer``,
        ``fatigue``, ``group``, ``events``, ``last_reward``: passed to compiled code one by one
        (numba unboxes separate arrays several times faster than a named tuple of them).
        """
        return self._acquire_columns[6:]

    @property
    def acquire_columns(self) -> tuple[np.ndarray, ...]:
        """The columns a day's acquisition reads and writes (``acquisition._acquire_day``'s last arguments).

        ``need``, ``deal``, ``cycle``, ``last_purchase``, ``spend``, ``private_purchases``, then
        :attr:`join_columns` (one tuple, built once: the columns are changed in place, never replaced).
        """
        return self._acquire_columns

    @property
    def n_joined(self) -> int:
        """Users who ever joined the private pool."""
        return self._n_joined

    # --- reporters ----------------------------------------------------------------------------
    def tags(self) -> np.ndarray:
        """Operator tags as a bit mask per user (see :class:`Tag`)."""
        t = np.zeros(self.n, dtype=np.uint8)
        t |= np.where(self.purchases > 0, Tag.PAID, 0).astype(np.uint8)
        t |= np.where(self.deal > 0.6, Tag.DEAL_SEEKER, 0).astype(np.uint8)
        t |= np.where(self.deal < 0.3, Tag.CONTENT_FAN, 0).astype(np.uint8)
        t |= np.where((self.referrals >= 2) | (self.sociability > np.quantile(self.sociability, 0.9)), Tag.INFLUENCER, 0).astype(np.uint8)
        t |= np.where(self.group_buys > 0, Tag.GROUP_BUY_LEADER, 0).astype(np.uint8)
        return t

    def table(self) -> pd.DataFrame:
        """The final per-user table (one row per user)."""
        return pd.DataFrame({
            "user": np.arange(self.n),
            "stage": pd.Categorical.from_codes(self.stage, [s.name.lower() for s in Stage]),
            "rung": pd.Categorical.from_codes(self.rung, [s.name.lower() for s in Stage]),
            "source": pd.Categorical.from_codes(self.source, [s.name.lower() for s in Source]),
            "trust": self.trust, "fatigue": self.fatigue, "need": self.need, "deal_seeking": self.deal,
            "price_sensitivity": self.price_sens, "tolerance": self.tolerance, "cycle": self.cycle,
            "sociability": self.sociability, "join_day": self.join_day, "leave_day": self.leave_day,
            "leave_cause": pd.Categorical.from_codes(self.leave_cause, CAUSE_NAMES),
            "purchases": self.purchases, "private_purchases": self.private_purchases, "spend": self.spend,
            "referrer": self.referrer, "referrals": self.referrals, "group_buys": self.group_buys,
            "group": self.group, "messages": self.messages, "tags": self.tags(),
        })
