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

from sim.jit import rule
from sim.mechanisms.budget import R_CONTENT_ON, RED_PACKET_KEY, running_parts
from sim.mechanisms.community import mean_float32
from sim.results import COST_COLUMNS, DAILY_COLUMNS

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
_COST_FIRST, _COST_END = KEY[COST_COLUMNS[0]], KEY[COST_COLUMNS[-1]] + 1  # the cost keys, in COST_COLUMNS order
assert LEDGER_KEYS[_COST_FIRST:_COST_END] == tuple(COST_COLUMNS)
_MARGIN, _COST_ADS, _PLATFORM = KEY["margin"], KEY["cost_ads"], KEY["platform_purchases"]
_STAFF, _ACCOUNTS, _CONTENT = KEY["cost_staff"], KEY["cost_accounts"], KEY["cost_content"]
_N_KEYS = len(LEDGER_KEYS)
_PUBLIC, _FOLLOWER, _DORMANT = 0, 1, 6  # Stage.PUBLIC, Stage.FOLLOWER, Stage.DORMANT


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


@rule
def day_row(ints, floats, counts, lv, t, phase, n_public, trust_sum, fatigue_sum, activity, n_groups,
            cost_per_exposure, cum_profit):
    """Write the day's row of results; returns the cumulative profit after today (``SiyuModel._record``).

    ``ints`` gets the :data:`INT_COLUMNS`: day ``t``, the stage ``counts`` (the public count set
    to ``n_public``), the private pool (followers to dormant), the reachable (the pool less the
    dormant) and ``phase``. ``floats`` gets the ledger's values ``lv`` and then the
    :data:`COMPUTED_COLUMNS`: the pool's mean trust and fatigue (0 for an empty pool), the mean
    activity of the ``n_groups`` opened groups (:func:`mean_float32`, 0 if none), the costs' total
    (added in :data:`~sim.results.COST_COLUMNS` order), profit (margin less costs), cumulative
    profit, today's ``cost_per_exposure`` and the platform CAC (ad cost per platform order, NaN
    without orders).
    """
    counts[_PUBLIC] = n_public
    in_pool = 0
    for s in range(_FOLLOWER, _DORMANT + 1):
        in_pool += counts[s]
    ints[0] = t
    ints[1 : 1 + len(counts)] = counts
    ints[1 + len(counts)] = in_pool
    ints[2 + len(counts)] = in_pool - counts[_DORMANT]
    ints[3 + len(counts)] = phase
    floats[:_N_KEYS] = lv
    cost_total = 0.0
    for j in range(_COST_FIRST, _COST_END):
        cost_total += lv[j]
    profit = lv[_MARGIN] - cost_total
    cum_profit += profit
    floats[_N_KEYS] = trust_sum / in_pool if in_pool else 0.0
    floats[_N_KEYS + 1] = fatigue_sum / in_pool if in_pool else 0.0
    floats[_N_KEYS + 2] = mean_float32(activity[:n_groups]) if n_groups > 0 else 0.0
    floats[_N_KEYS + 3] = cost_total
    floats[_N_KEYS + 4] = profit
    floats[_N_KEYS + 5] = cum_profit
    floats[_N_KEYS + 6] = cost_per_exposure
    floats[_N_KEYS + 7] = lv[_COST_ADS] / lv[_PLATFORM] if lv[_PLATFORM] != 0.0 else np.nan
    return cum_profit




@rule
def book_running_costs(lv, pool, rc):
    """Book today's running costs (``budget.running_costs``) into the ledger's values ``lv``, in their order.

    ``rc`` is the scenario's ``budget.running_constants``. Nothing with no one in the pool unless
    the content hook is on (its content is produced anyway).
    """
    if pool <= 0 and rc[R_CONTENT_ON] == 0.0:
        return
    staff, accounts, content = running_parts(pool, rc)
    lv[_STAFF] += staff
    lv[_ACCOUNTS] += accounts
    lv[_CONTENT] += content
