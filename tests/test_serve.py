"""Server defaults of ``siyu dashboard`` and ``run.py``: loopback, no Deploy, signals reach the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from siyu_harness import ROOT, free_port, served
from typer.testing import CliRunner

from sim.cli import app
from sim.cli import dashboard as dash
from sim.cli.serve import is_loopback, run_child


def test_loopback_hosts():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_dashboard_command_defaults_and_host_warning(monkeypatch):
    seen: list[list[str]] = []
    monkeypatch.setattr(dash, "run_child", lambda cmd: seen.append(cmd) or 0)
    runner = CliRunner()
    result = runner.invoke(app, ["dashboard", "--headless", "--port", "8599"])
    assert result.exit_code == 0, result.output
    cmd = seen[-1]
    flags = dict(zip(cmd[::2], cmd[1::2], strict=False)) | dict(zip(cmd[1::2], cmd[2::2], strict=False))
    assert flags["--server.address"] == "127.0.0.1"
    assert flags["--client.toolbarMode"] == "minimal" and flags["--browser.gatherUsageStats"] == "false"
    assert "warning" not in result.stderr
    result = runner.invoke(app, ["dashboard", "--headless", "--host", "0.0.0.0"])
    assert result.exit_code == 0 and seen[-1][seen[-1].index("--server.address") + 1] == "0.0.0.0"
    assert result.stderr.startswith("warning: serving on 0.0.0.0") and len(result.stderr.splitlines()) == 1
    bad = runner.invoke(app, ["dashboard", "--host", "a b"])
    assert bad.exit_code == 2 and "--host" in bad.stderr


def test_run_child_forwards_sigterm(tmp_path):
    marker = tmp_path / "child.pid"
    child = f"import os,time; open({str(marker)!r},'w').write(str(os.getpid())); time.sleep(60)"
    parent = subprocess.Popen([sys.executable, "-c",
                               "import sys; from sim.cli.serve import run_child; "
                               f"sys.exit(run_child([sys.executable, '-c', {child!r}]))"],
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 30
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline and parent.poll() is None
        time.sleep(0.05)
    pid = int(marker.read_text())
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=15) == 128 + signal.SIGTERM
    time.sleep(0.2)
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    assert run_child([sys.executable, "-c", "raise SystemExit(3)"]) == 3


def test_sigterm_to_run_py_dashboard_ends_the_server():
    """``python3 run.py dashboard``, then SIGTERM to its pid: the Streamlit server is gone too."""
    port = free_port()
    bin_dir = Path(sys.executable).parent
    code = ("import sys, pathlib, run; run.ensure_env = lambda: None; "
            f"run.BIN = pathlib.Path({str(bin_dir)!r}); "
            f"sys.exit(run.main(['dashboard', '--headless', '--port', '{port}']))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SIYU_DASHBOARD_USERS": "300", "SIYU_DASHBOARD_DAYS": "30",
           "SIYU_DASHBOARD_SEEDS": "1"}
    with served([sys.executable, "-c", code], port, env) as proc:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        out = proc.stdout.read() if proc.stdout else ""
        with socket.socket() as s:  # nothing listens on the port any more
            assert s.connect_ex(("127.0.0.1", port)) != 0
        assert f"URL: http://127.0.0.1:{port}" in out
        assert "Network URL" not in out and "External URL" not in out


def test_a_missing_browser_skips_with_the_reason_and_fails_under_ci(monkeypatch, tmp_path):
    import pytest
    import siyu_harness

    monkeypatch.setattr(siyu_harness, "CHROMIUM", str(tmp_path / "chromium"))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("SIYU_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"chromium is missing \(install Debian's chromium: apt-get"):
        siyu_harness.require_chromium()
    for var, value in (("CI", "true"), ("SIYU_REQUIRE_BROWSER", "1")):
        with monkeypatch.context() as m:
            m.setenv(var, value)
            with pytest.raises(pytest.fail.Exception, match=r"the browser is required here .*chromium is missing"):
                siyu_harness.require_chromium()


def test_a_server_that_ends_at_once_fails_the_test_with_its_output():
    import pytest

    with pytest.raises(pytest.fail.Exception, match=r"did not start .*exit code 4.*boom"), \
            served([sys.executable, "-c", "print('boom'); raise SystemExit(4)"], free_port(), os.environ):
        pass
