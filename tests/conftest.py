"""Shared fixtures: small, fast scenarios and cached ensembles for the model tests."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterator

import pytest
from siyu_harness import ROOT, free_port, require_chromium, served

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


@pytest.fixture(autouse=True)
def _no_kept_set_ups():
    """Each test starts with no set-ups kept from another (``sim.runner.SETUPS``), so it counts its own draws."""
    from sim.runner import SETUPS

    SETUPS.clear()
    yield


@pytest.fixture(autouse=True, scope="session")
def _results_store(tmp_path_factory):
    """Keep the results store that `siyu run`, `compare` and `sweep` record into out of the repository."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SIYU_STORE", str(tmp_path_factory.mktemp("store")))
        yield


@pytest.fixture(scope="session")
def dashboard_server() -> Iterator[str]:
    """The dashboard served on a free port of 127.0.0.1 for the browser tests, with a small first comparison.

    Skipped with the reason where Debian's Chromium or Playwright is missing (a failure under
    CI); the server's log goes to ``artifacts/dashboard_server.log`` when that folder exists.
    """
    require_chromium()
    pytest.importorskip("playwright.sync_api")
    port = free_port()
    env = {**os.environ, "SIYU_DASHBOARD_USERS": "1000", "SIYU_DASHBOARD_DAYS": "120",
           "SIYU_DASHBOARD_SEEDS": "2", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
           "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    log_path = ROOT / "artifacts" / "dashboard_server.log"
    with open(log_path if log_path.parent.is_dir() else os.devnull, "w") as log, served(cmd, port, env, stdout=log):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """Put the real ``__main__`` back after each test.

    ``AppTest`` leaves ``sys.modules["__main__"]`` pointing at its temporary copy of the page
    script; a process started later by *spawn* in the same test worker (a Dask LocalCluster's
    nanny) re-runs ``__main__`` from that path and dies ("Nanny failed to start").
    """
    main = sys.modules.get("__main__")
    yield
    if main is not None and sys.modules.get("__main__") is not main:
        sys.modules["__main__"] = main
