"""Designs: which points of parameter space an experiment visits.

A design is an ordered list of *points*; a point is a dict of dotted-path overrides, exactly as
:meth:`sim.Scenario.with_overrides` accepts (``{"strategy.ad_posts_per_day": 2.5}``). Three
ways to make one:

- :func:`grid` — the full grid (Cartesian product) over listed values, last path fastest;
- :func:`latin_hypercube` — ``samples`` points over numeric ranges (``scipy.stats.qmc``), one
  stratum per sample in every dimension; each range is checked against the schema's own
  ``ge``/``le`` bounds first, integer fields get integers;
- :func:`from_csv` / :func:`explicit` — an explicit list (CSV: one column per path, one row per
  point; cells are read as YAML scalars like ``--set`` values).

Every path is checked against the schema (:func:`parameter`): an unknown path gets a "did you
mean" hint, a value outside the bounds names the allowed range. Errors are
:class:`sim.ScenarioError` with one line.
"""

from __future__ import annotations

import csv
import difflib
import io
import itertools
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from sim import safe_yaml
from sim.errors import ScenarioError
from sim.scenario import Scenario
from sim.validation import _num, _range_text, _walk

__all__ = [
    "MAX_POINTS",
    "Design",
    "Parameter",
    "explicit",
    "from_csv",
    "grid",
    "latin_hypercube",
    "parameter",
    "parse_vary",
    "sweepable",
]

#: A design larger than this is refused outright (the run-count limit of a sweep is separate).
MAX_POINTS = 1_000_000
MAX_CSV_BYTES = 20_000_000


