"""``siyu dashboard``: serve the Streamlit dashboard (on this machine only, unless told otherwise)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from sim.cli.common import (
    IO_EXIT,
    app,
    dashboard_app_path,
    fail,
)
from sim.cli.serve import is_loopback, run_child

#: Streamlit settings every ``siyu dashboard`` uses: no "Deploy" button (toolbar "minimal"),
#: no usage statistics, no e-mail prompt, no file watcher (the shipped app does not change).
STREAMLIT_FLAGS = [
    "--client.toolbarMode", "minimal",
    "--browser.gatherUsageStats", "false",
    "--server.showEmailPrompt", "false",
    "--server.fileWatcherType", "none",
]


def streamlit_command(port: int, host: str, headless: bool) -> list[str]:
    """The ``python -m streamlit run ...`` command line of the dashboard."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(dashboard_app_path()),
           "--server.port", str(port), "--server.address", host, *STREAMLIT_FLAGS]
    if headless:
        cmd += ["--server.headless", "true"]
    return cmd


@app.command("dashboard")
def dashboard_command(
    port: Annotated[int, typer.Option("--port", help="Port to serve the dashboard on.")] = 8501,
    host: Annotated[str, typer.Option(
        "--host", help="Address to listen on (default: this machine only; 0.0.0.0 = every network).")] = "127.0.0.1",
    headless: Annotated[bool, typer.Option("--headless", help="Do not open a browser.")] = False,
) -> None:
    """Open the interactive dashboard (Streamlit), served on 127.0.0.1 unless --host says otherwise."""
    if not 1 <= port <= 65535:
        fail(f"--port must be between 1 and 65535 (got {port})")
    host = host.strip()
    if not host or any(c.isspace() for c in host):
        fail(f"--host must be an address or host name (got {host!r})")
    app_path = dashboard_app_path()
    if not app_path.is_file():
        fail(f"dashboard not found at {app_path}")
    if not is_loopback(host):
        print(f"warning: serving on {host}: anyone who can reach this machine on port {port} can use "
              "the dashboard and run simulations (there is no login)", file=sys.stderr, flush=True)
    try:
        code = run_child(streamlit_command(port, host, headless))
    except OSError as err:
        fail(f"cannot start streamlit: {err.strerror or err}", IO_EXIT)
    raise typer.Exit(code)
