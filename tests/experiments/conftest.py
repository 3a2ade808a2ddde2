"""Fixtures of the experiment-layer tests: a tiny base scenario and a small grid."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import sim
from sim.experiments import grid


@pytest.fixture(scope="session")
def tiny() -> sim.Scenario:
    """A scenario whose runs take a few hundredths of a second."""
    return sim.load_scenario("content_led").with_overrides({"population.n_users": 1000, "horizon_days": 30})


@pytest.fixture(scope="session")
def small_grid():
    """Three points over one lever, in a fixed order."""
    return grid({"strategy.ad_posts_per_day": [0.5, 2.0, 6.0]})


@pytest.fixture
def runner() -> CliRunner:
    """A CLI runner with a wide terminal, so tables do not wrap."""
    return CliRunner(env={"COLUMNS": "250"})
