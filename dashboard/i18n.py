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

from pathlib import Path
from typing import Any

from sim.i18n import ROOTS
from sim.i18n import load_catalogue as _load

__all__ = ["EN", "LANGS", "LOCALES", "ZH", "current", "load_catalogue", "names", "param_label", "t"]

#: Folder of the catalogues: ``<LOCALES>/<lang>/<topic>.yaml``.
LOCALES = Path(__file__).resolve().parent / "locales"


def load_catalogue(lang: str, root: Path = LOCALES) -> dict[str, str]:
    """Read every ``<root>/<lang>/*.yaml`` catalogue into one flat ``{key: text}`` dict."""
    return _load(lang, (root,))


def _with_model_texts(lang: str) -> dict[str, str]:
    """The dashboard's catalogues plus the model's (``sim/locales``: units, scenarios, messages).

    A key defined in both is refused (:func:`sim.i18n.load_catalogue` reads them as one).
    """
    return _load(lang, (LOCALES, ROOTS[0]))


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
