"""Shared fixtures: small, fast scenarios and cached ensembles for the model tests."""

from __future__ import annotations

import functools

import pytest

import sim

SMALL = {"population.n_users": 4000, "horizon_days": 180}


@functools.lru_cache(maxsize=64)
def _ensemble(name: str, overrides: tuple, seeds: tuple[int, ...]) -> sim.Ensemble:
    scenario = sim.load_scenario(name).with_overrides(dict(overrides))
    return sim.simulate_many(scenario, list(seeds), workers=1)


def ensemble(name: str, seeds=(0, 1, 2), **overrides) -> sim.Ensemble:
    """A cached ensemble of a shipped scenario with dotted overrides (as keyword dict)."""
    return _ensemble(name, tuple(sorted(overrides.items(), key=lambda kv: kv[0])), tuple(seeds))


@pytest.fixture
def small_scenario() -> sim.Scenario:
    return sim.load_scenario("hybrid_referral").with_overrides(SMALL)


@pytest.fixture(autouse=True, scope="session")
def _results_store(tmp_path_factory):
    """Keep the results store that `siyu run`, `compare` and `sweep` record into out of the repository."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SIYU_STORE", str(tmp_path_factory.mktemp("store")))
        yield
