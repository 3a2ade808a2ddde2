"""Every text the dashboard shows, in English and Chinese (中文), and the ``t()`` lookup.

The texts live in catalogue files that translators edit directly, one folder per language and
one file per topic: ``dashboard/locales/en/*.yaml`` and ``dashboard/locales/zh/*.yaml``. A
catalogue is a YAML mapping from dotted keys (``cmp.title``) to texts; nested mappings are
flattened with dots, so ``{cmp: {title: ...}}`` means the same. A key defined twice in one
language is an error, and a test checks that both languages have the same keys and the same
``{placeholders}``. The model's own texts (units ``unit.*``, shipped scenario names
``scn.*``, error-message templates ``msg.*``, the report) live in ``sim/locales`` and are
merged in (:mod:`sim.i18n`). Parameter labels of the strategy editor are the keys ``param.<field>``, so
the schema stays the one source of truth for bounds, units and help text. The current
language lives in ``st.session_state["lang"]`` (set by the sidebar toggle); changing it never
reruns a simulation.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

__all__ = ["EN", "LANGS", "LOCALES", "ZH", "current", "load_catalogue", "names", "param_label", "t"]

#: Folder of the catalogues: ``<LOCALES>/<lang>/<topic>.yaml``.
LOCALES = Path(__file__).resolve().parent / "locales"


def _flatten(data: Mapping[str, Any], prefix: str, out: dict[str, str], where: str) -> None:
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten(value, full + ".", out, where)
            continue
        if full in out:
            raise ValueError(f"{where}: text {full!r} is defined twice")
        out[full] = str(value)


def load_catalogue(lang: str, root: Path = LOCALES) -> dict[str, str]:
    """Read every ``<root>/<lang>/*.yaml`` catalogue into one flat ``{key: text}`` dict."""
    out: dict[str, str] = {}
    for path in sorted((root / lang).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, Mapping):
            raise ValueError(f"{path}: a catalogue must be a mapping of keys to texts")
        _flatten(data, "", out, str(path))
    return out


def _with_model_texts(lang: str) -> dict[str, str]:
    """Read the dashboard's catalogues plus the model's (``sim/locales``: units, scenarios, messages)."""
    from sim.i18n import ROOTS
    from sim.i18n import load_catalogue as load_model

    out = load_catalogue(lang)
    model = load_model(lang, (ROOTS[0],))
    twice = set(out) & set(model)
    if twice:
        raise ValueError(f"texts defined in both dashboard/locales and sim/locales: {sorted(twice)[:5]}")
    return {**out, **model}


EN: dict[str, str] = _with_model_texts("en")
ZH: dict[str, str] = _with_model_texts("zh")
LANGS: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}


def current() -> str:
    """Return the language chosen in the sidebar (``"en"`` outside a Streamlit session)."""
    try:
        import streamlit as st

        lang = st.session_state.get("lang", "en")
    except Exception:  # noqa: BLE001 - no session (plain Python, tests of helpers)
        lang = "en"
    return lang if lang in LANGS else "en"


def t(key: str, lang: str | None = None, **fmt: Any) -> str:
    """Translate ``key`` into the current (or given) language and fill ``{placeholders}``.

    A key missing in the chosen language falls back to English, then to the key itself, so a
    gap never breaks a page (a test keeps both catalogues complete).
    """
    table = LANGS.get(lang or current(), EN)
    text = table.get(key) or EN.get(key) or key
    return text.format(**fmt) if fmt else text


def param_label(name: str, lang: str | None = None) -> str:
    """Return the label of a schema field (``param.<name>``), or its name in words if none."""
    key = f"param.{name}"
    if key in EN:
        return t(key, lang)
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def names(prefix: str, keys: list[str] | None = None, lang: str | None = None) -> dict[str, str]:
    """Return ``{key: text}`` for every key under ``prefix`` (e.g. ``"stage"``), for figures."""
    table = LANGS.get(lang or current(), EN)
    head = prefix + "."
    out = {k[len(head):]: v for k, v in EN.items() if k.startswith(head)}
    out.update({k[len(head):]: v for k, v in table.items() if k.startswith(head)})
    if keys is not None:
        out = {k: out.get(k, k) for k in keys}
    return out
