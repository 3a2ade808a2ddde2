"""Today's plan and today's ledger, shared by the mechanisms within one step.

:class:`Day` is filled by the operator and the shock rule at the start of a step (what kind of
day it is), and :class:`Ledger` accumulates today's counts and money as the mechanisms run.
The model turns the ledger into one row of ``RunResult.daily``.

The ledger is one ``float64`` array with a slot per key (:data:`LEDGER_KEYS`, index
:data:`KEY`), so compiled code books into it directly (the pool's day, ``sim.mechanisms.pool``)
and the model copies it into the day's row in one go; Python books through :meth:`Ledger.add`.
Every value is booked in the same order as it would be in a dict of Python floats (each
``add`` is one float64 addition), so the books are the same to the bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.mechanisms.budget import RED_PACKET_KEY
from sim.results import DAILY_COLUMNS

#: the daily table's integer columns (int64): the day, the stage counts, the pool and the phase
INT_COLUMNS = ("day", "public", "followers", "customers", "repeat", "members", "partners", "dormant",
               "churned", "private_pool", "reachable", "phase")
#: daily float columns the model computes at the end of the day from the books and the pool
COMPUTED_COLUMNS = ("mean_trust", "mean_fatigue", "group_activity", "cost_total", "profit", "cum_profit",
                    "cost_per_exposure", "cac_platform")
#: keys booked and read within the day that are not columns of the daily table
HIDDEN_KEYS = (RED_PACKET_KEY, "joins_referral")
#: the ledger's keys: every daily float column the mechanisms book, ``acq_cost``, the hidden keys
LEDGER_KEYS = (*[c for c in DAILY_COLUMNS if c not in INT_COLUMNS and c not in COMPUTED_COLUMNS], "acq_cost",
               *HIDDEN_KEYS)
#: key -> its slot in ``Ledger.values``
KEY = {k: i for i, k in enumerate(LEDGER_KEYS)}


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


class Ledger:
    """Today's counters and money by key (daily column name); a key never booked reads 0.

    ``values`` holds the :data:`LEDGER_KEYS` (slot ``KEY[name]``); any other key is kept aside.
    """

    __slots__ = ("_other", "values")

    def __init__(self) -> None:
        self.values = np.zeros(len(LEDGER_KEYS), dtype=np.float64)
        self._other: dict[str, float] = {}

    def add(self, key: str, value: Any) -> None:
        """Add ``value`` to counter ``key``."""
        i = KEY.get(key)
        if i is None:
            self._other[key] = self._other.get(key, 0.0) + float(value)
        else:
            self.values[i] += float(value)

    def __getitem__(self, key: str) -> float:
        i = KEY.get(key)
        return self._other.get(key, 0.0) if i is None else float(self.values[i])

    def __setitem__(self, key: str, value: Any) -> None:
        i = KEY.get(key)
        if i is None:
            self._other[key] = float(value)
        else:
            self.values[i] = value

    def get(self, key: str, default: float = 0.0) -> float:
        """The value of ``key`` (``default`` if it is not a ledger key and was never booked)."""
        i = KEY.get(key)
        return self._other.get(key, default) if i is None else float(self.values[i])

    def update(self, values: dict[str, Any]) -> None:
        """Set each key of ``values`` to its value (as ``dict.update``)."""
        for key, value in values.items():
            self[key] = value

    def keys(self) -> list[str]:
        """The keys booked so far with a value other than 0 (``dict(ledger)`` gives them)."""
        return [k for k, v in zip(LEDGER_KEYS, self.values.tolist(), strict=True) if v != 0.0] + list(self._other)

    def __iter__(self):
        return iter(self.keys())
