"""The Learn page's demos: one small, live experiment per mechanism of DOMAIN.md.

Each :class:`Demo` says which shipped scenarios it runs, with which overrides, and whether it
compares variants over time (``variants``) or sweeps one parameter (``sweep``); the referral
demo also runs the referral mechanism on its own against the epidemic-threshold theory
(:func:`threshold_scenarios`, :func:`threshold_table`, :func:`threshold_curve`, from
``sim.theory``) and compares seeding by influence with random seeding
(:func:`seeding_variants`). What to tell students about each demo is the text
``teach.<topic>`` (``dashboard/locales/*/teach.yaml``). The demos run
on a small market (:data:`DEMO_SIZE`, overridable through session state) so they finish in
seconds; results come from the shared run cache. Nothing here imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim import Ensemble, Scenario, ScenarioError, theory

from . import runs

__all__ = ["DEMO_SIZE", "DEMOS", "THRESHOLD_R", "TOPICS", "Demo", "seeding_variants", "sweep_table",
           "threshold_curve", "threshold_scenarios", "threshold_table", "variants"]

#: Default demo market: users, days, seeds (session keys learn.n_users / learn.horizon / learn.seeds).
DEMO_SIZE = {"n_users": 10_000, "horizon": 365, "seeds": 2}


@dataclass(frozen=True)
class Demo:
    """One mechanism's live demo.

    Attributes:
        topic: Key of the mechanism (texts are ``learn.<topic>`` and ``learn.<topic>.text``).
        scenarios: Shipped scenarios it runs (variants over time) or its base (sweep).
        param: Dotted path of the parameter a slider changes (or swept), if any.
        lo: Slider minimum.
        hi: Slider maximum (``None``: the demo horizon).
        default: Slider default (``None``: half the demo horizon).
        step: Slider step.
        sweep: Values of ``param`` for a sweep demo (empty for a variants demo).
        kpis: KPIs plotted against a swept parameter.
    """

    topic: str
    scenarios: tuple[str, ...]
    param: str | None = None
    lo: float = 0.0
    hi: float | None = None
    default: float | None = None
    step: float = 1.0
    sweep: tuple[float, ...] = ()
    kpis: tuple[str, ...] = field(default_factory=tuple)


DEMOS: dict[str, Demo] = {d.topic: d for d in [
    Demo("pools", ("public_only", "content_led"), "public.cost_growth_per_year", 0.0, 2.0, 0.3, 0.1),
    Demo("ladder", ("content_led",)),
    Demo("trust", ("content_led",), "strategy.ad_posts_per_day", 0.5, 10.0, 3.0, 0.5),
    Demo("spam", ("content_led",), "strategy.ad_posts_per_day", sweep=(0, 1, 2, 4, 8, 16),
         kpis=("churn_rate", "mutes_total")),
    Demo("rebate", ("rebate_led", "content_led"), "strategy.rebate_end_day", 30, None, None, 10),
    Demo("cascade", ("hybrid_referral",), "strategy.seeding"),
    Demo("cadence", ("content_led",), "strategy.welfare_events_per_week", sweep=(0, 1, 3, 5, 7),
         kpis=("gmv_total", "cum_profit")),
    Demo("shocks", ("public_only", "content_led"), "shocks.days", 10, None, 60, 10),
]}

#: Topics in teaching order (the order of DOMAIN.md).
TOPICS = list(DEMOS)

#: Mean referrals per joiner (T × k) swept by the referral-threshold demo.
THRESHOLD_R = (0.25, 0.5, 0.75, 0.9, 1.1, 1.25, 1.5, 2.0, 2.5, 3.0)
#: Mean degree of the threshold demo's random network.
THRESHOLD_DEGREE = 10.0


def _sized(lib: Mapping[str, Scenario], name: str, n_users: int, horizon: int) -> Scenario:
    if name not in lib:
        raise ScenarioError(f"the demo needs the shipped scenario {name!r}, which is missing")
    return runs.sized(lib[name], n_users, horizon)


def variants(demo: Demo, lib: Mapping[str, Scenario], n_users: int, horizon: int,
             value: float | None = None, labels: Mapping[str, str] | None = None) -> dict[str, Scenario]:
    """The scenarios a variants demo runs (display name → scenario), with the slider ``value``.

    Args:
        demo: The demo.
        lib: Scenario library (shipped scenarios at least).
        n_users: Demo population.
        horizon: Demo horizon in days.
        value: Slider value for ``demo.param``.
        labels: Texts for variant names that are not scenario names (``content``, ``hard``).

    Returns:
        Display name → sized scenario.
    """
    labels = labels or {}
    if demo.topic == "cascade":
        return seeding_variants(lib, n_users, horizon, labels)
    if demo.topic == "trust":
        base = _sized(lib, demo.scenarios[0], n_users, horizon)
        ads = float(value if value is not None else demo.default or 3.0)
        return {
            labels.get("content", "content"): base.with_overrides(
                {"strategy.content_posts_per_day": 1.0, "strategy.ad_posts_per_day": 0.0}),
            labels.get("hard", "hard sell"): base.with_overrides(
                {"strategy.content_posts_per_day": 0.0, "strategy.ad_posts_per_day": ads,
                 "strategy.ads_targeted": False}),
        }
    out = {}
    for name in demo.scenarios:
        scn = _sized(lib, name, n_users, horizon)
        if demo.topic == "pools" and value is not None:
            scn = scn.with_overrides({"public.cost_growth_per_year": float(value)})
        elif demo.topic == "rebate" and value is not None and name == "rebate_led":
            scn = scn.with_overrides({"strategy.rebate_end_day": int(value)})
        elif demo.topic == "shocks":
            days = int(value if value is not None else 60)
            start = max(0, horizon // 3)
            scn = scn.with_overrides({"shocks": [{"start_day": start, "days": max(1, min(days, horizon - start)),
                                                   "public_closed": True, "demand_multiplier": 1.0}]})
        out[name] = scn
    return out


def sweep_scenarios(demo: Demo, lib: Mapping[str, Scenario], n_users: int, horizon: int) -> dict[str, Scenario]:
    """The scenarios of a sweep demo, one per swept value (name ``"<param>=<value>"``)."""
    base = _sized(lib, demo.scenarios[0], n_users, horizon)
    return {f"{demo.param}={v:g}": base.with_overrides({demo.param: v}) for v in demo.sweep}


def sweep_table(demo: Demo, ensembles: Mapping[str, Ensemble]) -> pd.DataFrame:
    """One row per (swept value, seed) with the demo's KPIs, from :func:`sweep_scenarios` runs."""
    rows: list[dict[str, Any]] = []
    for name, ens in ensembles.items():
        value = float(name.split("=", 1)[1])
        s = ens.summaries
        for seed in s.index:
            rows.append({"value": value, "seed": seed, **{k: float(s.loc[seed, k]) for k in demo.kpis}})
    return pd.DataFrame(rows)


