"""Market settings shared by every scenario of a comparison, while each keeps its own strategy.

A comparison asks "which strategy, in *this* market?". So the fields that describe the market
— who the users are, their social network, the product and its economics, the public
platforms, the prices of the private channel's inputs — are set once and applied to every
compared scenario, exactly as the CLI's ``--set`` does; everything the operator chooses stays
each scenario's own. The split, section by section (docs/MODEL.md, "Market and strategy"):

=============  ==========================================================  ===================
section        what it describes                                           shared (market)?
=============  ==========================================================  ===================
population     the addressable users and their trait distributions         yes (``n_users`` is
                                                                           the page's "users")
network        the social graph referrals travel on                        yes
product        order value, margin, purchase cycle, decision touches       yes
public         paid/organic reach, cost per exposure and its growth,       yes
               platform conversion and commission
touchpoints    platform limits and input prices: ``friends_per_account``,  those five fields;
               ``group_size``, ``account_cost_per_day``,                   the rest (accounts
               ``staff_cost_per_day``, ``mini_program_cost_per_day``       run, group share,
                                                                           staffing, mini-
                                                                           program) is strategy
strategy       what the operator does                                      no (strategy)
trust, fatigue, community, purchase, referral, fulfilment                  no: behavioural
               — how users respond (calibration assumptions)               rules, kept per file
shocks         events in time (an epidemic)                                no: per scenario
mechanisms     switches that isolate mechanisms                            no: per scenario
=============  ==========================================================  ===================

:data:`MARKET_FIELDS` lists the shared fields; :func:`market_overrides` keeps the values that
differ from the shipped defaults (the schema's), :func:`apply_market` applies them to a
scenario (validated: a value out of range is one ``ScenarioError`` line naming the field) and
:func:`differences` describes them for people (field, unit, default, value).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from pydantic import BaseModel

from sim.errors import ScenarioError
from sim.scenario import Scenario

__all__ = ["MARKET_FIELDS", "MARKET_SECTIONS", "PAGE_FIELDS", "TOUCHPOINT_MARKET_FIELDS", "apply_market",
           "defaults", "differences", "market_overrides", "own_market_values"]

#: Sections that are market as a whole.
MARKET_SECTIONS = ("population", "network", "product", "public")
#: The market fields of ``touchpoints`` (platform limits and input prices); its other fields are strategy.
TOUCHPOINT_MARKET_FIELDS = ("friends_per_account", "group_size", "account_cost_per_day", "staff_cost_per_day",
                            "mini_program_cost_per_day")
#: Market fields the Compare page sets itself (its "users" box), not the market panel.
PAGE_FIELDS = ("population.n_users",)


def _fields(section: str) -> list[str]:
    model = Scenario.model_fields[section].annotation
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return [f"{section}.{name}" for name in model.model_fields]


#: Every shared market field (dotted path), in schema order.
MARKET_FIELDS: tuple[str, ...] = tuple(
    [p for s in MARKET_SECTIONS for p in _fields(s) if p not in PAGE_FIELDS]
    + [f"touchpoints.{n}" for n in TOUCHPOINT_MARKET_FIELDS])


def _get(sc: Scenario, path: str) -> Any:
    obj: Any = sc
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj.value if hasattr(obj, "value") and not isinstance(obj, int | float | bool) else obj


def defaults() -> dict[str, Any]:
    """The shipped default of every market field (the schema's defaults)."""
    base = Scenario()
    return {p: _get(base, p) for p in MARKET_FIELDS}


def market_overrides(values: Mapping[str, Any]) -> dict[str, Any]:
    """The market values that differ from the shipped defaults, as ``--set``-style overrides.

    Args:
        values: Dotted market path → value (e.g. the market panel's widgets).

    Returns:
        Path → value for the paths whose value differs from the default, in schema order.

    Raises:
        ScenarioError: A path that is not a market field (one line naming it).
    """
    bad = [p for p in values if p not in MARKET_FIELDS]
    if bad:
        raise ScenarioError(f"market setting {bad[0]!r} is not a market field "
                            f"(market sections: {', '.join(MARKET_SECTIONS)} and touchpoints."
                            f"{{{','.join(TOUCHPOINT_MARKET_FIELDS)}}})")
    base = defaults()
    return {p: values[p] for p in MARKET_FIELDS if p in values and values[p] != base[p]}


def apply_market(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """``scenario`` with the market ``overrides`` applied (its strategy and rules untouched).

    Returns the same object when there is nothing to apply (so caches keep their keys).
    """
    if not overrides:
        return scenario
    market_overrides(overrides)  # refuses non-market paths
    return scenario.with_overrides(dict(overrides))


def own_market_values(scenario: Scenario) -> dict[str, Any]:
    """Market fields a scenario file itself sets away from the defaults (the panel would override them)."""
    base = defaults()
    return {p: v for p in MARKET_FIELDS if (v := _get(scenario, p)) != base[p]}


def differences(overrides: Mapping[str, Any]) -> pd.DataFrame:
    """One row per overridden market field: ``field`` (dotted path), ``unit``, ``default``, ``value``."""
    base = defaults()
    rows = []
    for path, value in overrides.items():
        section, name = path.split(".", 1)
        info = Scenario.model_fields[section].annotation.model_fields[name]  # type: ignore[union-attr]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        rows.append({"field": path, "unit": str(extra.get("unit", "")), "default": base[path], "value": value})
    return pd.DataFrame(rows, columns=["field", "unit", "default", "value"])
