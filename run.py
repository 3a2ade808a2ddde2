#!/usr/bin/env python3
"""Set up Siyu in a local virtual environment, then open the dashboard or run the tests.

Usage (from the repository root, with only Python >= 3.11 installed):

    python3 run.py dashboard     # create .venv if needed, install, open the dashboard
    python3 run.py test          # create .venv if needed, install, run ruff and the test suite
    python3 run.py siyu ARGS...  # any `siyu` CLI command inside the environment

The environment is reinstalled only when pyproject.toml changes. Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".siyu-installed"


def _say(msg: str) -> None:
    print(f"[siyu] {msg}", flush=True)


def ensure_env() -> None:
    """Create the virtual environment and install the project (with dev extras) if stale."""
    if sys.version_info < (3, 11):  # noqa: UP036 (run.py is run by whatever python3 the user has)
        sys.exit(f"[siyu] Python >= 3.11 is required (this is {sys.version.split()[0]}).")
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PY.exists() and STAMP.exists() and STAMP.read_text().strip() == want:
        return
    if not PY.exists():
        _say(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    _say("installing Siyu and its dependencies (first run takes a minute or two)")
    _quiet([str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--upgrade", "pip"])
    _quiet([str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", f"{ROOT}[dev]"])
    _say("compiling the model's per-user rules (once)")
    _quiet([str(PY), "-c", "import sim.runner; sim.runner.warm_up()"])
    STAMP.write_text(want)


def _quiet(cmd: list[str]) -> None:
    """Run a set-up step, showing its output only if it fails (no build-tool banners)."""
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if done.returncode:
        sys.stdout.write(done.stdout)
        sys.exit(f"[siyu] set-up step failed (exit {done.returncode}): {' '.join(cmd[1:4])} ...")


def _become(cmd: list[str]) -> int:
    """Replace this process by ``cmd`` (POSIX), so Ctrl-C or SIGTERM to this pid reach it directly.

    ``siyu dashboard`` then forwards them to the Streamlit server it started, so ending
    ``python3 run.py dashboard`` ends the server. Elsewhere the command runs as a child.
    """
    sys.stdout.flush()
    if os.name == "posix":
        os.execv(cmd[0], cmd)
    return subprocess.call(cmd)


def main(argv: list[str]) -> int:
    """Dispatch `dashboard`, `test` or `siyu ...` after making sure the environment exists."""
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd not in {"dashboard", "test", "siyu"}:
        print(f"[siyu] unknown command {cmd!r}; use dashboard, test or siyu", file=sys.stderr)
        return 2
    ensure_env()
    os.chdir(ROOT)
    if cmd == "dashboard":
        return _become([str(BIN / "siyu"), "dashboard", *rest])
    if cmd == "siyu":
        return _become([str(BIN / "siyu"), *rest])
    rc = subprocess.call([str(PY), "-m", "ruff", "check", "-q", "sim", "dashboard", "tests", "benchmarks"])
    if rc:
        return rc
    # addopts -q (pyproject.toml): one start line ("bringing up nodes..."), the dots, the summary line
    return _become([str(PY), "-m", "pytest", "-n", "2", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
