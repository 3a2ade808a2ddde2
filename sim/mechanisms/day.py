"""Today's plan and today's ledger, shared by the mechanisms within one step.

:class:`Day` is filled by the operator and the shock rule at the start of a step (what kind of
day it is), and :class:`Ledger` accumulates today's counts and money as the mechanisms run.
The model turns the ledger into one row of ``RunResult.daily``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


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
    #: users reachable this morning (after acquisition), in user-id order
    reach: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


class Ledger(dict):
    """Today's counters and money, keyed by daily column name (missing keys read as 0)."""

    def add(self, key: str, value: Any) -> None:
        """Add ``value`` to counter ``key``."""
        self[key] = self.get(key, 0.0) + float(value)

    def __missing__(self, key: str) -> float:
        return 0.0
