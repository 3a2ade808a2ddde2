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

__all__ = ["flat_fields", "phase_changes", "phase_text", "scenario_diff"]

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


def phase_changes(scenario: Scenario) -> list[dict[str, Any]]:
    """The plan phases of ``scenario``: ``[{"phase", "from_day", "label", "changes"}]`` (``phase`` 1, 2, ...).

    ``changes`` are the strategy fields that phase changes, relative to the strategy in force
    before it (``[{"field", "unit", "a", "b"}]``, as :func:`scenario_diff`), so a reader sees
    what happens on each switch day.
    """
    plans = [scenario.model_copy(update={"phases": []}), *scenario.phase_scenarios()[1:]]
    return [{"phase": k + 1, "from_day": ph.from_day, "label": ph.label,
             "changes": scenario_diff(plans[k], plans[k + 1])} for k, ph in enumerate(scenario.phases)]


def phase_text(scenario: Scenario, limit: int = 8) -> list[str]:
    """One English line per phase: ``from day 60 (content-led): strategy.x 0.5 → 1.5, ...``."""
    lines = []
    for p in phase_changes(scenario):
        label = f" ({p['label']})" if p["label"] else ""
        shown = [f"{c['field'].removeprefix('strategy.')} {_short(c['a'])} → {_short(c['b'])}" for c in p["changes"][:limit]]
        more = f", … (+{len(p['changes']) - limit})" if len(p["changes"]) > limit else ""
        lines.append(f"from day {p['from_day']}{label}: {', '.join(shown) or 'no change'}{more}")
    return lines


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
