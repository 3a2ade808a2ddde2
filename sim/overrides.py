"""Dotted-path overrides (``strategy.ad_posts_per_day=5``): parsing and applying them to a model.

:func:`parse_override` reads one ``key=value`` text, the value through the one safe YAML
reader (:mod:`sim.safe_yaml`: no aliases, bounded depth and numbers, duplicate keys refused).
:func:`apply_overrides` copies a validated pydantic model with dotted paths replaced and
validates the result as a whole. Both are generic over the model (they use ``type(model)``),
so :meth:`sim.scenario.Scenario.with_overrides` imports this module without a circle.
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel

from sim import safe_yaml
from sim.errors import ScenarioError, cut
from sim.validation import _walk, field_hint, validate

__all__ = ["MAX_KEY_CHARS", "apply_overrides", "deep_merge", "parse_override"]

M = TypeVar("M", bound=BaseModel)

#: Longest dotted key of an override (the longest real path has well under 60 characters).
MAX_KEY_CHARS = 200


def parse_override(text: str) -> tuple[str, Any]:
    """Parse one ``dotted.key=value`` override; the value is read as YAML (``5``, ``true``, ``[1, 2]``).

    A value that is not valid YAML syntax is taken as plain text; a hostile one (aliases, deep
    nesting, an absurdly long number, duplicate keys, over 1 MB) is a one-line ScenarioError.
    """
    if "=" not in text:
        raise ScenarioError(f"override {cut(repr(text), 60)} must look like section.field=value")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise ScenarioError(f"override {cut(repr(text), 60)} must look like section.field=value")
    if len(key) > MAX_KEY_CHARS:
        raise ScenarioError(f"override key {cut(repr(key), 60)} is {len(key):,} characters long "
                            f"(allowed at most {MAX_KEY_CHARS})")
    if not raw.strip():
        return key, raw
    try:
        value = safe_yaml.load(raw, f"--set {key}")
    except ScenarioError as err:
        if "not valid YAML" not in str(err):
            raise
        value = raw
    except yaml.YAMLError:  # pragma: no cover - safe_yaml turns these into ScenarioError
        value = raw
    return key, value


def apply_overrides(model: M, overrides: dict[str, Any], where: str = "override") -> M:
    """Copy ``model`` with dotted-path overrides applied, validated as a whole.

    List items are addressed by index (``shocks.0.days``). An unknown key or list index is a
    one-line ScenarioError with a "did you mean" hint.
    """
    cls = type(model)
    data = model.model_dump(mode="json")
    for dotted, value in overrides.items():
        name = cut(dotted, 80)
        parts = str(dotted).split(".")
        node: Any = data
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                try:
                    idx = int(part) if len(part) < 10 else -1
                    if idx < 0:
                        raise IndexError
                    node[idx]  # noqa: B018 - bounds check
                except (ValueError, IndexError):
                    raise ScenarioError(f"{where} '{name}': no item {cut(repr(part), 20)} in the list "
                                        f"(it has {len(node)} items)") from None
                if last:
                    node[idx] = value
                else:
                    node = node[idx]
                continue
            loc = tuple(int(p) if p.isdigit() else p for p in parts[:i + 1])
            if isinstance(node, dict) and part not in node and _walk(cls, loc)[0] is not None:
                node[part] = {}  # a field the dump leaves out (an override a phase does not give yet)
            if not isinstance(node, dict) or part not in node:
                prefix = loc
                raise ScenarioError(f"unknown key '{cut('.'.join(map(str, prefix)), 80)}'{field_hint(cls, prefix)}")
            if last:
                node[part] = value
            else:
                node = node[part]
    return validate(cls, data, where)


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with ``top`` laid over it, nested mappings merged key by key (``extends``, phases)."""
    out = copy.deepcopy(base)
    for k, v in top.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out
