"""Differences between two scenarios, field by field, with the schema's units.

:func:`scenario_diff` walks the schema (:class:`sim.scenario.Scenario`) of both scenarios and
returns every field whose value differs: its dotted name (``strategy.hooks.cash.take_up``,
``shocks.0.days``), its unit from the schema and both values. Shock windows are compared
window by window; a window only one scenario has shows ``None`` on the other side. The
scenario's ``name`` and ``description`` are left out unless asked for. Used by ``siyu diff``
and the editor's diff panel.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from sim.scenario import Scenario, Shock

__all__ = ["flat_fields", "scenario_diff"]

_TEXT = ("name", "description")


def _unit(model: type[BaseModel], name: str) -> str:
    extra = model.model_fields[name].json_schema_extra
    return str(extra.get("unit", "")) if isinstance(extra, dict) else ""


def _walk(obj: BaseModel, prefix: str, out: dict[str, tuple[str, Any]]) -> None:
    for name in type(obj).model_fields:
        value = getattr(obj, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            _walk(value, path + ".", out)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                _walk(item, f"{path}.{i}.", out)
        else:
            out[path] = (_unit(type(obj), name), value.value if hasattr(value, "value") else value)


def flat_fields(scenario: Scenario) -> dict[str, tuple[str, Any]]:
    """Every leaf field of ``scenario`` as ``{dotted path: (unit, value)}``, in schema order."""
    out: dict[str, tuple[str, Any]] = {}
    _walk(scenario, "", out)
    return out


def scenario_diff(a: Scenario, b: Scenario, include_text: bool = False) -> list[dict[str, Any]]:
    """Fields whose values differ: ``[{"field", "unit", "a", "b"}]`` in schema order (shocks last).

    ``include_text`` also compares ``name`` and ``description``.
    """
    fa, fb = flat_fields(a), flat_fields(b)
    paths = list(fa) + [p for p in fb if p not in fa]
    rows = []
    for path in paths:
        if not include_text and path in _TEXT:
            continue
        ua, va = fa.get(path, (None, None))
        ub, vb = fb.get(path, (None, None))
        if path in fa and path in fb and va == vb:
            continue
        unit = ua if ua is not None else ub
        if unit is None:  # a shock field only one side has
            unit = _unit(Shock, path.rsplit(".", 1)[-1])
        rows.append({"field": path, "unit": unit, "a": va, "b": vb})
    return rows
