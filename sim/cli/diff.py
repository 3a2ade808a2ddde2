"""``siyu diff A B``: the fields two scenarios set differently, side by side (name, unit, both values)."""

from __future__ import annotations

from typing import Annotated

import typer

from sim.cli.common import app, load_with, print_listing, user_errors
from sim.diff import scenario_diff


def _text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


@app.command("diff")
def diff_command(
    a: Annotated[str, typer.Argument(metavar="A", help="Shipped scenario name or YAML path.")],
    b: Annotated[str, typer.Argument(metavar="B", help="Shipped scenario name or YAML path.")],
    text: Annotated[bool, typer.Option("--text", help="Also compare name and description.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document instead of a table.")] = False,
) -> None:
    """Show every parameter two scenarios set differently: name, unit, A's and B's value."""
    with user_errors():
        sa, sb = load_with(a, {}), load_with(b, {})
    rows = scenario_diff(sa, sb, include_text=text)
    n = len(rows)
    print_listing({"a": a, "b": b, "n_differences": n, "differences": rows}, rows, json_out=json_out,
                  title=f"{n} parameter{'s' if n != 1 else ''} differ: {a} vs {b}",
                  empty=f"{a} and {b} set every parameter alike", columns=("parameter", "unit", a, b), right=(a, b),
                  cells=lambda row: (row["field"], row["unit"], _text(row["a"]), _text(row["b"])))
