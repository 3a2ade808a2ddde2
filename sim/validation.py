"""Validating raw mappings into pydantic models, with one-line errors.

Generic over the model class (it never imports :class:`sim.scenario.Scenario`), so both the
loader and :meth:`Scenario.with_overrides` use it without an import circle.
:func:`format_validation_error` flattens a pydantic error into ``field = value: problem
(allowed lo to hi unit)``; :func:`validate` raises that line as a
:class:`sim.errors.ScenarioError`.
"""

from __future__ import annotations

import difflib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sim.errors import ScenarioError, cut

__all__ = ["field_hint", "format_validation_error", "show_value", "validate"]

M = TypeVar("M", bound=BaseModel)


def _walk(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, Any]:
    """Follow ``loc`` through nested sections: (the last field found, the section it leads to)."""
    cls: Any = model
    field = None
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(cls, "model_fields", {}).get(part) if cls is not None else None
        if field is None:
            return None, None
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        cls = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return field, cls


def field_hint(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """A "did you mean" hint (or the allowed keys) for an unknown key at ``loc``."""
    _, cls = _walk(model, loc[:-1]) if len(loc) > 1 else (None, model)
    if cls is None:
        return ""
    names = list(cls.model_fields)
    hint = difflib.get_close_matches(str(loc[-1])[:200], names, n=1)
    return f"; did you mean {hint[0]!r}?" if hint else f"; allowed: {cut(', '.join(names), 120)}"


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"


def _range_text(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    field, _ = _walk(model, loc)
    if field is None:
        return ""
    lo = hi = None
    for m in field.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    if lo is None or hi is None:
        return ""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    unit = extra.get("unit", "")
    return f" (allowed {_num(lo)} to {_num(hi)} {unit})".replace(" )", ")")


def show_value(value: Any, limit: int = 40) -> str:
    """A short, safe rendering of a user's value (huge integers never hit the int-string limit)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a {int(value.bit_length() * 0.30103) + 1:,}-digit number"
    if isinstance(value, (list, tuple)) and len(value) > 20:
        return f"a list of {len(value):,} items"
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        text = f"a {type(value).__name__}"
    return cut(text, limit)


def format_validation_error(err: ValidationError, model: type[BaseModel], where: str = "") -> str:
    """Flatten a pydantic error into one line: ``field = value given: what is allowed``."""
    parts = []
    for e in err.errors(include_url=False, include_context=False):
        loc = tuple(e.get("loc", ()))
        path = cut(".".join(str(p) for p in loc), 80) or "scenario"
        if e["type"] == "extra_forbidden":
            parts.append(f"unknown key '{path}'{field_hint(model, loc)}")
            continue
        msg = cut(e["msg"].replace("Value error, ", ""), 160)
        if not loc:  # a rule across fields (its message names them): no "scenario = a mapping"
            parts.append(msg)
            continue
        parts.append(f"{path} = {show_value(e.get('input'))}: {msg}{_range_text(model, loc)}")
    head = f"{cut(where)}: " if where else ""
    more = f" (and {len(parts) - 1} more)" if len(parts) > 1 else ""
    return f"{head}{parts[0]}{more}" if parts else f"{head}invalid scenario"


def validate(model: type[M], data: Any, where: str = "") -> M:
    """Validate a raw mapping into ``model``, raising a one-line ScenarioError."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(format_validation_error(err, model, where)) from None
    except RecursionError:
        raise ScenarioError(f"{cut(where) + ': ' if where else ''}value is nested too deeply") from None
