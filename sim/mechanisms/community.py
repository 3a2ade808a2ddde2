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

from sim.arrays import mean_of
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
        in order as :meth:`assign` does.
        """
        size = self.size
        before = -(-self.seats_filled // size)
        after = -(-seats // size)
        self.seats_filled = seats
        if after > before:
            self.activity[before:after] = self.initial

    def mean_activity(self) -> float:
        """Mean activity over opened groups (0 if none)."""
        n = -(-self.seats_filled // self.size)  # count
        return float(mean_of(self.activity[:n])) if n else 0.0


def update_activity(model) -> None:
    """Apply one day of the activity rule to every group; drop red packets on schedule."""
    groups = model.groups
    n = -(-groups.seats_filled // groups.size)  # groups.count
    if n == 0:
        return
    sc = model.scenario
    key, rule = groups.rule
    if key is not sc:  # the scenario's constants of the rule, once per scenario (phases change it)
        rule = groups.rule_for(sc)
    on, keep, s, lift, decay = rule
    if not on:
        return
    if model.day.red_packet:
        s += lift * decay ** groups.red_packets
        groups.red_packets += 1
    _activity_day(groups.activity[:n], keep, float(min(s, 1.0)))


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