@dataclass(frozen=True)
class Parameter:
    """One schema field reached by a dotted path: its type, bounds and unit."""

    path: str
    kind: str  # "int" | "float" | "bool" | "choice" | "text"
    lo: float | None
    hi: float | None
    unit: str
    description: str
    choices: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        """True for int and float fields (the ones a Latin hypercube can vary)."""
        return self.kind in ("int", "float")

    def range_text(self) -> str:
        """``" (allowed 0 to 50 posts per day)"`` — the loader's wording, or ``""`` if unbounded."""
        return _range_text(Scenario, _loc(self.path))

    def coerce(self, value: Any) -> Any:
        """The value as the column type the store uses for this field (int, float, bool, str)."""
        if self.kind == "int" and isinstance(value, (int, float, np.integer, np.floating)) \
                and not isinstance(value, bool) and float(value).is_integer():
            return int(value)
        if self.kind == "float" and isinstance(value, (int, float, np.integer, np.floating)) \
                and not isinstance(value, bool):
            return float(value)
        if self.kind in ("choice", "text") and not isinstance(value, str):
            return str(value)
        return value

    def checked_range(self, rng: tuple[float, float] | None, option: str) -> tuple[float, float]:
        """A user's ``LO:HI`` for this field checked against the schema; ``None`` takes the schema's range.

        ``option`` is what the user typed (``--vary``, ``--fit``): every message is one line
        that starts with it and the path, so the CLI and the pages say the same.

        Raises:
            ScenarioError: A bound that is not finite or outside the schema's bounds, a
                fractional bound of a whole-number field, an empty or reversed range; no range
                for a field without bounds on both sides, or whose schema range is empty.
        """
        if rng is None:
            if self.lo is None or self.hi is None:
                raise ScenarioError(f"{option} {self.path} has no schema bounds on both sides; "
                                    f"give a range {self.path}=LO:HI")
            if not self.lo < self.hi:
                raise ScenarioError(f"{option} {self.path}: the schema's range is empty; give a range {self.path}=LO:HI")
            return float(self.lo), float(self.hi)
        lo, hi = float(rng[0]), float(rng[1])
        given = f"{option} {self.path}={lo:g}:{hi:g}"
        for v in (lo, hi):
            if not math.isfinite(v):
                raise ScenarioError(f"{given}: the range must be finite{self.range_text()}")
            if (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
                raise ScenarioError(f"{given}: {v:g} is outside the schema's bounds{self.range_text()}")
        if self.kind == "int" and not (lo.is_integer() and hi.is_integer()):
            raise ScenarioError(f"{given}: {self.path} is a whole-number field; give whole numbers")
        if lo == hi:
            raise ScenarioError(f"{given} is an empty range; give LO < HI{self.range_text()}")
        if lo > hi:
            raise ScenarioError(f"{given} is reversed; give LO < HI ({self.path}={hi:g}:{lo:g})")
        return lo, hi


def _loc(path: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in path.split("."))


def parameter(path: str) -> Parameter:
    """Look a dotted path up in the schema; raise a one-line ScenarioError if it is not a parameter."""
    path = str(path).strip()
    if not path or any(not p for p in path.split(".")):
        raise ScenarioError(f"parameter path {path!r} must look like section.field")
    loc = _loc(path)
    model: Any = Scenario
    fld = None
    for i, part in enumerate(loc):
        if isinstance(part, int):
            if fld is None or getattr(fld.annotation, "__origin__", None) is not list:
                raise ScenarioError(f"parameter '{path}': {'.'.join(map(str, loc[:i]))} is not a list")
            continue
        if model is None:
            raise ScenarioError(f"parameter '{path}': '{'.'.join(map(str, loc[:i]))}' is a value, not a section")
        section = model
        fld, model = _walk(section, (part,))
        if fld is None:
            names = list(section.model_fields)
            prefix = ".".join(str(x) for x in loc[:i])
            hint = difflib.get_close_matches(str(part), names, n=1)
            where = f"{prefix}." if prefix else ""
            extra = f"; did you mean '{where}{hint[0]}'?" if hint else f"; {prefix or 'the scenario'} has: {', '.join(names)}"
            raise ScenarioError(f"unknown parameter '{path}'{extra}")
        if getattr(fld.annotation, "__origin__", None) is list:
            args = getattr(fld.annotation, "__args__", ())
            model = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
    if fld is None or model is not None:
        names = ", ".join(getattr(model, "model_fields", {})) if model is not None else ""
        raise ScenarioError(f"'{path}' is a section, not a parameter; its fields: {names}")
    ann = fld.annotation
    lo = hi = None
    for m in fld.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    extra = fld.json_schema_extra if isinstance(fld.json_schema_extra, dict) else {}
    choices: tuple[str, ...] = ()
    if ann is bool:
        kind = "bool"
    elif ann is int:
        kind = "int"
    elif ann is float:
        kind = "float"
    elif isinstance(ann, type) and issubclass(ann, Enum):
        kind, choices = "choice", tuple(str(e.value) for e in ann)
    else:
        kind = "text"
    return Parameter(path=path, kind=kind, lo=lo, hi=hi, unit=str(extra.get("unit", "")),
                     description=fld.description or "", choices=choices)


def sweepable(kinds: Sequence[str] = ("int", "float", "bool", "choice")) -> list[Parameter]:
    """Every parameter of the schema a design can vary (the leaves of the given kinds), in schema order.

    List sections (``shocks``) are left out: their items exist only in scenarios that have them.
    The dashboard's sweep page offers these, with their bounds, units and descriptions.
    """
    out: list[Parameter] = []

    def visit(model: type[BaseModel], prefix: str) -> None:
        for name, fld in model.model_fields.items():
            ann = fld.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                visit(ann, f"{prefix}{name}.")
            elif getattr(ann, "__origin__", None) is list:
                continue
            else:
                par = parameter(f"{prefix}{name}")
                if par.kind in kinds:
                    out.append(par)

    visit(Scenario, "")
    return out


@dataclass(frozen=True)
class Design:
    """An ordered list of points (dicts of dotted-path overrides) and how it was made.

    ``kind`` is ``"grid"``, ``"lhs"`` or ``"list"``; ``paths`` the varied paths in column order;
    ``spec`` the recipe (values, ranges and samples, or the CSV's name) for the manifest.
    """

    kind: str
    paths: tuple[str, ...]
    points: tuple[dict[str, Any], ...]
    spec: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.points)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form (the manifest's ``design``)."""
        return {"kind": self.kind, "paths": list(self.paths), "spec": self.spec,
                "points": [dict(p) for p in self.points]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Design:
        """Inverse of :meth:`to_dict`."""
        return cls(kind=str(data["kind"]), paths=tuple(data["paths"]),
                   points=tuple(dict(p) for p in data["points"]), spec=dict(data.get("spec", {})))

    def parameters(self) -> list[Parameter]:
        """The schema fields of the varied paths, in column order."""
        return [parameter(p) for p in self.paths]


def _check_value(par: Parameter, value: Any, where: str) -> Any:
    """Check one value against the field's type and bounds (the full scenario is validated later)."""
    if par.kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScenarioError(f"{where}{par.path} = {value!r}: must be a number{par.range_text()}")
        if not math.isfinite(float(value)):
            raise ScenarioError(f"{where}{par.path} = {value!r}: must be finite{par.range_text()}")
        if par.kind == "int" and not float(value).is_integer():
            raise ScenarioError(f"{where}{par.path} = {value!r}: must be a whole number{par.range_text()}")
        if (par.lo is not None and value < par.lo) or (par.hi is not None and value > par.hi):
            raise ScenarioError(f"{where}{par.path} = {value!r}: outside the schema's bounds{par.range_text()}")
    elif par.kind == "bool" and not isinstance(value, bool):
        raise ScenarioError(f"{where}{par.path} = {value!r}: must be true or false")
    elif par.kind == "choice" and str(value) not in par.choices:
        hint = difflib.get_close_matches(str(value), par.choices, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ScenarioError(f"{where}{par.path} = {value!r}: must be one of {', '.join(par.choices)}{extra}")
    return par.coerce(value)


def _unique_paths(paths: Iterable[str], where: str) -> list[Parameter]:
    pars = [parameter(p) for p in paths]
    seen: set[str] = set()
    for p in pars:
        if p.path in seen:
            raise ScenarioError(f"{where}: parameter '{p.path}' is given twice")
        seen.add(p.path)
    return pars


def grid(values: Mapping[str, Sequence[Any]]) -> Design:
    """The full grid over ``{path: [values...]}`` — ``∏ len(values)`` points, the last path fastest."""
    if not values:
        raise ScenarioError("grid: give at least one parameter and its values")
    pars = _unique_paths(values, "grid")
    cols: list[list[Any]] = []
    for par in pars:
        vals = list(values[par.path])
        if not vals:
            raise ScenarioError(f"grid: {par.path} has no values")
        cols.append([_check_value(par, v, "") for v in vals])
    size = math.prod(len(c) for c in cols)
    if size > MAX_POINTS:
        raise ScenarioError(f"grid: {size:,} points is more than the {MAX_POINTS:,} a design may have")
    points = tuple({p.path: v for p, v in zip(pars, combo, strict=True)} for combo in itertools.product(*cols))
    return Design("grid", tuple(p.path for p in pars), points,
                  {"values": {p.path: c for p, c in zip(pars, cols, strict=True)}})


def latin_hypercube(ranges: Mapping[str, tuple[float, float]], samples: int, seed: int = 0) -> Design:
    """``samples`` points over ``{path: (lo, hi)}`` by Latin hypercube (``scipy.stats.qmc``), reproducible by ``seed``.

    Each range must be non-empty (``lo < hi``), numeric and inside the schema's bounds of its
    field. Integer fields are sampled as integers in ``[lo, hi]`` (each of the ``hi − lo + 1``
    values as likely), floats uniformly in ``[lo, hi]``.
    """
    from scipy.stats import qmc

    if not ranges:
        raise ScenarioError("latin hypercube: give at least one parameter range")
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise ScenarioError(f"--samples must be at least 1 (got {samples})")
    if samples > MAX_POINTS:
        raise ScenarioError(f"--samples {samples:,} is more than the {MAX_POINTS:,} a design may have")
    pars = _unique_paths(ranges, "latin hypercube")
    bounds: list[tuple[float, float]] = []
    for par in pars:
        lo, hi = ranges[par.path]
        if not par.numeric:
            raise ScenarioError(f"{par.path} is a {par.kind} field; a range LO:HI needs a number field "
                                "(list its values instead)")
        _check_value(par, lo, "range ")
        _check_value(par, hi, "range ")
        if not lo < hi:
            word = "empty" if lo == hi else "reversed"
            raise ScenarioError(f"range {par.path} = {_num(lo)}:{_num(hi)} is {word}; "
                                f"give LO < HI{par.range_text()}")
        bounds.append((float(lo), float(hi)))
    unit = qmc.LatinHypercube(d=len(pars), rng=np.random.default_rng(seed)).random(int(samples))
    points = []
    for row in unit:
        point: dict[str, Any] = {}
        for par, (lo, hi), u in zip(pars, bounds, row, strict=True):
            if par.kind == "int":
                point[par.path] = int(min(hi, lo + math.floor(u * (hi - lo + 1))))
            else:
                point[par.path] = float(min(hi, max(lo, lo + u * (hi - lo))))
        points.append(point)
    spec = {"ranges": {p.path: [b[0], b[1]] for p, b in zip(pars, bounds, strict=True)},
            "samples": int(samples), "seed": int(seed)}
    return Design("lhs", tuple(p.path for p in pars), tuple(points), spec)


def explicit(points: Sequence[Mapping[str, Any]], name: str = "list") -> Design:
    """A design from a list of override dicts (every point must give the same paths)."""
    if not points:
        raise ScenarioError(f"{name}: the design has no points")
    paths = list(points[0])
    pars = _unique_paths(paths, name)
    out = []
    for i, pt in enumerate(points):
        if set(pt) != set(paths):
            raise ScenarioError(f"{name}: point {i} sets {sorted(pt)}, not the same paths as point 0 {sorted(paths)}")
        out.append({p.path: _check_value(p, pt[p.path], f"{name}: point {i}: ") for p in pars})
    return Design("list", tuple(paths), tuple(out), {"source": name})


def _cell(text: str) -> Any:
    raw = text.strip()
    if not raw:
        return raw
    try:  # the one safe reader: no aliases, bounded depth and numbers (issue 13)
        return safe_yaml.load(raw, "design cell")
    except ScenarioError as err:
        if "not valid YAML" not in str(err):
            raise
        return raw


def from_csv(path: str | os.PathLike[str]) -> Design:
    """A design from a CSV file: header = dotted paths, one row per point."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_CSV_BYTES:
            raise ScenarioError(f"{p.name}: design file is larger than {MAX_CSV_BYTES // 1_000_000} MB")
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError(f"design file {p} not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"design file {p}: cannot read it ({err.__class__.__name__})") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as err:
        raise ScenarioError(f"{p.name}: not a valid CSV file ({err})") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ScenarioError(f"{p.name}: design file is empty")
    header = [h.strip() for h in rows[0]]
    if any(not h for h in header):
        raise ScenarioError(f"{p.name}: the header has an empty column name; give one dotted path per column")
    if len(rows) < 2:
        raise ScenarioError(f"{p.name}: design file has a header but no points")
    if len(rows) - 1 > MAX_POINTS:
        raise ScenarioError(f"{p.name}: {len(rows) - 1:,} points is more than the {MAX_POINTS:,} a design may have")
    pars = _unique_paths(header, p.name)
    points = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ScenarioError(f"{p.name} line {line}: {len(row)} cells, the header has {len(header)}")
        points.append({par.path: _check_value(par, _cell(c), f"{p.name} line {line}: ")
                       for par, c in zip(pars, row, strict=True)})
    return Design("list", tuple(par.path for par in pars), tuple(points), {"source": p.name})


def parse_vary(text: str) -> tuple[str, list[Any] | tuple[float, float]]:
    """Parse one ``--vary`` option: ``PATH=V1,V2,...`` (values) or ``PATH=LO:HI`` (a range)."""
    if "=" not in text:
        raise ScenarioError(f"--vary {text!r} must look like PATH=V1,V2,... or PATH=LO:HI")
    key, raw = (s.strip() for s in text.split("=", 1))
    par = parameter(key)
    if not raw:
        raise ScenarioError(f"--vary {key}: no values given; use {key}=V1,V2,... or {key}=LO:HI")
    if ":" in raw and "," not in raw:
        lo_text, hi_text = raw.split(":", 1)
        lo, hi = _cell(lo_text), _cell(hi_text)
        for v, t in ((lo, lo_text), (hi, hi_text)):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ScenarioError(f"--vary {key}={raw}: {t.strip()!r} is not a number (a range is LO:HI)")
        _check_value(par, lo, "--vary ")
        _check_value(par, hi, "--vary ")
        return key, (lo, hi)
    values = [_cell(v) for v in raw.split(",")]
    if any(v == "" for v in values):
        raise ScenarioError(f"--vary {key}={raw}: an empty value in the list")
    return key, [_check_value(par, v, "--vary ") for v in values]


def parse_range(text: str, option: str) -> tuple[str, tuple[float, float] | None]:
    """Parse ``PATH`` (the schema's range) or ``PATH=LO:HI`` — ``--vary`` of a sensitivity, ``--fit``.

    Raises:
        ScenarioError: No range after ``=``, a list or a malformed range, a bound that is not a
            finite number (one line naming ``option``; the path itself is checked by the caller).
    """
    text = str(text).strip()
    if "=" not in text:
        return text, None
    path, raw = (s.strip() for s in text.split("=", 1))
    if not raw:
        raise ScenarioError(f"{option} {path}=: no range given; use {path}=LO:HI, or {path} alone for the schema's range")
    if raw.count(":") != 1 or "," in raw:
        raise ScenarioError(f"{option} {text[:80]} must look like PATH or PATH=LO:HI (a range, not a list of values)")
    bounds = []
    for part in raw.split(":"):
        try:
            value = float(part.strip())
        except ValueError:
            raise ScenarioError(f"{option} {path}={raw[:40]}: {part.strip()[:30]!r} is not a number (a range is LO:HI)") from None
        if not math.isfinite(value):
            raise ScenarioError(f"{option} {path}={raw[:40]}: {part.strip()[:30]!r} is not a finite number")
        bounds.append(value)
    return path, (bounds[0], bounds[1])
