"""A tiny, quiet model for tests that set users up by hand and run one part of the day.

``tiny()`` is a scenario where nothing happens unless a test asks for it: no public exposure,
no background churn, no failures, a well-mixed network; ``joined()`` builds its model with
users admitted by hand (trust, group, fatigue chosen by the test). Small enough for the
mutation runs, which execute the rules as pure Python.

Also the served dashboard's pieces: :func:`free_port`, :func:`served` (start a server
command, wait until Streamlit's health check answers, end it afterwards) and
:func:`require_chromium` (Debian's Chromium, or a skip with the reason, or under CI a failure).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pytest

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


def each(rule):
    """A per-user rule applied element by element to arrays (the rules take one user's numbers)."""
    return np.vectorize(rule, otypes=[float])


def new_day(m: SiyuModel, t: int, **day) -> Day:
    """Start day ``t`` by hand (a fresh ledger; the plan's fields given as keywords)."""
    m.t = t
    m.day = Day(t=t, **day)
    m.ledger = Ledger()
    return m.day


ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def browser_required() -> bool:
    """True under CI (``CI=true``, or ``SIYU_REQUIRE_BROWSER=1`` as ``.ci/run`` sets): a missing browser fails."""
    return os.environ.get("CI", "").lower() in ("true", "1") or os.environ.get("SIYU_REQUIRE_BROWSER") == "1"


def require_chromium() -> str:
    """Debian's Chromium (:data:`CHROMIUM`); skip the test with how to install it where it is missing, fail under CI."""
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing (install Debian's chromium: apt-get install -y chromium)"
        if browser_required():
            pytest.fail(f"the browser is required here (CI=true or SIYU_REQUIRE_BROWSER=1) but {reason}")
        pytest.skip(reason)
    return CHROMIUM


def free_port() -> int:
    """A TCP port of 127.0.0.1 free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(cmd: Sequence[str], port: int, env: Mapping[str, str], stdout: int | IO[Any] = subprocess.PIPE,
           timeout: float = 90.0) -> Iterator[subprocess.Popen]:
    """Run the server command ``cmd`` in the repository; yield its process once ``/_stcore/health`` answers ok.

    The test fails (with the exit code and, with ``stdout`` a pipe, the server's output) if
    the server ends or is not healthy within ``timeout`` seconds. Afterwards a server still
    running is terminated (killed after 15 s).
    """
    proc = subprocess.Popen(list(cmd), cwd=ROOT, env=dict(env), stdout=stdout, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                code = proc.poll()
                if code is None:
                    proc.kill()
                out = proc.communicate(timeout=15)[0] if stdout == subprocess.PIPE else ""
                pytest.fail(f"the dashboard server did not start within {timeout:.0f} s (exit code {code})"
                            + (f": {out[-2000:]}" if out else ""))
            time.sleep(0.3)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
