"""Texts of the model's own outputs in English and Chinese: units, scenario names, errors, report.

The texts live in catalogue files translators edit directly: ``sim/locales/<lang>/*.yaml``
(units, shipped scenarios' display names and descriptions, the HTML report, the templates of
error messages, the parameters' help texts). The dashboard's catalogues (``dashboard/locales``) are read too, so the
report can reuse the dashboard's KPI names; the dashboard in turn merges these catalogues
into its own (:mod:`dashboard.i18n`). A key defined twice is an error.

Error messages (:class:`sim.ScenarioError`) are built in English, one line, as the CLI prints
them. :func:`translate_message` renders such a line in another language from *message
templates*: every key ``msg.<name>`` is an English fragment with ``{placeholders}`` (e.g.
``unknown key {key}``) and its translation; each fragment found in the line is replaced by
the translated template with the same placeholder values. Parts without a template stay
English, so a new message is never lost, only untranslated.

Parameter help texts (the editor's ⓘ tooltips) are keyed by the field's dotted path:
``field.<path>.help`` (what the parameter means) and ``field.<path>.source`` (where its default
comes from: DOMAIN §N, EVIDENCE or "assumption"), shock-window fields as ``field.shocks.<name>``.
Their English is the schema's own (``sim/scenario.py``: the ``P(...)``/``S(...)`` text and
source), read by :func:`schema_texts` into the English catalogue, so it is never copied;
translations live in ``sim/locales/<lang>/params.yaml``. Because the English catalogue has a
key for every field, the test that both languages have the same keys fails for a new field
without a translation (and for a translation of a field that no longer exists).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["LANGS", "ROOTS", "catalogue", "field_help", "field_source", "load_catalogue",
           "scenario_description", "scenario_name", "schema_texts", "t", "translate_message", "unit_text"]

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
    """Read every ``<root>/<lang>/*.yaml`` of the given roots into one flat ``{key: text}`` dict.

    English read from the model's root (:data:`ROOTS` ``[0]``) also holds the schema's
    parameter help texts (:func:`schema_texts`).
    """
    out: dict[str, str] = {}
    for root in roots:
        for path in sorted((Path(root) / lang).glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(data, Mapping):
                raise ValueError(f"{path}: a catalogue must be a mapping of keys to texts")
            _flatten(data, "", out, str(path))
        if lang == "en" and Path(root).resolve() == ROOTS[0]:
            _flatten(schema_texts(), "", out, "sim/scenario.py")
    return out


def _schema_fields() -> list[tuple[str, Any]]:
    """(dotted path, pydantic field) of every leaf of the scenario schema, in schema order.

    A list of sections (``shocks``) contributes its item's fields once (``shocks.start_day``).
    """
    from pydantic import BaseModel

    from sim.scenario import Scenario

    out: list[tuple[str, Any]] = []

    def visit(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            ann = info.annotation
            if getattr(ann, "mirrors", None) is not None:  # a phase's strategy: the texts of strategy.*
                continue
            items = [a for a in getattr(ann, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)]
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                visit(ann, f"{prefix}{name}.")
            elif getattr(ann, "__origin__", None) is list and items:
                visit(items[0], f"{prefix}{name}.")
            else:
                out.append((f"{prefix}{name}", info))

    visit(Scenario, "")
    return out


@cache
def schema_texts() -> dict[str, str]:
    """The English help text and source of every schema field, as ``field.<path>.help|source``.

    The help text is the field's description up to its " Unit: …" part (the unit is shown on
    its own, translated through ``unit.*``); the source is the ``source`` of ``P``/``S``.
    """
    out: dict[str, str] = {}
    for path, info in _schema_fields():
        out[f"field.{path}.help"] = (info.description or "").split(" Unit: ")[0].strip()
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get("source"):
            out[f"field.{path}.source"] = str(extra["source"])
    return out


def field_help(path: str, lang: str = "en", fallback: str = "") -> str:
    """What a schema field means, in ``lang`` (``path``: dotted, ``shocks.<name>`` for windows)."""
    return catalogue(lang).get(f"field.{path}.help") or catalogue("en").get(f"field.{path}.help", fallback)


def field_source(path: str, lang: str = "en", fallback: str = "") -> str:
    """Where a schema field's default comes from (DOMAIN §N, EVIDENCE, assumption), in ``lang``."""
    return catalogue(lang).get(f"field.{path}.source") or catalogue("en").get(f"field.{path}.source", fallback)


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
