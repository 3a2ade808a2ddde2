"""Issue 13, defects 6 and 7: a writer SIGKILLed at any point never leaves a mixed result set.

A forked child writes a result set and kills itself (SIGKILL) just before its k-th
call that changes the directory tree (creating open, mkdir, link, rename, replace, exchange,
unlink, rmdir; killing just after call k leaves what killing before call k+1 does), for every
k until the write completes. After each kill the directory must hold one
complete set, the old one or the new one (byte for byte), or be reported incomplete by
``sim.io.results_status``; the hidden temporaries it left must be removed by
``clean_stale_temps``; and a normal rewrite must then succeed. Done for a fresh write and
a ``--force`` overwrite, into a directory of its own (swapped whole, so never incomplete)
and into one shared with other files (manifest last, so detectably incomplete).
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim
from sim import io as sio
from sim.cli import app

SET = ("daily.csv", "cashflow.csv", "scenario.yaml", "summary.json", "manifest.json")
COUNTED = ("open", "link", "rename", "replace", "unlink", "mkdir", "rmdir")  # what changes the tree


@pytest.fixture(scope="module")
def ensembles():
    base = sim.load_scenario("content_led").with_overrides({"population.n_users": 200})
    old = sim.simulate_many(base.with_overrides({"horizon_days": 20}), seeds=2, workers=1)
    new = sim.simulate_many(base.with_overrides({"horizon_days": 12}), seeds=2, workers=1)
    return old, new


def _snapshot(d: Path) -> dict[str, bytes]:
    return {n: (d / n).read_bytes() for n in SET if (d / n).is_file()}


OPEN = os.open


def _killed_write(ensemble, out: Path, overwrite: bool, k: int) -> bool:
    """Fork a writer that SIGKILLs itself at its k-th file-system call; True if it was killed."""
    pid = os.fork()
    if pid == 0:  # the child: count calls, die at the k-th
        try:
            calls = [0]

            def counted(fn):
                def wrapper(*args, **kwargs):
                    if fn is OPEN and not (args[1] if len(args) > 1 else kwargs.get("flags", 0)) & os.O_CREAT:
                        return fn(*args, **kwargs)  # opening to read or fsync changes nothing
                    if calls[0] == k:
                        os.kill(os.getpid(), signal.SIGKILL)
                    calls[0] += 1
                    return fn(*args, **kwargs)
                return wrapper

            for name in COUNTED:
                setattr(os, name, counted(getattr(os, name)))
            sio._exchange = counted(sio._exchange)
            sio.write_results(ensemble, out, "csv", overwrite=overwrite)
            os._exit(0)
        except BaseException:  # noqa: BLE001 - the child must never return into pytest
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, "the writer failed without being killed"
    return False


def _temps(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.tmp"))


@pytest.mark.parametrize("shared", [False, True], ids=["own-dir", "shared-dir"])
@pytest.mark.parametrize("overwrite", [False, True], ids=["fresh", "force"])
def test_killed_writer_leaves_old_or_new_set_or_reports_incomplete(tmp_path, ensembles, shared, overwrite):
    old_ens, new_ens = ensembles
    ref_old, ref_new = tmp_path / "ref_old", tmp_path / "ref_new"
    sio.write_results(old_ens, ref_old)
    sio.write_results(new_ens, ref_new)
    old, new = _snapshot(ref_old), _snapshot(ref_new)
    assert old != new and set(old) == set(SET)
    work = tmp_path / "work"
    work.mkdir()
    out = work / "res"
    outcomes = {"old": 0, "new": 0, "incomplete": 0, "nothing": 0}
    killed = 0
    for k in range(400):
        shutil.rmtree(out, ignore_errors=True)
        if overwrite:
            shutil.copytree(ref_old, out)
        if shared:
            out.mkdir(exist_ok=True)
            (out / "notes.txt").write_text("mine")
        if not _killed_write(new_ens, out, overwrite, k):
            break
        killed += 1
        status = sio.results_status(out)
        snap = _snapshot(out) if out.is_dir() else {}
        if status.complete:
            assert snap in (old, new), (k, sorted(snap))
            outcomes["old" if snap == old else "new"] += 1
        elif status.present:
            assert shared, f"a directory of its own was left mixed (killed at call {k}): {status}"
            assert "incomplete" in status.describe(out)
            outcomes["incomplete"] += 1
        else:
            assert not overwrite or shared, f"the old set vanished (killed at call {k})"
            outcomes["nothing"] += 1
        if shared:
            assert (out / "notes.txt").read_text() == "mine"
        sio.clean_stale_temps(work, prefix="res")
        if out.is_dir():
            sio.clean_stale_temps(out)
        assert _temps(work) == [], k
    else:
        pytest.fail("the writer never completed")
    assert killed >= 10  # the kill points really covered the write
    assert _snapshot(out) == new and sio.results_status(out).complete  # the last, unkilled write
    if overwrite:
        assert outcomes["old"] > 0  # killed early: the old set survives whole
    if overwrite and not shared:
        assert outcomes["new"] > 0  # killed while the swapped-out old set was being deleted
    if not shared:
        assert outcomes["incomplete"] == 0


def test_cli_reports_an_interrupted_set_as_incomplete_and_force_cleans_up(tmp_path):
    out = tmp_path / "D"
    out.mkdir()
    (out / "daily.csv").write_text("seed,day\n0,1\n")
    (out / "scenario.yaml").write_text("name: x\n")
    stale = out / f".summary.json.{2 ** 22 + 12345}-0badc0de.tmp"  # a pid no process has
    stale.write_text("{")
    runner = CliRunner()
    args = ["run", "content_led", "--users", "200", "--days", "5", "--seeds", "1", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "incomplete result set" in line and "already contains results" not in line, line
    assert "no manifest.json" in line and "--force" in line
    assert not stale.exists()  # the dead writer's temporary is gone
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert sio.results_status(out).complete and _temps(tmp_path) == []
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "already contains results" in result.stderr


def test_live_writers_temporaries_are_kept(tmp_path):
    mine = tmp_path / f".x.csv.{os.getpid()}-0123abcd.tmp"
    mine.write_text("")
    assert sio.clean_stale_temps(tmp_path) == [] and mine.exists()


def test_swap_dir_never_replaces_a_full_directory_unless_asked(tmp_path):
    target = tmp_path / "t"
    target.mkdir()
    (target / "theirs.txt").write_text("keep")
    new = sio.new_temp_dir(target)
    (new / "mine.txt").write_text("new")
    with pytest.raises(sio.OutputExistsError):
        sio.swap_dir(new, target, replace=False)
    assert (target / "theirs.txt").read_text() == "keep"
    sio.swap_dir(new, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t"]  # the old content is gone, no temporaries
    assert [p.name for p in target.iterdir()] == ["mine.txt"]
