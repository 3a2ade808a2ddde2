"""Session state of the dashboard: the scenario library, the comparison settings, defaults.

The library is the shipped scenarios (loaded once per server process) plus the scenarios a
user saved or uploaded in this browser session; those live in ``st.session_state`` under
:data:`USER_KEY` and are never dropped or overwritten during the session (a clashing name
gets a numbered suffix). The comparison settings are widget values (keys ``cmp.*``) kept
with ``persist_state="session"`` so they survive page switches; :func:`settings` reads them
with the defaults below, which are tuned so the first comparison appears within seconds.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

import streamlit as st

from sim import Scenario, ScenarioError, list_scenarios, load_scenario

from . import runs

__all__ = [
    "DEFAULTS",
    "DEFAULT_SCENARIOS",
    "USER_KEY",
    "add_scenario",
    "init",
    "is_default",
    "library",
    "origin",
    "restore_choices",
    "results",
    "scenario",
    "set_choice",
    "settings",
    "shipped",
]

#: Scenarios compared on the first visit, and the first baseline.
DEFAULT_SCENARIOS = ["public_only", "rebate_led", "content_led"]



def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


#: Default widget values (session-state key → value). 20,000 users (the schema's own default
#: market) is where private pools' fixed costs are carried, so the first view is meaningful;
#: 5 seeds (the CLI's and the README's default too, so the numbers agree) × 3 scenarios × 365
#: days simulate in about 4–5 s on 2 cores (benchmarks/bench_dashboard.py).
#: The first comparison's size can be set
#: at launch with SIYU_DASHBOARD_USERS / _DAYS / _SEEDS (the browser test uses a small one);
#: AppTest tests shrink it through session state.
DEFAULTS: dict[str, Any] = {
    "lang": "en",
    "cmp.scenarios": list(DEFAULT_SCENARIOS),
    "cmp.n_users": _env_int("SIYU_DASHBOARD_USERS", 20_000),
    "cmp.horizon": _env_int("SIYU_DASHBOARD_DAYS", 365),
    "cmp.seeds": _env_int("SIYU_DASHBOARD_SEEDS", 5),
}

USER_KEY = "lib.user"        # name -> Scenario saved or uploaded in this session
ORIGIN_KEY = "lib.origin"    # name -> "edited" | "uploaded"
RESULTS_KEY = "cmp.results"  # the last runs.Comparison


@st.cache_resource(show_spinner=False)
def _load_shipped() -> tuple[dict[str, Scenario], dict[str, str]]:
    good: dict[str, Scenario] = {}
    bad: dict[str, str] = {}
    for name in list_scenarios():
        try:
            good[name] = load_scenario(name)
        except ScenarioError as err:  # a broken shipped file must not take the app down
            bad[name] = str(err)
    return good, bad


def shipped() -> dict[str, Scenario]:
    """The shipped scenarios that load (name → Scenario), shared by all sessions."""
    return _load_shipped()[0]


def shipped_errors() -> dict[str, str]:
    """Shipped scenarios that failed to load (name → one-line error)."""
    return _load_shipped()[1]


def init(state: MutableMapping[str, Any] | None = None) -> None:
    """Fill missing session keys with their defaults (never overwrites a user's value)."""
    state = st.session_state if state is None else state
    for key, value in DEFAULTS.items():
        if key not in state:
            state[key] = list(value) if isinstance(value, list) else value
    state.setdefault(USER_KEY, {})
    state.setdefault(ORIGIN_KEY, {})
    available = set(library(state))
    chosen = [n for n in state["cmp.scenarios"] if n in available]
    if chosen != list(state["cmp.scenarios"]):
        set_choice("cmp.scenarios", chosen, state)


def library(state: MutableMapping[str, Any] | None = None) -> dict[str, Scenario]:
    """Every scenario a user can pick: shipped first, then saved/uploaded ones (name → Scenario)."""
    state = st.session_state if state is None else state
    return {**shipped(), **state.get(USER_KEY, {})}


def scenario(name: str) -> Scenario:
    """The library scenario called ``name`` (ScenarioError if there is none)."""
    lib = library()
    if name not in lib:
        raise ScenarioError(f"scenario {name!r} is not in this session's library")
    return lib[name]


def origin(name: str) -> str:
    """Where a library scenario came from: ``"shipped"``, ``"edited"`` or ``"uploaded"``."""
    return st.session_state.get(ORIGIN_KEY, {}).get(name, "shipped")


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``… if it is already taken."""
    name = (name or "scenario").strip()[:70] or "scenario"
    if name not in taken:
        return name
    i = 2
    while f"{name}-{i}" in taken:
        i += 1
    return f"{name}-{i}"


def add_scenario(scn: Scenario, how: str, state: MutableMapping[str, Any] | None = None) -> str:
    """Add a scenario to the session library under a fresh name; returns the name used.

    The scenario's own ``name`` field is set to that name so downloads match what is shown.
    Nothing is ever overwritten: a clash gets a numbered suffix. If the comparison has room
    (fewer than 6), the new scenario is added to it.
    """
    state = st.session_state if state is None else state
    state.setdefault(USER_KEY, {})
    state.setdefault(ORIGIN_KEY, {})
    name = unique_name(scn.name, set(library(state)))
    if scn.name != name:
        scn = scn.with_overrides({"name": name})
    state[USER_KEY] = {**state[USER_KEY], name: scn}
    state[ORIGIN_KEY] = {**state[ORIGIN_KEY], name: how}
    chosen = list(state.get("cmp.scenarios", []))
    if name not in chosen and len(chosen) < 6:
        set_choice("cmp.scenarios", [*chosen, name], state)
    return name


CHOICES_KEY = "_choices"  # widget key -> last chosen value of widgets with translated option labels


def set_choice(key: str, value: Any, state: MutableMapping[str, Any] | None = None) -> None:
    """Set a choice widget's value from code (and remember it for the next language switch)."""
    state = st.session_state if state is None else state
    state[key] = value
    memory = state.get(CHOICES_KEY)
    if memory is None:
        memory = state[CHOICES_KEY] = {}
    memory[key] = list(value) if isinstance(value, list) else value


def restore_choices(state: MutableMapping[str, Any] | None = None) -> None:
    """After a language switch, put back every remembered choice (the browser sent old labels)."""
    state = st.session_state if state is None else state
    for key, value in dict(state.get(CHOICES_KEY, {})).items():
        state[key] = list(value) if isinstance(value, list) else value


def settings() -> tuple[int, int, int]:
    """The comparison's (population, horizon, number of seeds) from the Compare widgets."""
    s = st.session_state
    return (int(s.get("cmp.n_users", DEFAULTS["cmp.n_users"])),
            int(s.get("cmp.horizon", DEFAULTS["cmp.horizon"])),
            int(s.get("cmp.seeds", DEFAULTS["cmp.seeds"])))


def is_default(names: list[str] | tuple[str, ...], n_users: int, horizon: int, n_seeds: int) -> bool:
    """True for the first comparison a visitor sees (the :data:`DEFAULTS`), which is kept in the results store."""
    return (list(names) == list(DEFAULTS["cmp.scenarios"]) and int(n_users) == DEFAULTS["cmp.n_users"]
            and int(horizon) == DEFAULTS["cmp.horizon"] and int(n_seeds) == DEFAULTS["cmp.seeds"])


def results() -> runs.Comparison | None:
    """The last comparison run in this session, if any."""
    return st.session_state.get(RESULTS_KEY)


def set_results(comparison: runs.Comparison) -> None:
    """Remember the comparison just run (other pages read it)."""
    st.session_state[RESULTS_KEY] = comparison
