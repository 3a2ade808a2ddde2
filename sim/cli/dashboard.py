"""``siyu dashboard``: serve the Streamlit dashboard."""

from __future__ import annotations

import subprocess
import sys
from typing import Annotated

import typer

from sim.cli.common import (
    IO_EXIT,
    app,
    dashboard_app_path,
    fail,
)


@app.command("dashboard")
def dashboard_command(
    port: Annotated[int, typer.Option("--port", help="Port to serve the dashboard on.")] = 8501,
    headless: Annotated[bool, typer.Option("--headless", help="Do not open a browser.")] = False,
) -> None:
    """Open the interactive dashboard (Streamlit)."""
    if not 1 <= port <= 65535:
        fail(f"--port must be between 1 and 65535 (got {port})")
    app_path = dashboard_app_path()
    if not app_path.is_file():
        fail(f"dashboard not found at {app_path}")
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_path),
           "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    if headless:
        cmd += ["--server.headless", "true"]
    try:
        code = subprocess.call(cmd)
    except KeyboardInterrupt:
        code = 130
    except OSError as err:
        fail(f"cannot start streamlit: {err.strerror or err}", IO_EXIT)
    raise typer.Exit(code)
