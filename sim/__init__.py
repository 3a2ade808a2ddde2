"""Siyu (私域): an agent-based simulator of private-domain traffic.

Public API (other code and users build on these names):

- :func:`load_scenario` — a shipped scenario by name, or a YAML file, validated.
- :meth:`Scenario.with_overrides` — a validated copy with dotted-path overrides.
- :func:`simulate` — one replicate → :class:`RunResult` (``daily``, ``summary``, ``users``, ``trace``).
- :func:`simulate_many` — several seeds → :class:`Ensemble` (bands and per-seed KPIs).
"""

from sim.errors import ScenarioError
from sim.loader import list_scenarios, load_scenario, parse_scenario_text
from sim.results import (
    COST_COLUMNS,
    DAILY_COLUMNS,
    KPI_INFO,
    LEAVE_COLUMNS,
    STAGE_COLUMNS,
    Ensemble,
    RunResult,
    compare_table,
    prob_beats,
)
from sim.runner import simulate, simulate_many
from sim.scenario import Scenario

__all__ = [
    "COST_COLUMNS",
    "DAILY_COLUMNS",
    "KPI_INFO",
    "LEAVE_COLUMNS",
    "STAGE_COLUMNS",
    "Ensemble",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "compare_table",
    "list_scenarios",
    "load_scenario",
    "parse_scenario_text",
    "prob_beats",
    "simulate",
    "simulate_many",
]
