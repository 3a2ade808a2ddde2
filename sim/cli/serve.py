"""Running a child server process so that ending the parent ends the child (for ``siyu dashboard``).

``python3 run.py dashboard`` starts ``siyu dashboard``, which starts Streamlit. Ctrl-C reaches
every process of the terminal's group, but a SIGTERM sent to the outer pid alone would leave
the server running; :func:`run_child` therefore forwards SIGTERM (and SIGINT/SIGHUP) to the
child, waits for it and returns its exit code. Standard library only.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Sequence
from typing import Any

__all__ = ["LOOPBACK", "is_loopback", "run_child"]

#: Host names that only this machine can reach.
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    return host in LOOPBACK or host.startswith("127.")


def run_child(cmd: Sequence[str], grace: float = 10.0) -> int:
    """Run ``cmd``; forward SIGTERM/SIGINT/SIGHUP to it, and return its exit code once it ended.

    If the child does not end within ``grace`` seconds of a forwarded signal it is killed.
    """
    proc = subprocess.Popen(list(cmd))
    received: list[int] = []

    def forward(signum: int, _frame: Any) -> None:
        received.append(signum)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM if signum == getattr(signal, "SIGHUP", -1) else signum)

    wanted = [signal.SIGTERM, signal.SIGINT] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {s: signal.signal(s, forward) for s in wanted}
    try:
        while True:
            try:
                code = proc.wait(timeout=grace if received else None)
                break
            except subprocess.TimeoutExpired:
                proc.kill()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if received and code < 0:
        return 128 + received[0]
    return code
