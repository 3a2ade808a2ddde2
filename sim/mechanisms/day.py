"""Today's plan and today's ledger, shared by the mechanisms within one step.

:class:`Day` is filled by the operator and the shock rule at the start of a step (what kind of
day it is), and :class:`Ledger` accumulates today's counts and money as the mechanisms run.
The model turns the ledger into one row of ``RunResult.daily``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Population columns that no mechanism changes during a day (traits are drawn once, a user's
#: group is set when they join), so their values for today's reach can be gathered once.
DAY_STATIC = frozenset({"need", "deal", "price_sens", "tolerance", "cycle", "sociability", "group"})


@dataclass
class Day:
    """What kind of day it is (set before the mechanisms run)."""

    t: int
    public_open: bool = True
    demand: float = 1.0
    discount: float = 0.0          # discount offered to private users today (event days)
    event: bool = False            # a welfare event or the monthly promotion is on
    rebates_active: bool = False   # join cash, cash back and referral rewards are paid
    red_packet: bool = False
    campaign: bool = False
    reach: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    ads: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.float32))
    content: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.float32))
    notices: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.float32))
    threshold: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.float32))
    _gathered: dict = field(default_factory=dict, repr=False, compare=False)

    def of_reach(self, pop: Any, column: str) -> np.ndarray:
        """``pop.<column>[self.reach]`` for a column in ``DAY_STATIC``, gathered once a day.

        The result is shared between mechanisms and read-only. (At a million users a gather of
        the reachable rows costs about a millisecond; several mechanisms need the same ones.)
        """
        if column not in DAY_STATIC:
            raise ValueError(f"pop.{column} can change within a day; index it directly")
        hit = self._gathered.get(column)
        if hit is None or hit[0] is not self.reach:
            values = getattr(pop, column)[self.reach]
            values.flags.writeable = False
            hit = (self.reach, values)
            self._gathered[column] = hit
        return hit[1]


class Ledger(dict):
    """Today's counters and money, keyed by daily column name (missing keys read as 0)."""

    def add(self, key: str, value: Any) -> None:
        """Add ``value`` to counter ``key``."""
        self[key] = self.get(key, 0.0) + float(value)

    def __missing__(self, key: str) -> float:
        return 0.0
