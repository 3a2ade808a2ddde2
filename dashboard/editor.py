"""The strategy editor's logic: scenario fields read from the pydantic schema, and validation.

:func:`field_specs` walks :class:`sim.Scenario` and returns one :class:`FieldSpec` per
editable value (dotted path, kind, bounds, unit, source and help text, all from the schema),
so the editor never repeats a default or a bound. :func:`flatten` turns a scenario into
``{path: value}`` plus a list of shock windows; :func:`build` validates such values back
into a scenario (raising :class:`sim.ScenarioError` with one line); :func:`field_errors`
places each validation problem next to the field it concerns. :func:`read_upload` reads an
uploaded file through the one safe YAML reader (size, encoding, hostile YAML, ``extends`` only
to shipped scenarios) and :func:`safe_name` derives a safe scenario name from it. Nothing
here imports Streamlit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError

from sim import Scenario, ScenarioError, parse_scenario_text, safe_yaml
from sim.errors import cut
from sim.loader import validate_dict
from sim.scenario import Phase, Shock

__all__ = [
    "MAX_UPLOAD_BYTES",
    "SECTIONS",
    "FieldSpec",
    "add_phase",
    "add_shock",
    "build",
    "changed_paths",
    "field_errors",
    "field_specs",
    "flatten",
    "flatten_phases",
    "format_number",
    "load_into_state",
    "phase_field_options",
    "phase_key",
    "phase_specs",
    "phase_value_key",
    "phases_from_state",
    "read_upload",
    "remove_phase",
    "remove_shock",
    "safe_name",
    "shock_key",
    "shock_specs",
    "values_from_state",
    "widget_key",
]

MAX_UPLOAD_BYTES = safe_yaml.MAX_BYTES
#: The prefix of a phase's strategy lever (``phases.0.strategy.x`` is the strategy's ``x``).
_PHASE_LEVER = re.compile(r"^phases\.\d+\.strategy\.")

#: Editor sections in display order ("strategy.hooks" is split out of "strategy").
SECTIONS = ["general", "strategy", "strategy.hooks", "population", "product", "public",
            "touchpoints", "network", "trust", "fatigue", "community", "purchase", "referral",
            "fulfilment", "budget", "finance", "mechanisms"]


@dataclass(frozen=True)
class FieldSpec:
    """One editable scenario value, described entirely by the schema."""

    path: str                 # dotted path, e.g. "strategy.hooks.gift.take_up"
    name: str                 # field name, e.g. "take_up"
    section: str              # one of SECTIONS
    group: str | None         # sub-heading inside the section (a hook's name) or None
    kind: str                 # "bool", "enum", "int", "float", "str" or "text"
    default: Any
    lo: float | None = None
    hi: float | None = None
    unit: str = ""
    source: str = ""
    help: str = ""
    choices: tuple[str, ...] = ()
    max_length: int | None = None

    @property
    def schema_path(self) -> str:
        """The field's dotted path in the schema (a shock window's field as ``shocks.<name>``).

        Its help text and source in the page's language are ``field.<schema_path>.help`` and
        ``.source`` (:mod:`sim.i18n`; ``help`` and ``source`` here are the schema's English).
        A phase's strategy lever (``phases.0.strategy.x``) is the strategy's field (``strategy.x``).
        """
        if self.section in ("shocks", "phases"):
            return f"{self.section}.{self.name}"
        return _PHASE_LEVER.sub("strategy.", self.path)

    @property
    def step(self) -> float | int:
        """Step of the number input, from the magnitude of the schema default (stable)."""
        if self.kind not in ("int", "float"):
            return 1
        if self.kind == "int":
            d = abs(self.default or 0)
            return max(1, 10 ** (int(math.floor(math.log10(d))) - 1)) if d >= 100 else 1
        if self.default:
            return 10.0 ** (math.floor(math.log10(abs(self.default))) - 1)
        span = ((self.hi or 1) - (self.lo or 0)) / 100
        return 10.0 ** math.floor(math.log10(span)) if span > 0 else 0.01

    @property
    def number_format(self) -> str:
        """Return the printf format showing enough decimals for the step (at least two)."""
        if self.kind == "int":
            return "%d"
        decimals = max(2, -int(math.floor(math.log10(self.step))))
        return f"%.{min(decimals, 6)}f"


def _bounds(info: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in info.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    return lo, hi


def _help(info: Any) -> str:
    """The field's description without the trailing "Unit: … Source: …" (shown separately)."""
    text = info.description or ""
    return text.split(" Unit: ")[0].strip()


def _spec(path: str, name: str, section: str, group: str | None, info: Any) -> FieldSpec | None:
    ann = info.annotation
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    common = {"path": path, "name": name, "section": section, "group": group,
              "default": info.default, "unit": str(extra.get("unit", "")),
              "source": str(extra.get("source", "")), "help": _help(info)}
    if ann is bool:
        return FieldSpec(kind="bool", **common)
    if isinstance(ann, type) and issubclass(ann, Enum):
        common["default"] = info.default.value if isinstance(info.default, Enum) else info.default
        return FieldSpec(kind="enum", choices=tuple(e.value for e in ann), **common)
    if ann in (int, float):
        lo, hi = _bounds(info)
        return FieldSpec(kind=ann.__name__, lo=lo, hi=hi, **common)
    if ann is str:
        max_len = next((getattr(m, "max_length", None) for m in info.metadata
                        if getattr(m, "max_length", None)), None)
        return FieldSpec(kind="text" if (max_len or 0) > 200 else "str", max_length=max_len, **common)
    return None


def _walk(model: type[BaseModel], prefix: str, section: str | None, group: str | None) -> list[FieldSpec]:
    out: list[FieldSpec] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            if section is None:  # a top-level section
                out += _walk(ann, path + ".", name, None)
            elif name == "hooks":
                out += _walk(ann, path + ".", "strategy.hooks", None)
            else:  # a hook inside strategy.hooks
                out += _walk(ann, path + ".", section, name)
            continue
        spec = _spec(path, name, section or "general", group, info)
        if spec is not None:
            out.append(spec)
    return out


_SPECS: list[FieldSpec] | None = None


def field_specs() -> list[FieldSpec]:
    """Every editable scalar of :class:`sim.Scenario` (shock windows excluded), in schema order."""
    global _SPECS
    if _SPECS is None:
        _SPECS = _walk(Scenario, "", None, None)
    return list(_SPECS)


def shock_specs() -> list[FieldSpec]:
    """The fields of one shock window (paths relative to the window)."""
    return _walk(Shock, "", "shocks", None)


def phase_specs() -> list[FieldSpec]:
    """The own fields of one plan phase (``from_day``, ``label``; its strategy changes are strategy fields)."""
    return [s for s in _walk(Phase, "", "phases", None) if "." not in s.path]


def phase_field_options() -> list[FieldSpec]:
    """The strategy fields a phase may change (every field of ``strategy`` and its hooks)."""
    return [s for s in field_specs() if s.section in ("strategy", "strategy.hooks")]


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, Mapping):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def flatten_phases(scenario: Scenario) -> list[dict[str, Any]]:
    """The phases of a scenario as ``{"from_day", "label", "strategy": {path in strategy: value}}``."""
    return [{"from_day": p["from_day"], "label": p["label"], "strategy": _flat(p["strategy"])}
            for p in scenario.model_dump(mode="json")["phases"]]


