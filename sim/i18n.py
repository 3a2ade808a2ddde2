"""Texts of the model's own outputs in English and Chinese: units, scenario names, errors, report.

The texts live in catalogue files translators edit directly: ``sim/locales/<lang>/*.yaml``
(units, shipped scenarios' display names and descriptions, the HTML report, the templates of
error messages). The dashboard's catalogues (``dashboard/locales``) are read too, so the
report can reuse the dashboard's KPI names; the dashboard in turn merges these catalogues
into its own (:mod:`dashboard.i18n`). A key defined twice is an error.

Error messages (:class:`sim.ScenarioError`) are built in English, one line, as the CLI prints
them. :func:`translate_message` renders such a line in another language from *message
templates*: every key ``msg.<name>`` is an English fragment with ``{placeholders}`` (e.g.
``unknown key {key}``) and its translation; each fragment found in the line is replaced by
the translated template with the same placeholder values. Parts without a template stay
English, so a new message is never lost, only untranslated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["LANGS", "ROOTS", "catalogue", "load_catalogue", "scenario_description", "scenario_name",
           "t", "translate_message", "unit_text"]

#: Languages every catalogue has.
LANGS = ("en", "zh")

_HERE = Path(__file__).resolve().parent
#: Catalogue roots: the model's own texts, then the dashboard's (shipped in the same package).
ROOTS: tuple[Path, ...] = (_HERE / "locales", _HERE.parent / "dashboard" / "locales")


def _flatten(data: Mapping[str, Any], prefix: str, out: dict[str, str], where: str) -> None:
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten(value, full + ".", out, where)
            continue
        if full in out:
            raise ValueError(f"{where}: text {full!r} is defined twice")
        out[full] = str(value)


def load_catalogue(lang: str, roots: tuple[Path, ...] | list[Path] = (ROOTS[0],)) -> dict[str, str]:
    """Read every ``<root>/<lang>/*.yaml`` of the given roots into one flat ``{key: text}`` dict."""
    out: dict[str, str] = {}
    for root in roots:
        for path in sorted((Path(root) / lang).glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(data, Mapping):
                raise ValueError(f"{path}: a catalogue must be a mapping of keys to texts")
            _flatten(data, "", out, str(path))
    return out


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every text of ``lang`` (this package's catalogues and the dashboard's), read once."""
    return load_catalogue(lang if lang in LANGS else "en", ROOTS)


def t(key: str, lang: str = "en", **fmt: Any) -> str:
    """The text of ``key`` in ``lang`` (falling back to English, then to the key), formatted."""
    text = catalogue(lang).get(key) or catalogue("en").get(key) or key
    return text.format(**fmt) if fmt else text


def unit_text(unit: str, lang: str = "en") -> str:
    """A schema unit (``"days (0 = never)"``) in ``lang``; an unknown unit is returned as is."""
    if lang == "en" or not unit:
        return unit
    return catalogue(lang).get(f"unit.{unit}", unit)


def scenario_name(name: str, lang: str = "en") -> str | None:
    """The display name of a shipped scenario in ``lang`` (``None`` for other scenarios)."""
    return catalogue(lang).get(f"scn.{name}.name")


def scenario_description(name: str, fallback: str, lang: str = "en") -> str:
    """A shipped scenario's description in ``lang``; other scenarios keep their own text."""
    if lang == "en":
        return fallback
    return catalogue(lang).get(f"scn.{name}.desc", fallback)


_FIELD = re.compile(r"{(\w+)}")


@cache
def _templates(lang: str) -> list[tuple[re.Pattern[str], str]]:
    """(English fragment as a regex, translated template) pairs, longest fragment first."""
    en, other = catalogue("en"), catalogue(lang)
    pairs = []
    for key in sorted((k for k in en if k.startswith("msg.")), key=lambda k: -len(en[k])):
        if key not in other:
            continue
        text, pattern, pos = en[key], "", 0
        fields = list(_FIELD.finditer(text))
        for i, m in enumerate(fields):
            last = i == len(fields) - 1 and m.end() == len(text)
            # a placeholder inside a fragment takes the shortest text up to the next literal;
            # one ending the fragment takes one token (no spaces), e.g. a number or a key
            group = r"[^\s;]+" if last else ".+?"
            pattern += re.escape(text[pos:m.start()]) + f"(?P<{m.group(1)}>{group})"
            pos = m.end()
        pattern += re.escape(text[pos:])
        pairs.append((re.compile(pattern), other[key]))
    return pairs


def translate_message(message: str, lang: str = "en") -> str:
    """Render a one-line English error message in ``lang`` with the ``msg.*`` templates."""
    if lang == "en" or not message:
        return message
    out = message
    for pattern, template in _templates(lang):
        out = pattern.sub(lambda m, tpl=template: tpl.format(**_localised(m.groupdict(), lang)), out)
    return out


def _localised(values: dict[str, str], lang: str) -> dict[str, str]:
    """Placeholder values of a message template, with a ``unit`` in ``lang``."""
    if "unit" in values:
        values = {**values, "unit": unit_text(values["unit"], lang)}
    return values
