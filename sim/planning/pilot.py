"""Pilot data: reading and checking the merchant's own numbers for a calibration.

A pilot CSV has one row per day (a ``day`` column) or per week (a ``week`` column) and one or
more of the model's daily series, under the model's own column names (:data:`SERIES`)::

    day,new_joins,purchases,leaves
    1,12,3,0
    2,15,4,1
    ...

Rules (each broken one is a one-line :class:`sim.ScenarioError` naming the row and column):

- Days (weeks) count from the launch: the first row is day 0 or day 1 (week 0 or 1), read
  as the model's first day (week); they are whole numbers, strictly increasing (no duplicate,
  no unsorted row). Gaps are allowed — a missing day is simply not compared.
- Every other column is one of :data:`SERIES` (a ``date`` column is allowed and ignored);
  every cell is a finite, non-negative number (counts, RMB or users).
- At least :data:`MIN_ROWS` rows (days) or :data:`MIN_WEEKS` rows (weeks); the file at most
  :data:`MAX_BYTES` bytes; the span (last day + 1) at most the scenario's horizon
  (:meth:`Pilot.check_horizon`).

A week is seven model days: flows (:data:`FLOWS`: joins, purchases, leaves, GMV…) are summed
over the week, stocks (:data:`STOCKS`: pool sizes) are the value on the week's last day.
:meth:`Pilot.observed` and :meth:`Pilot.simulated` give the observed and simulated series on
the same rows, which is what the calibration's distance compares.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ScenarioError, cut, cut_path, finite_number

__all__ = [
    "FLOWS",
    "MAX_BYTES",
    "MIN_ROWS",
    "MIN_WEEKS",
    "SERIES",
    "STOCKS",
    "Pilot",
    "pilot_from_frame",
    "pilot_table",
    "read_pilot",
]

#: Daily flows a merchant can count (summed over a week in a weekly file).
FLOWS = (
    "new_joins", "joins_card", "joins_gift", "joins_content", "joins_cash", "referral_joins",
    "purchases", "private_purchases", "platform_purchases", "first_purchases",
    "gmv", "private_gmv", "platform_gmv", "leaves", "mutes", "messages_sent", "referrals",
)
#: Stocks (people at the end of the day; the week's last day in a weekly file).
STOCKS = ("private_pool", "reachable", "followers", "customers", "repeat", "members", "partners",
          "dormant", "churned")
#: Every column a pilot CSV may carry besides ``day``/``week`` (and an ignored ``date``).
SERIES = FLOWS + STOCKS
IGNORED = ("date",)
MAX_BYTES = 2_000_000
MIN_ROWS = 7
MIN_WEEKS = 3


@dataclass(frozen=True)
class Pilot:
    """A checked pilot: its unit (``day`` or ``week``), 0-based periods and series.

    ``periods`` are the rows' days (weeks) counted from 0 = the launch; ``series`` maps each
    column name to its values on those rows (float arrays of the same length).
    """

    unit: str
    periods: np.ndarray
    series: dict[str, np.ndarray]
    source: str = "pilot"
    first: int = 0  # the first period as written in the file (0 or 1)

    @property
    def columns(self) -> list[str]:
        """The series, in file order."""
        return list(self.series)

    @property
    def rows(self) -> int:
        """Rows of the file."""
        return len(self.periods)

    @property
    def span_days(self) -> int:
        """Model days the pilot covers: last day + 1 (weeks × 7)."""
        last = int(self.periods[-1]) + 1
        return last * 7 if self.unit == "week" else last

    def check_horizon(self, horizon_days: int) -> None:
        """Refuse a pilot longer than the scenario's horizon (one line)."""
        if self.span_days > horizon_days:
            raise ScenarioError(
                f"{cut(self.source)}: the pilot spans {self.span_days} days, longer than the scenario's "
                f"horizon of {horizon_days} days (allowed at most {horizon_days}); shorten the file or "
                "raise horizon_days")

    def select(self, names: Sequence[str] | None) -> Pilot:
        """The pilot with only the named series (all when ``names`` is empty or None)."""
        if not names:
            return self
        names = list(dict.fromkeys(str(n).strip() for n in names))
        for n in names:
            if n not in self.series:
                hint = difflib.get_close_matches(n, self.columns, n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else ""
                raise ScenarioError(f"--series {n!r} is not a column of {cut(self.source)} "
                                    f"(it has: {', '.join(self.columns)}){extra}")
        return Pilot(self.unit, self.periods, {n: self.series[n] for n in names}, self.source, self.first)

    def observed(self) -> dict[str, np.ndarray]:
        """The observed series, one float array per column (a copy)."""
        return {k: v.copy() for k, v in self.series.items()}

    def simulated(self, daily: pd.DataFrame) -> dict[str, np.ndarray]:
        """A run's daily table on the pilot's rows: weekly sums of flows, week-end stocks."""
        out = {}
        for name in self.series:
            values = daily[name].to_numpy(dtype=float)
            out[name] = aggregate(values, self.unit, name)[self.periods]
        return out

    def to_frame(self) -> pd.DataFrame:
        """The pilot as a table: ``day`` (or ``week``) as in the file, then the series."""
        return pd.DataFrame({self.unit: self.periods + self.first, **self.series})

    def to_dict(self) -> dict[str, object]:
        """What the manifest records about the pilot."""
        return {"source": self.source, "unit": self.unit, "rows": self.rows, "span_days": self.span_days,
                "first": self.first, "series": self.columns}


def aggregate(values: np.ndarray, unit: str, name: str) -> np.ndarray:
    """Daily values → one per period: itself by day; per week the sum (flow) or last day (stock)."""
    if unit == "day":
        return values
    weeks = len(values) // 7
    block = values[: weeks * 7].reshape(weeks, 7)
    return block[:, -1] if name in STOCKS else block.sum(axis=1)


def _number(text: str, where: str) -> float:
    return finite_number(text, where, "empty cell (give a number, or drop the column)")


def read_pilot(source: str | os.PathLike[str] | bytes, name: str | None = None) -> Pilot:
    """Read and check a pilot CSV from a path or from the bytes of an upload.

    Args:
        source: A file path, or the file's bytes (a dashboard upload).
        name: How to call the file in messages (default: the path, or ``"upload"``).

    Raises:
        ScenarioError: One line naming the row and column (see the module text).
    """
    if isinstance(source, (bytes, bytearray)):
        where = name or "upload"
        if len(source) > MAX_BYTES:
            raise ScenarioError(f"{cut(where)}: the file is {len(source):,} bytes, larger than allowed "
                                f"(at most {MAX_BYTES:,} bytes)")
        data = bytes(source)
    else:
        path = Path(source)
        where = name or cut_path(str(path))
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise ScenarioError(f"--data {where}: no such file") from None
        except OSError as err:
            raise ScenarioError(f"--data {where}: cannot read it ({err.strerror or err.__class__.__name__})") from None
        if path.is_dir():
            raise ScenarioError(f"--data {where}: is a directory, not a CSV file")
        if size > MAX_BYTES:
            raise ScenarioError(f"{where}: the file is {size:,} bytes, larger than allowed "
                                f"(at most {MAX_BYTES:,} bytes)")
        try:
            data = path.read_bytes()
        except OSError as err:
            raise ScenarioError(f"--data {where}: cannot read it ({err.strerror or err.__class__.__name__})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError(f"{where}: not UTF-8 text (save the pilot as a UTF-8 CSV)") from None
    if "\x00" in text:
        raise ScenarioError(f"{where}: not a text CSV file (it contains NUL bytes)")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:
        raise ScenarioError(f"{where}: not a readable CSV ({err})") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ScenarioError(f"{where}: the file is empty (it needs a header: day or week, then series)")
    return _parse(rows, where)


def _parse(rows: list[list[str]], where: str) -> Pilot:
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    if "day" in lower and "week" in lower:
        raise ScenarioError(f"{where}: give either a 'day' or a 'week' column, not both")
    unit = "day" if "day" in lower else "week" if "week" in lower else None
    if unit is None:
        raise ScenarioError(f"{where}: no 'day' or 'week' column (the header is "
                            f"{cut(', '.join(header) or 'empty', 80)}); the first column names the period")
    seen: set[str] = set()
    for h in lower:
        if h in seen:
            raise ScenarioError(f"{where}: column {h!r} appears twice in the header")
        seen.add(h)
    time_col = lower.index(unit)
    series_cols: list[tuple[int, str]] = []
    for i, h in enumerate(lower):
        if i == time_col or h in IGNORED:
            continue
        if h not in SERIES:
            hint = difflib.get_close_matches(h, SERIES, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(SERIES)}"
            raise ScenarioError(f"{where}: unknown column {cut(repr(header[i]), 40)}{extra}")
        series_cols.append((i, h))
    if not series_cols:
        raise ScenarioError(f"{where}: no known series column besides {unit!r}; give at least one of "
                            f"{', '.join(SERIES)}")
    body = rows[1:]
    need = MIN_ROWS if unit == "day" else MIN_WEEKS
    if len(body) < need:
        raise ScenarioError(f"{where}: only {len(body)} data row{'s' if len(body) != 1 else ''}; a pilot needs "
                            f"at least {need} {unit}s")
    periods: list[int] = []
    values: dict[str, list[float]] = {h: [] for _, h in series_cols}
    for r, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ScenarioError(f"{where}: row {r} has {len(row)} cells, the header has {len(header)}")
        p = _number(row[time_col], f"{where}: row {r}, column {unit!r}")
        if not p.is_integer() or p < 0:
            raise ScenarioError(f"{where}: row {r}, column {unit!r}: {row[time_col].strip()!r} is not a "
                                f"whole {unit} number (0, 1, 2, …)")
        p_int = int(p)
        if periods and p_int == periods[-1]:
            raise ScenarioError(f"{where}: row {r}: {unit} {p_int} appears twice")
        if periods and p_int < periods[-1]:
            raise ScenarioError(f"{where}: row {r}: {unit} {p_int} comes after {unit} {periods[-1]}; "
                                f"sort the rows by {unit}")
        periods.append(p_int)
        for i, h in series_cols:
            v = _number(row[i], f"{where}: row {r}, column {h!r}")
            if v < 0:
                raise ScenarioError(f"{where}: row {r}, column {h!r}: {row[i].strip()} is negative "
                                    "(counts, RMB and users are at least 0)")
            values[h].append(v)
    first = periods[0]
    if first not in (0, 1):
        raise ScenarioError(f"{where}: the first {unit} is {first}; a pilot starts at the launch, "
                            f"{unit} 0 or 1 (allowed first {unit}: 0 or 1)")
    arr = np.asarray(periods, dtype=np.int64) - first
    return Pilot(unit=unit, periods=arr, series={h: np.asarray(v, dtype=float) for h, v in values.items()},
                 source=where, first=first)


def pilot_from_frame(frame: pd.DataFrame, unit: str = "day", source: str = "pilot") -> Pilot:
    """A pilot from a table with a ``day``/``week`` column (checked by the same rules as a file)."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return read_pilot(buf.getvalue().encode(), name=source)


def pilot_table(daily: pd.DataFrame, columns: Sequence[str], days: int, unit: str = "day",
                first: int = 1) -> pd.DataFrame:
    """A pilot table made from a run's daily table: the first ``days`` days of ``columns``.

    This is how the shipped sample pilot and the tests' synthetic pilots are made.
    """
    periods = days if unit == "day" else days // 7
    out: dict[str, object] = {unit: np.arange(periods) + first}
    for c in columns:
        if c not in SERIES:
            raise ScenarioError(f"unknown pilot series {c!r}; known: {', '.join(SERIES)}")
        out[c] = aggregate(daily[c].to_numpy(dtype=float)[:days], unit, c)
    return pd.DataFrame(out)

