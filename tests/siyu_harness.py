"""A tiny, quiet model for tests that set users up by hand and run one part of the day.

``tiny()`` is a scenario where nothing happens unless a test asks for it: no public exposure,
no background churn, no failures, a well-mixed network; ``joined()`` builds its model with
users admitted by hand (trust, group, fatigue chosen by the test). Small enough for the
mutation runs, which execute the rules as pure Python.
"""

from __future__ import annotations

import numpy as np

from sim.mechanisms.day import Day, Ledger
from sim.model import SiyuModel
from sim.population import Source
from sim.scenario import Scenario

QUIET = {
    "population.n_users": 400, "horizon_days": 30, "network.kind": "well_mixed",
    "public.ad_reach_per_day": 0.0, "public.organic_reach_per_day": 0.0,
    "fatigue.base_churn_per_year": 0.0, "fulfilment.failure_rate": 0.0,
    "touchpoints.group_share": 0.0, "referral.share_rate": 0.0,
}


def tiny(**overrides) -> Scenario:
    """The quiet scenario with dotted overrides given as keywords (``fatigue__mute_rate=1``)."""
    return Scenario().with_overrides({**QUIET, **{k.replace("__", "."): v for k, v in overrides.items()}})


def joined(sc: Scenario, k: int, trust: float | None = None, seed: int = 0, source: Source = Source.GIFT) -> SiyuModel:
    """A model of ``sc`` whose users ``0..k-1`` joined on day 0 (optionally all with ``trust``)."""
    m = SiyuModel(sc, seed=seed)
    m.day, m.ledger = Day(t=0), Ledger()
    m.touchpoints.admit(np.arange(k, dtype=np.int64), source, None)
    if trust is not None:
        m.pop.trust[:k] = trust
    m.ledger = Ledger()
    return m


def new_day(m: SiyuModel, t: int, **day) -> Day:
    """Start day ``t`` by hand (a fresh ledger; the plan's fields given as keywords)."""
    m.t = t
    m.day = Day(t=t, **day)
    m.ledger = Ledger()
    return m.day
