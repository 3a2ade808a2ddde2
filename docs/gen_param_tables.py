"""Generate the parameter tables of docs/MODEL.md from the scenario schema.

Every row is read from :class:`sim.scenario.Scenario`: the dotted name comes from walking
``model_fields`` recursively, the default from a default-constructed scenario (so nested
defaults such as ``strategy.hooks.cash.selection = 0.8`` are exact), the allowed range from the
field's ``ge``/``le`` (or ``max_length``) metadata, and unit and source from its
``json_schema_extra``. Nothing is typed by hand except which submodel uses which parameter.

Usage (from the repository root)::

    .venv/bin/python docs/gen_param_tables.py            # print the tables, one per schema section
    .venv/bin/python docs/gen_param_tables.py --blocks   # print every generated block of MODEL.md
    .venv/bin/python docs/gen_param_tables.py --write    # refresh the generated blocks in MODEL.md
    .venv/bin/python docs/gen_param_tables.py --check    # exit 1 if MODEL.md's blocks are stale

Generated blocks sit in MODEL.md between ``<!-- params:NAME -->`` and ``<!-- /params:NAME -->``.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODEL_MD = ROOT / "docs" / "MODEL.md"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pydantic import BaseModel  # noqa: E402

from sim.scenario import Scenario  # noqa: E402


@dataclass(frozen=True)
class Param:
    """One scenario field, flattened to a dotted path."""

    path: str
    section: str
    default: Any
    kind: str  # number, bool, choice, text, list, group, overrides
    lo: float | None
    hi: float | None
    max_len: int | None
    choices: tuple[str, ...]
    unit: str
    source: str
    meaning: str


def _bounds(field: Any) -> tuple[float | None, float | None, int | None]:
    lo = hi = max_len = None
    for m in field.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
        max_len = getattr(m, "max_length", max_len)
    return lo, hi, max_len


def _meaning(field: Any) -> str:
    text = (field.description or "").strip()
    return text.split(" Unit: ")[0].strip()


def _model_class(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _section_of(prefix: str) -> str:
    """The appendix table a field belongs to: its first two path components (``strategy.hooks``)."""
    return ".".join(prefix.rstrip(".").split(".")[:2])


def iter_params(cls: type[BaseModel] = Scenario, instance: BaseModel | None = None,
                prefix: str = "", section: str = "scenario") -> Iterator[Param]:
    """Every leaf field of ``cls`` (recursively), with defaults read from ``instance``."""
    instance = instance if instance is not None else cls()
    for name, field in cls.model_fields.items():
        path = f"{prefix}{name}"
        default = getattr(instance, name)
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        unit, source = str(extra.get("unit", "—")), str(extra.get("source", "—"))
        sub = _model_class(field.annotation)
        if sub is not None and getattr(sub, "mirrors", None) is not None:
            # a phase's strategy overrides: the fields of the section it mirrors, each optional
            yield Param(path, section, default, "overrides", None, None, None, (), unit, source,
                        _meaning(field))
            continue
        if sub is not None:
            # a documented group of parameters (a hook) gets its own row; a schema section does not
            if extra:
                yield Param(path, section, default, "group", None, None, None, (), unit, source,
                            _meaning(field))
            yield from iter_params(sub, default, f"{path}.", _section_of(f"{path}."))
            continue
        lo, hi, max_len = _bounds(field)
        origin = typing.get_origin(field.annotation)
        if origin is list:
            (item,) = typing.get_args(field.annotation)
            item_cls = _model_class(item)
            yield Param(path, section, default, "list", None, None, max_len, (), "entries",
                        source, (field.description or "").strip())
            if item_cls is not None:
                yield from iter_params(item_cls, item_cls(), f"{path}[].", _section_of(f"{path}[]."))
            continue
        ann = field.annotation
        if ann is bool:
            kind, choices = "bool", ()
        elif isinstance(ann, type) and issubclass(ann, Enum):
            kind, choices = "choice", tuple(str(e.value) for e in ann)
        elif ann is str:
            kind, choices = "text", ()
            unit = "text" if unit == "—" else unit
        else:
            kind, choices = "number", ()
        yield Param(path, section, default, kind, lo, hi, max_len, choices, unit, source, _meaning(field))


def all_params() -> dict[str, Param]:
    """Every scenario parameter by dotted path, in schema order."""
    return {p.path: p for p in iter_params()}


# --- formatting --------------------------------------------------------------------------------
def _num(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v.is_integer() and abs(v) >= 1000:
            return f"{int(v):,}"
        return f"{v:g}"
    return str(v)


def fmt_default(p: Param) -> str:
    """The default as a reader would type it in YAML."""
    if p.kind == "group":
        return "fields below"
    if p.kind == "overrides":
        return "none (`{}`)"
    if p.kind == "list":
        return "none (`[]`)" if not p.default else f"{len(p.default)} entries"
    if p.kind == "choice":
        return f"`{p.default.value if isinstance(p.default, Enum) else p.default}`"
    if p.kind == "text":
        return f"`{p.default}`" if p.default else '`""`'
    return _num(p.default)


def fmt_range(p: Param) -> str:
    """The allowed values."""
    if p.kind == "group":
        return "—"
    if p.kind == "overrides":
        return "any `strategy` field, within its range"
    if p.kind == "bool":
        return "true / false"
    if p.kind == "choice":
        return ", ".join(f"`{c}`" for c in p.choices)
    if p.kind == "text":
        return f"≤ {p.max_len:,} characters" if p.max_len else "any text"
    if p.kind == "list":
        return f"0 … {p.max_len} entries" if p.max_len else "any number of entries"
    if p.lo is not None and p.hi is not None:
        return f"{_num(p.lo)} … {_num(p.hi)}"
    if p.lo is not None:
        return f"≥ {_num(p.lo)}"
    if p.hi is not None:
        return f"≤ {_num(p.hi)}"
    return "any"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


HEADER = ("| Parameter | Default | Allowed range | Unit | Meaning | Source / assumption |\n"
          "|---|---|---|---|---|---|")


def table(params: list[Param]) -> str:
    """A markdown table of ``params``."""
    rows = [HEADER]
    for p in params:
        rows.append("| " + " | ".join(_cell(c) for c in (
            f"`{p.path}`", fmt_default(p), fmt_range(p), p.unit, p.meaning, p.source)) + " |")
    return "\n".join(rows)


# --- which submodel uses which parameter (the only hand-written part) -------------------------
SUBMODELS: dict[str, list[str]] = {
    "scales": ["horizon_days", "population.n_users"],
    "init": ["population.*", "network.*", "product.purchase_cycle_days"],
    "acquisition": [
        "public.ad_reach_per_day", "public.organic_reach_per_day", "public.cost_per_exposure",
        "public.cost_growth_per_year", "public.platform_conversion", "public.platform_repeat_boost",
        "public.platform_commission", "product.decision_touches", "strategy.hooks*",
        "strategy.entry_threshold", "strategy.join_cash", "strategy.rebate_end_day",
        "touchpoints.friends_per_account", "touchpoints.max_accounts", "touchpoints.group_share",
        "trust.initial", "trust.initial_content", "trust.endorsement", "mechanisms.acquisition",
    ],
    "messaging": [
        "strategy.content_posts_per_day", "strategy.ad_posts_per_day", "strategy.ads_targeted",
        "strategy.selling_in_group", "strategy.routing_by_tags", "strategy.welfare_events_per_week",
        "strategy.welfare_discount", "strategy.monthly_promo", "strategy.promo_discount",
        "strategy.rebate_end_day", "strategy.red_packet_every_days", "strategy.campaign_every_days",
        "strategy.one_to_one", "touchpoints.users_per_staff",
        "touchpoints.interactions_per_staff_per_day",
    ],
    "community": [
        "community.*", "touchpoints.group_size", "touchpoints.group_share",
        "strategy.content_posts_per_day", "strategy.check_ins", "strategy.red_packet_every_days",
        "strategy.red_packet_per_member", "mechanisms.group_activity",
    ],
    "fatigue": [
        "fatigue.*", "population.tolerance_median", "population.tolerance_sigma",
        "strategy.ads_targeted", "community.activity_tolerance_bonus", "mechanisms.fatigue",
        "mechanisms.incentive_churn",
    ],
    "trust": ["trust.*", "strategy.exaggeration", "strategy.content_posts_per_day", "mechanisms.trust"],
    "purchase": [
        "purchase.*", "product.order_value", "product.margin_rate", "product.purchase_cycle_days",
        "strategy.cashback_rate", "strategy.rebate_end_day", "strategy.partner_program",
        "strategy.partner_commission", "fulfilment.*", "trust.purchase_gain", "trust.failure_loss",
        "touchpoints.mini_program", "touchpoints.mini_program_lift", "shocks[].demand_multiplier",
        "mechanisms.purchase", "mechanisms.fulfilment_failures",
    ],
    "referral": [
        "referral.share_rate", "referral.reward_share_lift", "referral.join_prob",
        "referral.partner_share_multiplier", "referral.well_mixed_contacts",
        "strategy.referral_reward", "strategy.rebate_end_day", "strategy.campaign_every_days",
        "strategy.seeds_per_campaign", "strategy.seeding", "strategy.group_buy_size",
        "strategy.group_buy_discount", "purchase.event_lift", "network.*",
        "population.sociability_sigma", "trust.initial", "trust.endorsement", "mechanisms.referral",
    ],
    "lifecycle": [
        "referral.member_min_purchases", "referral.partner_min_trust",
        "referral.partner_min_referrals", "strategy.membership", "strategy.partner_program",
        "mechanisms.lifecycle",
    ],
    "shocks": ["shocks", "shocks[].*", "mechanisms.shocks"],
    "phases": ["phases", "phases[].*"],
    "budget": ["budget.*"],
    "finance": ["finance.*"],
    "economics": [
        "horizon_days", "product.order_value", "product.margin_rate", "public.cost_per_exposure",
        "public.cost_growth_per_year", "public.platform_commission", "strategy.hooks.*.cost_per_join",
        "strategy.join_cash", "strategy.cashback_rate", "strategy.referral_reward",
        "strategy.red_packet_per_member", "strategy.partner_commission",
        "strategy.content_cost_per_post", "touchpoints.account_cost_per_day",
        "touchpoints.friends_per_account", "touchpoints.staff_cost_per_day",
        "touchpoints.users_per_staff", "touchpoints.mini_program",
        "touchpoints.mini_program_cost_per_day",
    ],
}


def select(patterns: list[str], params: dict[str, Param]) -> list[Param]:
    """Parameters matching the glob ``patterns``, in pattern order; an unmatched pattern is an error."""
    out: dict[str, Param] = {}
    for pat in patterns:
        hits = [p for path, p in params.items() if fnmatch.fnmatchcase(path, pat)]
        if not hits:
            raise KeyError(f"SUBMODELS pattern {pat!r} matches no scenario field")
        for p in hits:
            out.setdefault(p.path, p)
    return list(out.values())


def sections(params: dict[str, Param]) -> dict[str, list[Param]]:
    """Parameters grouped by schema section (top-level fields under ``scenario``)."""
    out: dict[str, list[Param]] = {}
    for p in params.values():
        out.setdefault(p.section, []).append(p)
    return out


def _section_doc(section: str) -> str:
    cls: Any = Scenario
    for part in section.replace("[]", "").split("."):
        if section == "scenario":
            break
        ann = cls.model_fields[part].annotation
        cls = typing.get_args(ann)[0] if typing.get_origin(ann) is list else ann
    doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
    return doc


def appendix(params: dict[str, Param]) -> str:
    """The full parameter reference: one table per schema section."""
    parts = []
    for section, ps in sections(params).items():
        title = "Top level" if section == "scenario" else f"`{section}`"
        doc = _section_doc(section)
        parts.append(f"#### {title}\n\n{doc}\n\n{table(ps)}")
    return "\n\n".join(parts)


def evidence(params: dict[str, Param]) -> str:
    """Parameters whose value or range rests on a published figure (EVIDENCE.md)."""
    return table([p for p in params.values() if "EVIDENCE" in p.source])


def blocks() -> dict[str, str]:
    """Every generated block of MODEL.md by name."""
    params = all_params()
    out = {name: table(select(pats, params)) for name, pats in SUBMODELS.items()}
    out["evidence"] = evidence(params)
    out["appendix"] = appendix(params)
    return out


def unmapped() -> list[str]:
    """Model parameters no submodel table lists (they still appear in the appendix)."""
    params = all_params()
    used = {p.path for pats in SUBMODELS.values() for p in select(pats, params)}
    return [path for path, p in params.items() if path not in used and p.kind != "text"]


_BLOCK = re.compile(r"<!-- params:(?P<name>[\w.]+) -->\n(?P<body>.*?)\n?<!-- /params:(?P=name) -->", re.S)


def render(text: str) -> str:
    """``text`` (MODEL.md) with every generated block replaced by fresh output."""
    fresh = blocks()

    def sub(m: re.Match[str]) -> str:
        name = m.group("name")
        if name not in fresh:
            raise KeyError(f"MODEL.md has an unknown generated block {name!r}")
        return f"<!-- params:{name} -->\n{fresh[name]}\n<!-- /params:{name} -->"

    return _BLOCK.sub(sub, text)


def stale_blocks(text: str) -> list[str]:
    """Names of generated blocks that are missing from or out of date in ``text``."""
    fresh = blocks()
    found = {m.group("name"): m.group("body") for m in _BLOCK.finditer(text)}
    return [name for name, body in fresh.items() if found.get(name) != body]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--blocks", action="store_true", help="print every generated block with its markers")
    g.add_argument("--write", action="store_true", help="refresh the generated blocks in docs/MODEL.md")
    g.add_argument("--check", action="store_true", help="exit 1 if docs/MODEL.md is stale")
    args = ap.parse_args(argv)
    for path in unmapped():
        print(f"note: {path} is listed in no submodel table (appendix only)", file=sys.stderr)
    if args.write:
        text = MODEL_MD.read_text(encoding="utf-8")
        new = render(text)
        missing = stale_blocks(new)
        if missing:
            print(f"MODEL.md lacks markers for blocks: {', '.join(missing)}", file=sys.stderr)
            return 1
        MODEL_MD.write_text(new, encoding="utf-8")
        print(f"updated {MODEL_MD.relative_to(ROOT)}")
        return 0
    if args.check:
        stale = stale_blocks(MODEL_MD.read_text(encoding="utf-8"))
        if stale:
            print(f"stale blocks in docs/MODEL.md: {', '.join(stale)} "
                  "(run .venv/bin/python docs/gen_param_tables.py --write)", file=sys.stderr)
            return 1
        return 0
    if args.blocks:
        for name, body in blocks().items():
            print(f"<!-- params:{name} -->\n{body}\n<!-- /params:{name} -->\n")
        return 0
    print(appendix(all_params()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
