"""Loading scenarios: YAML files, ``extends:`` inheritance, dotted overrides, one-line errors.

Order of work (defaults → validate → build): read the text (size-capped, aliases refused),
``yaml.safe_load`` it, merge the files it ``extends``, apply overrides, then validate the
whole dict with :class:`sim.scenario.Scenario` once. Every failure becomes a
:class:`sim.errors.ScenarioError` with one line naming the field, the value and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import ScenarioError
from sim.scenario import Scenario

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
MAX_BYTES = 1_000_000
MAX_EXTENDS_DEPTH = 8

__all__ = [
    "SCENARIO_DIR",
    "apply_overrides",
    "list_scenarios",
    "load_scenario",
    "parse_scenario_text",
    "parse_override",
]


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors/aliases (no "billion laughs" expansion)."""

    def compose_node(self, parent, index):  # noqa: D102
        if self.check_event(yaml.AliasEvent):
            raise ScenarioError("YAML aliases (*name) are not allowed in scenario files")
        return super().compose_node(parent, index)


def list_scenarios() -> list[str]:
    """Names of the shipped scenarios, sorted."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def _read_yaml_text(text: str, where: str) -> dict[str, Any]:
    if len(text.encode("utf-8", "ignore")) > MAX_BYTES:
        raise ScenarioError(f"{where}: file is larger than 1 MB")
    if not text.strip():
        raise ScenarioError(f"{where}: file is empty")
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - SafeLoader subclass
    except ScenarioError as err:
        raise ScenarioError(f"{where}: {err}") from None
    except RecursionError:
        raise ScenarioError(f"{where}: YAML is nested too deeply") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(err, "problem", None) or "malformed YAML"
        raise ScenarioError(f"{where}: not valid YAML{line}: {problem}") from None
    if data is None:
        raise ScenarioError(f"{where}: file is empty")
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: a scenario must be a mapping of keys, got {type(data).__name__}")
    return data


def _resolve(name_or_path: str | Path, base_dir: Path | None = None, shipped_only: bool = False) -> Path:
    raw = str(name_or_path)
    if shipped_only:
        if raw in list_scenarios():
            return SCENARIO_DIR / f"{raw}.yaml"
        hint = difflib.get_close_matches(raw, list_scenarios(), n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else f"; shipped: {', '.join(list_scenarios())}"
        raise ScenarioError(f"'extends' of an uploaded scenario must name a shipped scenario, not {raw!r}{extra}")
    cand = Path(raw)
    candidates = []
    if base_dir is not None and not cand.is_absolute():
        candidates.append(base_dir / cand)
    candidates += [cand, SCENARIO_DIR / cand, SCENARIO_DIR / f"{raw}.yaml"]
    for c in candidates:
        if c.is_file():
            return c
    hint = difflib.get_close_matches(raw, list_scenarios(), n=1)
    extra = f"; did you mean {hint[0]!r}?" if hint else f"; shipped: {', '.join(list_scenarios())}"
    raise ScenarioError(f"scenario {raw!r} not found (neither a file nor a shipped scenario){extra}")


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in top.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _load_dict(path: Path, depth: int = 0, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    if depth > MAX_EXTENDS_DEPTH or path.resolve() in seen:
        raise ScenarioError(f"{path.name}: 'extends' chain is circular or deeper than {MAX_EXTENDS_DEPTH}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: cannot read file ({err.__class__.__name__})") from None
    data = _read_yaml_text(text, path.name)
    return _merge_extends(data, path.parent, depth, (*seen, path.resolve()), path.name)


def _merge_extends(data: dict[str, Any], base_dir: Path | None, depth: int,
                   seen: tuple[Path, ...], where: str, shipped_only: bool = False) -> dict[str, Any]:
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(f"{where}: 'extends' must be a scenario name or path, got {parent!r}")
    base = _load_dict(_resolve(parent, base_dir, shipped_only), depth + 1, seen)
    base.pop("name", None)
    base.pop("description", None)
    return _deep_merge(base, data)


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


def _field_hint(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """A "did you mean" hint for an unknown key at ``loc``."""
    _, cls = _walk(model, loc[:-1]) if len(loc) > 1 else (None, model)
    if cls is None:
        return ""
    names = list(cls.model_fields)
    hint = difflib.get_close_matches(str(loc[-1]), names, n=1)
    return f"; did you mean {hint[0]!r}?" if hint else f"; allowed: {', '.join(names)}"


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


def format_validation_error(err: ValidationError, where: str = "") -> str:
    """Flatten a pydantic error into one line: ``field: value given — what is allowed``."""
    parts = []
    for e in err.errors():
        loc = tuple(e.get("loc", ()))
        path = ".".join(str(p) for p in loc) or "scenario"
        if e["type"] == "extra_forbidden":
            parts.append(f"unknown key '{path}'{_field_hint(Scenario, loc)}")
            continue
        value = e.get("input")
        shown = repr(value) if not isinstance(value, dict) else "a mapping"
        if len(shown) > 40:
            shown = shown[:37] + "..."
        msg = e["msg"].replace("Value error, ", "")
        parts.append(f"{path} = {shown}: {msg}{_range_text(Scenario, loc)}")
    head = f"{where}: " if where else ""
    more = f" (and {len(parts) - 1} more)" if len(parts) > 1 else ""
    return f"{head}{parts[0]}{more}" if parts else f"{head}invalid scenario"


def validate_dict(data: dict[str, Any], where: str = "") -> Scenario:
    """Validate a raw mapping into a :class:`Scenario`, raising a one-line ScenarioError."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(format_validation_error(err, where)) from None


def parse_scenario_text(text: str, where: str = "upload", base_dir: Path | None = None) -> Scenario:
    """Parse and validate scenario YAML text (uploads, editors).

    Without ``base_dir`` (an upload), ``extends`` may only name a shipped scenario, so an
    uploaded file cannot make the server read other files.
    """
    data = _read_yaml_text(text, where)
    data = _merge_extends(data, base_dir, 0, (), where, shipped_only=base_dir is None)
    return validate_dict(data, where)


def load_scenario(path_or_name: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load a shipped scenario by name (e.g. ``"content_led"``) or a YAML file by path."""
    path = _resolve(path_or_name)
    data = _load_dict(path)
    data.setdefault("name", path.stem)
    scenario = validate_dict(data, path.name)
    return apply_overrides(scenario, overrides) if overrides else scenario


def parse_override(text: str) -> tuple[str, Any]:
    """Parse one ``dotted.key=value`` CLI override; the value is read as YAML (``5``, ``true``)."""
    if "=" not in text:
        raise ScenarioError(f"override {text!r} must look like section.field=value")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def apply_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """Copy ``scenario`` with dotted-path overrides applied, validated as a whole."""
    data = scenario.model_dump(mode="json")
    for dotted, value in overrides.items():
        parts = str(dotted).split(".")
        node: Any = data
        for i, part in enumerate(parts):
            if isinstance(node, list):
                try:
                    idx = int(part)
                    node[idx]  # noqa: B018 - bounds check
                except (ValueError, IndexError):
                    raise ScenarioError(f"override '{dotted}': no item {part!r} in list") from None
                if i == len(parts) - 1:
                    node[idx] = value
                else:
                    node = node[idx]
                continue
            if not isinstance(node, dict) or part not in node:
                prefix = tuple(parts[:i + 1])
                raise ScenarioError(f"unknown key '{'.'.join(prefix)}'{_field_hint(Scenario, prefix)}")
            if i == len(parts) - 1:
                node[part] = value
            else:
                node = node[part]
    return validate_dict(data, "override")
