"""Group activity (社群): decays without stimulus, lifted by content, check-ins and red packets.

Rule (DOMAIN §4, §5): each group ``g`` has activity ``A_g ∈ [0, 1]`` that starts at
``initial_activity`` and each day first decays, ``A_g ← A_g (1 − activity_decay)``, then moves
toward 1 by the day's stimulus, ``A_g ← A_g + (1 − A_g) × min(1, s)``, where ``s`` adds
``content_stimulus`` on content days, ``check_in_stimulus`` with check-ins, and
``red_packet_lift × red_packet_decay^k`` on the merchant's ``k``-th red packet (k = 0, 1, …,
counted over all groups): each red packet lifts activity less than the one before. Activity raises members' message
tolerance (``activity_tolerance_bonus``), their buying (``purchase.group_activity_lift``) and
their familiarity trust gain.
"""

from __future__ import annotations

import numpy as np

from sim.jit import rule


class Groups:
    """The merchant's WeChat groups: membership counts and activity per group."""

    def __init__(self, n_users: int, group_size: int, initial_activity: float) -> None:
        """Room for every group the population could fill."""
        self.size = group_size
        self.activity = np.zeros(n_users // group_size + 2, dtype=np.float32)
        self.initial = initial_activity
        self.seats_filled = 0
        self.red_packets = 0
        self.rule: tuple = (None, None)  # (scenario, its activity-rule constants): see rule_for

    def rule_for(self, sc) -> tuple:
        """The activity rule's constants for scenario ``sc``, kept in :attr:`rule` with ``sc``.

        (switched on, ``1 − activity_decay``, the stimulus of an ordinary day — content, then
        check-ins —, ``red_packet_lift``, ``red_packet_decay``).
        """
        com, st = sc.community, sc.strategy
        s = 0.0
        if st.content_posts_per_day > 0:
            s += com.content_stimulus
        if st.check_ins:
            s += com.check_in_stimulus
        rule = (bool(sc.mechanisms.group_activity), float(1.0 - com.activity_decay), s, com.red_packet_lift,
                com.red_packet_decay)
        self.rule = (sc, rule)
        return rule

    @property
    def count(self) -> int:
        """Groups opened so far."""
        return -(-self.seats_filled // self.size)

    def assign(self, k: int) -> np.ndarray:
        """Group ids for ``k`` new members, filling groups in order (a new group starts lively)."""
        ids = (self.seats_filled + np.arange(k)) // self.size
        self.fill(self.seats_filled + k)
        return ids.astype(np.int32)

    def fill(self, seats: int) -> None:
        """Record ``seats`` seats filled in all (no fewer than now): the groups it opens start lively.

        For joiners seated by compiled code (``acquisition.admit_users``), which takes the seats
        in order as :meth:`assign` does (:func:`open_groups`).
        """
        open_groups(self.activity, self.size, self.seats_filled, seats, float(self.initial))
        self.seats_filled = seats

    def today(self, sc, red_packet: bool, ahead: int = 0) -> tuple[bool, float, float]:
        """Today's activity rule under scenario ``sc``: (switched on, ``1 − activity_decay``, ``min(1, s)``).

        ``s`` is the ordinary day's stimulus plus, on a ``red_packet`` day, the
        :attr:`red_packets`-th red packet's lift (counted by the caller once the rule ran), or
        with ``ahead`` the lift of the red packet ``ahead`` drops later (for days planned ahead).
        """
        key, rule = self.rule
        if key is not sc:  # the scenario's constants of the rule, once per scenario (phases change it)
            rule = self.rule_for(sc)
        on, keep, s, lift, decay = rule
        if red_packet:
            s += lift * decay ** (self.red_packets + ahead)
        return on, keep, float(min(s, 1.0))

    def mean_activity(self) -> float:
        """Mean activity over opened groups (0 if none)."""
        n = -(-self.seats_filled // self.size)  # count
        return float(mean_float32(self.activity[:n])) if n else 0.0


def update_activity(model) -> None:
    """Apply one day of the activity rule to every opened group; drop red packets on schedule."""
    groups, red_packet = model.groups, model.day.red_packet
    on, keep, lift = groups.today(model.scenario, red_packet)
    if activity_update(groups.activity, groups.seats_filled, groups.size, on, keep, lift) and red_packet:
        groups.red_packets += 1


@rule
def activity_update(activity, seats, size, on, keep, lift):
    """One day of the activity rule on the groups opened by ``seats`` seats of ``size``; returns whether it ran.

    Nothing when no group is open or the rule is off (``on``); else :func:`_activity_day` with
    ``keep`` and today's ``lift`` (:meth:`Groups.today`) — a red packet dropped today then counts.
    """
    n = -(-seats // size)  # Groups.count
    if n == 0 or not on:
        return False
    _activity_day(activity[:n], keep, lift)
    return True


@rule
def open_groups(activity, size, filled, seats, initial):
    """The groups that ``seats`` seats in all open (``filled`` before, ``size`` a group) start at ``initial``.

    Rounded to float32 as numpy's ``activity[before:after] = initial`` rounds it.
    """
    for g in range(-(-filled // size), -(-seats // size)):
        activity[g] = initial


@rule
def _activity_day(a, keep, lift):
    """One day of the activity rule on the groups' activity ``a`` (float32, in place), compiled.

    ``A ← A × keep`` then ``A ← A + (1 − A) × lift`` (``keep = 1 − activity_decay``, ``lift =
    min(1, s)``), each step rounded to float32 as numpy rounds ``a *= keep; a += (1 − a) × lift``
    with Python floats: the same activities to the bit, in one call instead of four array steps.
    """
    k, lf, one = np.float32(keep), np.float32(lift), np.float32(1.0)
    for g in range(len(a)):
        x = a[g] * k
        a[g] = x + (one - x) * lf


@rule
def mean_float32(a):
    """``np.mean`` of a non-empty float32 array, bit for bit, compiled (the groups' mean activity).

    numpy sums float32 by pairwise summation (:func:`_pairwise_sum`) and divides the float32
    total by the count in float64, rounding the mean back to float32.
    """
    return np.float32(np.float64(_pairwise_sum(a, 0, len(a))) / len(a))


@rule
def _pairwise_sum(a, lo, n):
    """The float32 pairwise sum numpy takes of ``a[lo : lo + n]``, in float32 and in its order.

    Up to 128 values: :func:`_block_sum`; more: the two halves (the first a multiple of 8 long)
    summed apart and added — numpy's recursion, walked here with an explicit stack (numba's
    on-disk cache cannot load a recursive function).
    """
    if n <= 128:
        return _block_sum(a, lo, n)
    depth = 64  # halving n > 128 down to 128 takes fewer than 64 levels
    f_lo = np.empty(depth, dtype=np.int64)
    f_n = np.empty(depth, dtype=np.int64)
    f_phase = np.zeros(depth, dtype=np.int64)  # 0: left half next, 1: right half next, 2: add them
    sums = np.empty(depth, dtype=np.float32)
    top, n_sums = 0, 0
    f_lo[0], f_n[0] = lo, n
    while top >= 0:
        m = f_n[top]
        if m <= 128:
            sums[n_sums] = _block_sum(a, f_lo[top], m)
            n_sums += 1
            top -= 1
            continue
        half = m // 2
        half -= half % 8
        phase = f_phase[top]
        if phase == 2:
            n_sums -= 1
            sums[n_sums - 1] = sums[n_sums - 1] + sums[n_sums]
            top -= 1
            continue
        f_phase[top] = phase + 1
        child_lo = f_lo[top] + (half if phase == 1 else 0)
        top += 1
        f_lo[top], f_n[top], f_phase[top] = child_lo, (m - half if phase == 1 else half), 0
    return sums[0]


@rule
def _block_sum(a, lo, n):
    """The float32 sum numpy takes of up to 128 values ``a[lo : lo + n]`` (a leaf of its pairwise sum).

    Fewer than 8 values: added in turn; else eight running sums over the blocks of 8, combined
    as ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))``, then the rest added in turn.
    """
    if n < 8:
        res = np.float32(0.0)
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r = np.empty(8, dtype=np.float32)
    for j in range(8):
        r[j] = a[lo + j]
    i = 8
    while i < n - n % 8:
        for j in range(8):
            r[j] += a[lo + i + j]
        i += 8
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += a[lo + i]
        i += 1
    return res
