"""Named benchmark settings: population sizes and the scenarios timed by ``bench_model.py``.

Sizes are the population sizes of the performance goals (docs/PERFORMANCE.md): ``small``
(10k users), ``medium`` (100k) and ``large`` (1M), each simulated for a full year. Scenarios are
shipped ones: ``content_led`` and ``hybrid_referral`` (the heaviest: referral cascades over the
scale-free network, group-buys, campaigns) and ``public_only`` (the platform-only baseline,
which exercises acquisition alone). ``DASHBOARD`` is the per-run setting of the dashboard's
comparison (6 scenarios × 10 seeds × 20,000 users × 365 days).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Population sizes by name.
SIZES: dict[str, int] = {
    "small": 10_000,
    "medium": 100_000,
    "large": 1_000_000,
}

#: Days simulated in every benchmark run.
HORIZON_DAYS = 365

#: Scenarios benchmarked, heaviest first.
SCENARIOS: tuple[str, ...] = ("hybrid_referral", "content_led", "public_only")

#: Scenario used when none is named.
DEFAULT_SCENARIO = "hybrid_referral"


@dataclass(frozen=True)
class Config:
    """One benchmark configuration: a shipped scenario at a population size."""

    scenario: str
    n_users: int
    horizon_days: int = HORIZON_DAYS
    seed: int = 1

    def overrides(self) -> dict[str, int]:
        """Dotted-path overrides applied to the shipped scenario."""
        return {"population.n_users": self.n_users, "horizon_days": self.horizon_days}


#: The dashboard's per-run setting (one of 6 scenarios × 10 seeds).
DASHBOARD = Config(scenario="hybrid_referral", n_users=20_000)


def size_of(name_or_number: str) -> int:
    """Population size for a size name (``small``…) or a number such as ``100000`` or ``1e6``."""
    key = name_or_number.strip().lower()
    if key in SIZES:
        return SIZES[key]
    return int(float(key.replace("_", "")))
