"""Loading scenarios: YAML files, ``extends:`` inheritance, dotted overrides, one-line errors.

Order of work (defaults → validate → build): read the text through the one safe YAML reader
(:mod:`sim.safe_yaml`: size-capped, no aliases, bounded depth and numbers, duplicate keys
refused), merge the files it ``extends``, then validate the whole dict with
:class:`sim.scenario.Scenario` once; overrides (:mod:`sim.overrides`) are applied to the
validated scenario and validated again. Every failure becomes a
:class:`sim.errors.ScenarioError` with one line naming the source, the field and what is allowed.
"""

from __future__ import annotations

import difflib
import errno
from pathlib import Path
from typing import Any

from sim import safe_yaml
from sim.errors import ScenarioError, cut, cut_path
from sim.overrides import apply_overrides, deep_merge, parse_override
from sim.scenario import Scenario
from sim.validation import _num, _range_text, _walk, validate  # noqa: F401 - the helpers were here before
from sim.validation import format_validation_error as _format_validation_error

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
MAX_BYTES = safe_yaml.MAX_BYTES
MAX_EXTENDS_DEPTH = 8
_NAME_MAX = 255  # bytes of one path component on common file systems (ext4, APFS, NTFS)
_PATH_MAX = 4096  # bytes of a whole path (Linux PATH_MAX)

__all__ = [
    "MAX_BYTES",
    "MAX_EXTENDS_DEPTH",
    "SCENARIO_DIR",
    "apply_overrides",
    "format_validation_error",
    "list_scenarios",
    "load_scenario",
    "parse_override",
    "parse_scenario_text",
    "validate_dict",
]


def list_scenarios() -> list[str]:
    """Names of the shipped scenarios, sorted."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def _read_yaml_text(text: str | bytes, where: str) -> dict[str, Any]:
    data = safe_yaml.load(text, where)
    if data is None:
        raise ScenarioError(f"{cut(where)}: file is empty")
    if not isinstance(data, dict):
        raise ScenarioError(f"{cut(where)}: a scenario must be a mapping of keys, got {type(data).__name__}")
    return data


def _is_file(path: Path, option: str) -> bool:
    """``path.is_file()``; a name the file system refuses is a one-line ScenarioError naming ``option``."""
    try:
        return path.is_file()
    except (OSError, ValueError) as err:  # ENAMETOOLONG, an embedded NUL byte…
        why = err.strerror if isinstance(err, OSError) and err.strerror else "not a usable file name"
        if isinstance(err, OSError) and err.errno == errno.ENAMETOOLONG:
            why = f"name too long (allowed at most {_NAME_MAX} bytes per path component, {_PATH_MAX:,} in all)"
        raise ScenarioError(f"{option} {cut_path(repr(str(path)))}: {why}") from None


def _not_found_hint(raw: str) -> str:
    hint = difflib.get_close_matches(raw[:200], list_scenarios(), n=1)
    return f"; did you mean {hint[0]!r}?" if hint else f"; shipped: {', '.join(list_scenarios())}"


def _resolve(name_or_path: str | Path, base_dir: Path | None = None, shipped_only: bool = False,
             option: str = "scenario") -> Path:
    raw = str(name_or_path)
    shown = cut_path(repr(raw))
    if shipped_only:
        if raw in list_scenarios():
            return SCENARIO_DIR / f"{raw}.yaml"
        raise ScenarioError(f"{option} must name a shipped scenario (an upload may not extend a file), "
                            f"not {shown}{_not_found_hint(raw)}")
    cand = Path(raw)
    candidates = []
    if base_dir is not None and not cand.is_absolute():
        candidates.append(base_dir / cand)
    candidates += [cand, SCENARIO_DIR / cand, SCENARIO_DIR / f"{raw}.yaml"]
    for c in candidates:
        if _is_file(c, option):
            return c
    raise ScenarioError(f"{option} {shown} not found (neither a file nor a shipped scenario){_not_found_hint(raw)}")


def _load_dict(path: Path, depth: int = 0, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        raise ScenarioError(f"{cut(path.name)}: cannot resolve the path (symlink loop?)") from None
    if depth > MAX_EXTENDS_DEPTH or real in seen:
        raise ScenarioError(f"{cut(path.name)}: 'extends' chain is circular or deeper than "
                            f"{MAX_EXTENDS_DEPTH} (allowed at most {MAX_EXTENDS_DEPTH} levels)")
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ScenarioError(f"{cut(path.name)}: file is larger than 1 MB (allowed at most {MAX_BYTES:,} bytes)")
        data = path.read_bytes()
    except OSError as err:
        raise ScenarioError(f"{cut_path(str(path))}: cannot read file ({err.strerror or err.__class__.__name__})") from None
    parsed = _read_yaml_text(data, path.name)
    return _merge_extends(parsed, path.parent, depth, (*seen, real), path.name)


def _merge_extends(data: dict[str, Any], base_dir: Path | None, depth: int,
                   seen: tuple[Path, ...], where: str, shipped_only: bool = False) -> dict[str, Any]:
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        what = "the name of a shipped scenario" if shipped_only else "a scenario name or path"
        raise ScenarioError(f"{cut(where)}: 'extends' must be {what}, got {cut(repr(parent), 40)}")
    base = _load_dict(_resolve(parent, base_dir, shipped_only, option=f"{cut(where, 40)}: extends"),
                      depth + 1, seen)
    base.pop("name", None)
    base.pop("description", None)
    return deep_merge(base, data)


def format_validation_error(err: Any, where: str = "") -> str:
    """Flatten a pydantic error about a scenario into one line (see :mod:`sim.validation`)."""
    return _format_validation_error(err, Scenario, where)


def validate_dict(data: dict[str, Any], where: str = "") -> Scenario:
    """Validate a raw mapping into a :class:`Scenario`, raising a one-line ScenarioError."""
    return validate(Scenario, data, where)


def parse_scenario_text(text: str | bytes, where: str = "upload", base_dir: Path | None = None) -> Scenario:
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
    data.setdefault("name", path.stem[:80])
    scenario = validate_dict(data, path.name)
    return apply_overrides(scenario, overrides) if overrides else scenario
