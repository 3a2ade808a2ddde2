"""``siyu list`` and ``siyu validate``: the shipped scenarios, and checking a scenario file."""

from __future__ import annotations

from typing import Annotated

import typer

import sim
from sim.cli.common import (
    app,
    fail,
    one_line,
    user_errors,
)


@app.command("list")
def list_command() -> None:
    """List the shipped scenarios with their one-line description."""
    names = sim.list_scenarios()
    if not names:
        fail(f"no shipped scenarios found in {sim.loader.SCENARIO_DIR}")
    width = max(len(n) for n in names)
    for name in names:
        try:
            desc = sim.load_scenario(name).description
        except sim.ScenarioError as err:
            desc = f"(invalid: {err})"
        first = next((line for line in desc.splitlines() if line.strip()), "")
        typer.echo(f"{name:<{width}}  {one_line(first)}".rstrip())


@app.command("validate")
def validate_command(
    file: Annotated[str, typer.Argument(metavar="FILE", help="Scenario YAML file (or shipped name).")],
) -> None:
    """Validate a scenario file: prints "OK: name" (and its plan phases), or the one-line error and exits 2."""
    from sim.diff import phase_text

    with user_errors():
        scenario = sim.load_scenario(file)
    typer.echo(f"OK: {scenario.name}")
    for line in phase_text(scenario):
        typer.echo(f"  phase {one_line(line)}")