def _nest_phase(phase: Mapping[str, Any]) -> dict[str, Any]:
    strategy: dict[str, Any] = {}
    for path, value in phase.get("strategy", {}).items():
        node = strategy
        *parents, last = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return {"from_day": phase.get("from_day"), "label": phase.get("label", ""), "strategy": strategy}


def _get(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        node = node[part]
    return node


def flatten(scenario: Scenario) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return ``({path: value}, shock windows)`` of a scenario (enums as their text values)."""
    data = scenario.model_dump(mode="json")
    values = {s.path: _get(data, s.path) for s in field_specs()}
    for s in field_specs():
        if s.kind == "float" and values[s.path] is not None:
            values[s.path] = float(values[s.path])
    return values, [dict(w) for w in data.get("shocks", [])]


def nest(values: dict[str, Any], shocks: list[dict[str, Any]],
         phases: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Turn ``{path: value}``, shock windows and phases into the nested mapping the schema validates."""
    out: dict[str, Any] = {}
    for path, value in values.items():
        node = out
        *parents, last = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    out["shocks"] = [dict(w) for w in shocks]
    if phases:
        out["phases"] = [_nest_phase(p) for p in phases]
    return out


def build(values: dict[str, Any], shocks: list[dict[str, Any]], where: str = "editor",
          phases: list[dict[str, Any]] | None = None) -> Scenario:
    """Validate editor values into a :class:`sim.Scenario` (one-line ScenarioError if invalid)."""
    return validate_dict(nest(values, shocks, phases), where)


_PATH_RE = re.compile(r"\b([a-z_]+(?:\.[a-z_0-9]+)+)\b")


def field_errors(values: dict[str, Any], shocks: list[dict[str, Any]],
                 phases: list[dict[str, Any]] | None = None) -> tuple[dict[str, str], list[str]]:
    """Validate and return ``({path: message}, [messages about the whole scenario])``.

    Field errors are keyed by dotted path (shock fields as ``shocks.<i>.<name>``). An error of
    a cross-field rule (e.g. conversion floor above ceiling) is attached to every field it
    names, and also returned in the general list.
    """
    try:
        Scenario.model_validate(nest(values, shocks, phases))
        return {}, []
    except ValidationError as err:
        fields: dict[str, str] = {}
        general: list[str] = []
        known = {s.path for s in field_specs()}
        for e in err.errors():
            loc = ".".join(str(p) for p in e.get("loc", ()))
            msg = e["msg"].removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                msg = f"unknown key '{loc}'"
            if loc:
                fields.setdefault(loc, msg)
                if loc not in known and not loc.startswith(("shocks.", "phases.")):
                    general.append(f"{loc}: {msg}")
            else:
                general.append(msg)
                for path in _PATH_RE.findall(msg):
                    if path in known or path.startswith("phases."):
                        fields.setdefault(path, msg)
        return fields, general


def changed_paths(a: Scenario, b: Scenario) -> list[str]:
    """Dotted paths whose values differ between two scenarios (``shocks`` as one path)."""
    va, sa = flatten(a)
    vb, sb = flatten(b)
    out = [p for p in va if p not in ("name", "description") and va[p] != vb.get(p)]
    if sa != sb:
        out.append("shocks")
    if flatten_phases(a) != flatten_phases(b):
        out.append("phases")
    return out


def format_number(x: float | None) -> str:
    """Compact text for a bound (``0.5``, ``20,000``, ``1e+07``)."""
    if x is None:
        return "–"
    if float(x).is_integer() and abs(x) < 1e7:
        return f"{int(x):,}"
    return f"{x:g}"


#: Longest scenario name derived from an upload (the library adds "-2"… for clashes).
MAX_NAME_CHARS = 60


def safe_name(text: str, fallback: str = "uploaded") -> str:
    """A scenario name safe to show and store, from a file name or a scenario's ``name``.

    Any directory part is dropped (``../../etc/passwd`` → ``passwd``) and a ``.yaml``/``.yml``
    suffix removed; only letters and digits (any script, so 中文 stays), spaces, ``-``, ``_``
    and single inner dots are kept, each other run of characters becoming ``_``.
    """
    base = re.split(r"[\\/]", str(text))[-1]
    stem = re.sub(r"\.ya?ml$", "", base, flags=re.IGNORECASE)
    clean = re.sub(r"[^\w\-. ]+", "_", stem)
    clean = re.sub(r"\.{2,}", ".", re.sub(r"_{2,}", "_", clean))
    clean = " ".join(clean.split()).strip(" ._-")[:MAX_NAME_CHARS].strip(" ._-")
    return clean or fallback


def read_upload(filename: str, data: bytes) -> Scenario:
    """Check and parse an uploaded scenario file; every problem is one-line ScenarioError.

    The bytes go through the one safe YAML reader (:mod:`sim.safe_yaml`: 1 MB, UTF-8, no
    anchors/aliases, bounded depth and numbers, duplicate keys refused) and ``extends`` may
    only name a shipped scenario (an upload must not make the server read its own files).
    Any other exception bad bytes could raise is turned into the same one line. The
    scenario's name is made safe with :func:`safe_name` (the file name when it has none).
    """
    where = cut(filename or "upload")
    try:
        scenario = parse_scenario_text(data, where=where)
    except ScenarioError:
        raise
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as err:
        raise ScenarioError(f"{where}: cannot read this file as a scenario ({type(err).__name__})") from None
    name = safe_name(filename) if scenario.name == "unnamed" and filename else safe_name(scenario.name)
    return scenario.with_overrides({"name": name}) if name != scenario.name else scenario


# ---- the editor's draft in session state (plain mappings: st.session_state or a dict) ------
def widget_key(path: str) -> str:
    """Session-state key of the editor widget for a dotted path."""
    return f"ed.{path}"


def shock_key(i: int, name: str) -> str:
    """Session-state key of field ``name`` of shock window ``i``."""
    return f"ed.shocks.{i}.{name}"


def load_into_state(state: MutableMapping[str, Any], scenario: Scenario) -> None:
    """Put every value of ``scenario`` into the editor's widget keys (replacing the draft)."""
    values, shocks = flatten(scenario)
    memory = state.setdefault("_choices", {})  # see dashboard.state.set_choice
    kinds = {s.path: s.kind for s in field_specs()}
    for path, value in values.items():
        state[widget_key(path)] = value
        if kinds[path] == "enum":
            memory[widget_key(path)] = value
    for key in [k for k in state if str(k).startswith("ed.shocks.")
                or (str(k).startswith("ed.") and str(k).endswith((".never", ".day")))]:
        del state[key]  # shock windows and the switches of "never" days are rebuilt
    state["ed.n_shocks"] = len(shocks)
    for i, window in enumerate(shocks):
        for name, value in window.items():
            state[shock_key(i, name)] = float(value) if isinstance(value, float) else value
    for key in [k for k in state if str(k).startswith("ed.phases.")]:
        del state[key]
    phases = flatten_phases(scenario)
    state["ed.n_phases"] = len(phases)
    for i, phase in enumerate(phases):
        state[phase_key(i, "from_day")] = phase["from_day"]
        state[phase_key(i, "label")] = phase["label"]
        state[phase_key(i, "fields")] = list(phase["strategy"])
        for path, value in phase["strategy"].items():
            state[phase_value_key(i, path)] = float(value) if isinstance(value, float) else value


def values_from_state(state: Mapping[str, Any], fallback: Scenario) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read the draft (``{path: value}``, shock windows) from widget keys, ``fallback`` filling gaps."""
    values, _ = flatten(fallback)
    for path in values:
        if widget_key(path) in state:
            values[path] = state[widget_key(path)]
    defaults = {s.name: s.default for s in shock_specs()}
    shocks = [{name: state.get(shock_key(i, name), d) for name, d in defaults.items()}
              for i in range(int(state.get("ed.n_shocks", 0)))]
    return values, shocks


def add_shock(state: MutableMapping[str, Any]) -> None:
    """Append a shock window with the schema's defaults."""
    i = int(state.get("ed.n_shocks", 0))
    for spec in shock_specs():
        state[shock_key(i, spec.name)] = spec.default
    state["ed.n_shocks"] = i + 1


def remove_shock(state: MutableMapping[str, Any], index: int) -> None:
    """Remove shock window ``index``, shifting the later ones up."""
    n = int(state.get("ed.n_shocks", 0))
    names = [s.name for s in shock_specs()]
    for i in range(index, n - 1):
        for name in names:
            if shock_key(i + 1, name) in state:
                state[shock_key(i, name)] = state[shock_key(i + 1, name)]
    for name in names:
        state.pop(shock_key(n - 1, name), None)
    state["ed.n_shocks"] = max(0, n - 1)


# ---- plan phases in the draft (issue 11 §1) ---------------------------------------------------
def phase_key(i: int, name: str) -> str:
    """Session-state key of field ``name`` (``from_day``, ``label``, ``fields``) of phase ``i``."""
    return f"ed.phases.{i}.{name}"


def phase_value_key(i: int, path: str) -> str:
    """Session-state key of the value phase ``i`` gives strategy field ``path`` (``hooks.gift.enabled``)."""
    return f"ed.phases.{i}.s.{path}"


def phases_from_state(state: Mapping[str, Any], values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The draft's phases; a field just picked for a phase starts at its value in ``values`` (the draft's strategy)."""
    out = []
    for i in range(int(state.get("ed.n_phases", 0))):
        fields = list(state.get(phase_key(i, "fields"), []))
        strategy = {p: state.get(phase_value_key(i, p), values.get(f"strategy.{p}")) for p in fields}
        out.append({"from_day": state.get(phase_key(i, "from_day"), 1), "label": state.get(phase_key(i, "label"), ""),
                    "strategy": strategy})
    return out


def add_phase(state: MutableMapping[str, Any], horizon: int) -> None:
    """Append a phase starting a month after the last one (or mid-horizon), changing nothing yet."""
    i = int(state.get("ed.n_phases", 0))
    last = int(state.get(phase_key(i - 1, "from_day"), 0)) if i else 0
    start = last + 30 if i else max(1, int(horizon) // 2)
    state[phase_key(i, "from_day")] = max(1, min(start, max(1, int(horizon) - 1)))
    state[phase_key(i, "label")] = ""
    state[phase_key(i, "fields")] = []
    state["ed.n_phases"] = i + 1


def remove_phase(state: MutableMapping[str, Any], index: int) -> None:
    """Remove phase ``index``, shifting the later ones up (their values and picked fields with them)."""
    n = int(state.get("ed.n_phases", 0))
    moved = {}
    for key in [k for k in state if str(k).startswith("ed.phases.")]:
        i, rest = str(key).removeprefix("ed.phases.").split(".", 1)
        value = state.pop(key)
        if int(i) != index:
            moved[f"ed.phases.{int(i) - (int(i) > index)}.{rest}"] = value
    state.update(moved)
    state["ed.n_phases"] = max(0, n - 1)