# --- referral cascades: the threshold (isolated mechanism) and seeding -------------------------
def threshold_scenarios(n_users: int, horizon: int, rs: tuple[float, ...] = THRESHOLD_R) -> dict[str, Scenario]:
    """The threshold demo's runs: the referral mechanism isolated (``sim.theory.isolated_referral``), one per ``T × k``.

    At least five seed users are brought in on day 0 (0.2 % of the market, more in a tiny one).
    """
    seed_share = min(0.5, max(0.002, 5.0 / n_users))
    return {f"r={r:g}": theory.isolated_referral(n_users, r=r, mean_degree=THRESHOLD_DEGREE,
                                                 seed_share=seed_share, horizon=horizon) for r in rs}


def threshold_table(ensembles: Mapping[str, Ensemble]) -> pd.DataFrame:
    """One row per (run, seed) of the threshold demo.

    Columns: ``r`` = the model's ``T × k`` (``sim.theory.transmissibility``), ``reached`` = share
    of users who joined by referral, ``seeded`` = share brought in from outside.
    """
    rows: list[dict[str, Any]] = []
    for ens in ensembles.values():
        sc = ens.scenario
        r = theory.transmissibility(sc) * sc.network.mean_degree
        for seed, run in zip(ens.seeds, ens.runs, strict=True):
            d = run.daily
            ref = float(d["referral_joins"].sum())
            rows.append({"r": r, "seed": seed, "reached": ref / sc.population.n_users,
                         "seeded": (float(d["new_joins"].sum()) - ref) / sc.population.n_users})
    return pd.DataFrame(rows)


def threshold_curve(r_max: float = 3.2, points: int = 161) -> pd.DataFrame:
    """The theory: share reached ``S`` solving ``S = 1 − e^(−r S)`` for ``r`` from 0 to ``r_max``."""
    rs = np.linspace(0.0, r_max, points)
    return pd.DataFrame({"r": rs, "reached": theory.final_sizes(rs)})


def seeding_variants(lib: Mapping[str, Scenario], n_users: int, horizon: int,
                     labels: Mapping[str, str] | None = None) -> dict[str, Scenario]:
    """The shipped ``hybrid_referral`` with campaign seeds picked by influence (targeted) or at random."""
    labels = labels or {}
    base = _sized(lib, "hybrid_referral", n_users, horizon)
    return {labels.get(s, s): base.with_overrides({"strategy.seeding": s}) for s in ("targeted", "random")}
