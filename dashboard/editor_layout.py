"""Layout logic of the strategy editor: what differs from the base, in which order, and the status.

Kept apart from :mod:`dashboard.editor` (schema, validation, uploads) and from the page so
each stays short. :func:`differences` lists every value that differs from the base scenario;
:func:`ordered_sections` puts sections (and fields inside them) with changes first, so the
user sees what they changed before the ~100 unchanged fields; :func:`status` is the one line
that always describes what is on screen, with correct plural forms. "Never" sentinels (a day
field whose maximum means "never", e.g. ``strategy.rebate_end_day``) are edited as a switch
plus a day (:func:`is_never_field`, :func:`never_keys`). Nothing here imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from .editor import SECTIONS, FieldSpec, format_number

__all__ = ["Difference", "differences", "is_never_field", "load_never_widgets", "never_keys",
           "ordered_sections", "phase_difference_text", "phase_differences", "status", "sync_never"]

#: Day fields whose maximum is a "never" sentinel (the schema says "≥ horizon means never").
NEVER_MIN = 100_000


@dataclass(frozen=True)
class Difference:
    """One value that differs from the base scenario."""

    path: str
    section: str
    old: Any
    new: Any


def is_never_field(spec: FieldSpec) -> bool:
    """Whether ``spec`` is a day whose maximum means "never" (shown as a switch, not 100000)."""
    return spec.kind == "int" and spec.unit == "day" and (spec.hi or 0) >= NEVER_MIN \
        and spec.default == spec.hi


def never_keys(key: str) -> tuple[str, str]:
    """Session keys of the "never" switch and of the day input of a never-field widget ``key``."""
    return f"{key}.never", f"{key}.day"


def load_never_widgets(state: MutableMapping[str, Any], key: str, value: int, spec: FieldSpec,
                       horizon: int) -> None:
    """Set the switch and day of a never-field from its value (``≥`` maximum or horizon = never)."""
    never, day = never_keys(key)
    state[never] = int(value) >= min(int(spec.hi or NEVER_MIN), max(int(horizon), 1))
    state[day] = int(value) if not state[never] else max(0, min(int(horizon) // 2, int(spec.hi or NEVER_MIN)))


def sync_never(state: MutableMapping[str, Any], key: str, spec: FieldSpec) -> None:
    """Write the value a never-field's switch and day stand for into the field's own key."""
    never, day = never_keys(key)
    state[key] = int(spec.hi or NEVER_MIN) if state.get(never) else int(state.get(day, 0))


def differences(base: Mapping[str, Any], values: Mapping[str, Any], specs: Sequence[FieldSpec],
                base_shocks: Sequence[Mapping[str, Any]] = (), shocks: Sequence[Mapping[str, Any]] = ()
                ) -> list[Difference]:
    """Every field (in schema order) whose value differs from the base; shocks as one entry."""
    out = [Difference(s.path, s.section, base.get(s.path), values.get(s.path))
           for s in specs if s.path not in ("name", "description") and values.get(s.path) != base.get(s.path)]
    if [dict(w) for w in base_shocks] != [dict(w) for w in shocks]:
        out.append(Difference("shocks", "shocks", len(base_shocks), len(shocks)))
    return out


def phase_differences(base: Sequence[Mapping[str, Any]], phases: Sequence[Mapping[str, Any]]) -> list[Difference]:
    """What the draft's phases change against the base's, phase by phase (both as :func:`~dashboard.editor.flatten_phases`).

    A phase on both sides gives one entry per value that differs: ``phases.<i>.from_day``,
    ``phases.<i>.label`` and ``phases.<i>.strategy.<path>`` (``None`` on the side whose phase
    does not set that field). A phase on one side only is one entry ``phases.<i>`` whose other
    side is ``None``. All in section ``"phases"``, in phase order.
    """
    out = []
    for i in range(max(len(base), len(phases))):
        old = base[i] if i < len(base) else None
        new = phases[i] if i < len(phases) else None
        if old is None or new is None:
            out.append(Difference(f"phases.{i}", "phases", old, new))
            continue
        for key in ("from_day", "label"):
            if old.get(key) != new.get(key):
                out.append(Difference(f"phases.{i}.{key}", "phases", old.get(key), new.get(key)))
        so, sn = old.get("strategy", {}), new.get("strategy", {})
        for path in [*so, *(p for p in sn if p not in so)]:
            if so.get(path) != sn.get(path):
                out.append(Difference(f"phases.{i}.strategy.{path}", "phases", so.get(path), sn.get(path)))
    return out


def phase_difference_text(d: Difference, t: Callable[..., str], label: Callable[[str], str],
                          by_path: Mapping[str, FieldSpec], never: str, yes: str, no: str) -> str:
    """One line of the list of differences for an entry of :func:`phase_differences`.

    ``t`` translates (``dashboard.i18n.t``), ``label`` names a schema field
    (``dashboard.i18n.param_label``), ``by_path`` gives the strategy fields' specs
    (``strategy.<path>``) for their units and "never" sentinels.
    """
    _, i, *rest = d.path.split(".", 3)
    k = int(i) + 1
    if not rest:
        if d.new is None:
            return t("phase.diff_removed", i=k, day=d.old["from_day"])
        return t("phase.diff_added", i=k, day=d.new["from_day"])
    spec = by_path.get(f"strategy.{rest[1]}") if rest[0] == "strategy" else None
    name = label(spec.name) if spec is not None else label(rest[-1])

    def shown(v: Any) -> str:
        return t("phase.diff_unset") if v is None or v == "" else value_text(v, spec, never, yes, no)

    return f"**{t('phase.n', i=k)} · {name}**: {shown(d.old)} → {shown(d.new)}"


def ordered_sections(specs: Sequence[FieldSpec], changed: set[str]) -> list[tuple[str, list[FieldSpec]]]:
    """Sections in display order with changed ones first; in each, changed fields first."""
    by_section = {sec: [s for s in specs if s.section == sec] for sec in SECTIONS}
    ordered = sorted((sec for sec in SECTIONS if by_section[sec]),
                     key=lambda sec: (not any(s.path in changed for s in by_section[sec]), SECTIONS.index(sec)))
    return [(sec, sorted(by_section[sec], key=lambda s: s.path not in changed)) for sec in ordered]


def value_text(value: Any, spec: FieldSpec | None, never: str, yes: str, no: str) -> str:
    """A value for the list of differences (``never`` for a sentinel, yes/no for switches)."""
    if spec is not None and is_never_field(spec) and value == spec.hi:
        return never
    if isinstance(value, bool):
        return yes if value else no
    if isinstance(value, float | int):
        return format_number(value) if float(value).is_integer() else f"{value:g}"
    return str(value)


def status(t: Callable[..., str], *, error: str | None, n_changed: int, base: str,
           upload_error: str | None = None) -> tuple[str, str]:
    """The status line: ``("error" | "success" | "info", text)`` about what the editor shows.

    Args:
        t: The translation function (``dashboard.i18n.t``).
        error: The validation error of the values on screen, if any.
        n_changed: Number of differences from the base.
        base: Name of the base scenario.
        upload_error: An upload that failed just now (the editor kept the base).
    """
    if error:
        return "error", t("ed.invalid", err=error)
    if upload_error:
        return "info", t("ed.status.kept", base=base)
    if n_changed == 0:
        return "success", t("ed.status.same", base=base)
    key = "ed.status.one" if n_changed == 1 else "ed.status.many"
    return "success", t(key, n=n_changed, base=base)
