"""The results store: every experiment, run and comparison kept on disk under an id.

The store is one directory: ``--store DIR``, else ``$SIYU_STORE``, else ``runs/`` under the
current directory (:func:`resolve_store`). Each experiment is a sub-directory named by its id::

    runs/<id>/
      manifest.json             what was run and how it went (written last, replaced atomically)
      table/part-00000.parquet  the runs table, one row per run, one file per chunk
      table/part-00001.parquet  ...
      daily/point=0/part-00000.parquet   optional daily tables, a Parquet dataset partitioned by point

The **runs table** (``pandas.read_parquet("runs/<id>/table")``) has one row per run: ``point``,
``replicate``, ``seed``, each varied parameter (column named by its dotted path) or, for runs
and comparisons, ``scenario``, then every KPI. Rows are streamed to disk in chunks
(:class:`RunWriter`), each chunk file written atomically (``sim.io.atomic_path``), so a
10,000-run sweep never holds its runs in memory and a crash never leaves half a chunk. A run
is *stored* when its row is in a chunk file; its daily rows are written before its chunk, and
daily files of a chunk that never landed are removed on resume.

The **manifest** records the base scenario as YAML, the design, the seeds, the package version,
the git commit when there is one, the backend and worker count, start and end times, run
timings and ``status``: ``complete`` only when every run of the design is stored, else
``partial`` with the counts. Readers trust ``complete`` only when the table agrees
(:meth:`Store.status`). ``siyu run`` and ``siyu compare`` recordings (:meth:`Store.record`) are
built in a hidden directory and renamed into place, so they appear whole or not at all.
Nothing is ever overwritten: an id that exists is resumed (same experiment) or refused.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.io import atomic_path, atomic_write_json, package_version
from sim.results import Ensemble

__all__ = [
    "DEFAULT_STORE",
    "STORE_ENV",
    "RunWriter",
    "Store",
    "StoreError",
    "check_id",
    "git_commit",
    "new_id",
    "resolve_store",
]

STORE_ENV = "SIYU_STORE"
DEFAULT_STORE = "runs"
MANIFEST = "manifest.json"
TABLE_DIR = "table"
DAILY_DIR = "daily"
ANALYSIS_DIR = "analysis"  # analyses kept beside the runs (Store.attach)
FORMAT = 1
KINDS = ("sweep", "run", "compare", "calibration", "optimization")  # a sensitivity analysis is stored as a sweep
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_PART = re.compile(r"^part-(\d{5,})\.parquet$")
KEY_COLUMNS = ["point", "replicate", "seed"]


class StoreError(ScenarioError):
    """A store problem a user can fix (unknown id, id in use, unreadable store); one line."""


def resolve_store(store: str | os.PathLike[str] | None = None) -> Path:
    """The store directory: ``store``, else ``$SIYU_STORE``, else ``./runs``."""
    if store is not None and str(store) != "":
        return Path(store)
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else Path.cwd() / DEFAULT_STORE


def check_id(experiment_id: str) -> str:
    """Refuse an id that is not a plain name (letters, digits, ``.``, ``_``, ``-``; ≤ 80 characters)."""
    if not isinstance(experiment_id, str) or not _ID.fullmatch(experiment_id):  # not match: `$` passes a final newline
        raise StoreError(f"--id {experiment_id!r} is not a valid id: use 1 to 80 letters, digits, "
                         "'.', '_' or '-', starting with a letter or digit")
    return experiment_id


def new_id(kind: str) -> str:
    """A fresh id: ``sweep-20261201-094500-3fa2`` (kind, UTC time, 4 random hex digits)."""
    return f"{kind}-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def git_commit() -> str | None:
    """The commit of the source tree Siyu runs from, when it is a git checkout (else ``None``)."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                             timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    text = out.stdout.strip()
    return text if out.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", text) else None


def fingerprint(definition: Mapping[str, Any]) -> str:
    """A short hash of what defines an experiment's results (resume only with the same one)."""
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def scenario_sha(scenario_key: str) -> str:
    """A short hash of ``Scenario.key()`` (finds a stored run of the same scenario)."""
    return hashlib.sha256(scenario_key.encode()).hexdigest()[:16]


def _parts(directory: Path) -> list[tuple[int, Path]]:
    if not directory.is_dir():
        return []
    out = []
    for p in directory.iterdir():
        m = _PART.match(p.name)
        if m:
            out.append((int(m.group(1)), p))
    return sorted(out)


def _rows_in(directory: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for _, p in _parts(directory))


def _timings(seconds: Sequence[float], wall: float) -> dict[str, Any]:
    arr = np.asarray(seconds, dtype=float)
    if not len(arr):
        return {"wall_seconds": round(wall, 3), "runs_timed": 0}
    return {
        "wall_seconds": round(wall, 3),
        "runs_timed": int(len(arr)),
        "runs_per_second": round(len(arr) / wall, 4) if wall > 0 else None,
        "run_seconds_total": round(float(arr.sum()), 3),
        "run_seconds_mean": round(float(arr.mean()), 4),
        "run_seconds_p50": round(float(np.median(arr)), 4),
        "run_seconds_p90": round(float(np.quantile(arr, 0.9)), 4),
        "run_seconds_max": round(float(arr.max()), 4),
    }


def _typed_frame(rows: list[dict[str, Any]], dtypes: Mapping[str, str]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for col, dtype in dtypes.items():
        if col in df:
            df[col] = df[col].astype(dtype)
    for col in df.columns:
        if col not in dtypes:
            df[col] = df[col].astype("float64")
    return df


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)


def _take_lock(directory: Path) -> Path:
    """Mark ``directory`` as being written by this process; refuse if a live process holds it."""
    lock = directory / ".lock"
    me = f"{os.getpid()} {socket.gethostname()}"
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                pid_text, host = lock.read_text().split(maxsplit=1)
                pid = int(pid_text)
            except (OSError, ValueError):
                pid, host = -1, ""
            if host.strip() == socket.gethostname() and pid > 0 and pid != os.getpid() and _alive(pid):
                raise StoreError(f"experiment {directory.name!r} is being written by process {pid}; "
                                 "wait for it to finish or stop it, then resume") from None
            lock.unlink(missing_ok=True)  # stale: its writer is gone
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(me)
        return lock
    raise StoreError(f"cannot lock experiment {directory.name!r} for writing")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunWriter:
    """Streams the runs of one experiment into its directory, a chunk at a time.

    Made by :meth:`Store.writer`. :meth:`add` buffers a run (its table row and, if given, its
    daily table); every ``chunk_runs`` runs or ``flush_seconds`` seconds the buffer becomes one
    chunk: daily files first, then the table part, then the manifest's counts. A (point,
    replicate) pair already stored is ignored, so a run retried by a backend or re-run by a
    resume is stored exactly once. A ``.lock`` file names the writing process: a second writer
    of the same id is refused while it lives, and a lock left by a crash is taken over.
    :meth:`close` writes the final manifest (``complete`` if every run is stored, else
    ``partial``) and releases the lock.
    """

    def __init__(self, directory: Path, manifest: dict[str, Any], dtypes: Mapping[str, str],
                 chunk_runs: int = 64, flush_seconds: float = 10.0) -> None:
        self.directory = directory
        self._lock = _take_lock(directory)
        self.manifest = manifest
        self.dtypes = dict(dtypes)
        self.chunk_runs = max(1, chunk_runs)
        self.flush_seconds = flush_seconds
        self.stored: set[tuple[int, int]] = set()
        parts = _parts(directory / TABLE_DIR)
        for _, p in parts:
            keys = pd.read_parquet(p, columns=["point", "replicate"])
            self.stored.update(zip(keys["point"].tolist(), keys["replicate"].tolist(), strict=True))
        self.next_chunk = parts[-1][0] + 1 if parts else 0
        self._drop_orphan_daily()
        self._rows: list[dict[str, Any]] = []
        self._daily: list[pd.DataFrame] = []
        self._last_flush = time.monotonic()
        self._t0 = time.monotonic()
        self.seconds: list[float] = []
        self.kpis: list[str] = list(manifest.get("kpis") or [])
        if not self.kpis and parts:  # the KPI columns of the rows already stored
            import pyarrow.parquet as pq

            self.kpis = [c for c in pq.read_schema(parts[0][1]).names if c not in self.dtypes]
        self.session = {"started": utc_now(), "finished": None, "runs": 0, **manifest.get("backend", {})}
        manifest.setdefault("sessions", []).append(self.session)
        self._write_manifest("partial")

    def _drop_orphan_daily(self) -> None:
        base = self.directory / DAILY_DIR
        if not base.is_dir():
            return
        for sub in base.iterdir():
            for chunk, p in _parts(sub):
                if chunk >= self.next_chunk:
                    p.unlink()

    @property
    def runs_done(self) -> int:
        """Runs stored so far (written to chunk files or buffered)."""
        return len(self.stored)

    def has(self, point: int, replicate: int) -> bool:
        """True when the run (point, replicate) is already stored or buffered."""
        return (int(point), int(replicate)) in self.stored

    def add(self, row: Mapping[str, Any], daily: pd.DataFrame | None = None, seconds: float | None = None) -> bool:
        """Buffer one run's row (with ``point``, ``replicate``, ``seed``, parameters, KPIs); False if a duplicate."""
        key = (int(row["point"]), int(row["replicate"]))
        if key in self.stored:
            return False
        self.stored.add(key)
        for k in row:
            if k not in self.dtypes and k not in self.kpis:
                self.kpis.append(k)
        self._rows.append(dict(row))
        if daily is not None:
            self._daily.append(daily.assign(point=key[0], replicate=key[1], seed=int(row["seed"])))
        if seconds is not None:
            self.seconds.append(float(seconds))
        self.session["runs"] += 1
        if len(self._rows) >= self.chunk_runs or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()
        return True

    def flush(self) -> None:
        """Write the buffered runs as one chunk (daily files, then the table part, then the manifest)."""
        if not self._rows:
            return
        chunk = self.next_chunk
        if self._daily:
            daily = pd.concat(self._daily, ignore_index=True)
            lead = ["replicate", "seed"]
            for point, frame in daily.groupby("point", sort=True):
                frame = frame[[*lead, *[c for c in frame.columns if c not in (*lead, "point")]]]
                _write_parquet(frame.reset_index(drop=True),
                               self.directory / DAILY_DIR / f"point={int(point)}" / f"part-{chunk:05d}.parquet")
        order = [c for c in self.dtypes if any(c in r for r in self._rows[:1])]
        df = _typed_frame(self._rows, self.dtypes)
        df = df[[*order, *[k for k in self.kpis if k in df.columns]]]
        _write_parquet(df, self.directory / TABLE_DIR / f"part-{chunk:05d}.parquet")
        self.next_chunk += 1
        self._rows, self._daily = [], []
        self._last_flush = time.monotonic()
        self._write_manifest("partial")

    def _write_manifest(self, status: str, error: str | None = None) -> None:
        m = self.manifest
        m["status"] = status
        m["runs_done"] = _rows_in(self.directory / TABLE_DIR)
        m["kpis"] = list(self.kpis)
        m["finished"] = utc_now() if status == "complete" else None
        m["updated"] = utc_now()
        if error:
            m["error"] = " ".join(str(error).split())
        elif status == "complete":
            m.pop("error", None)
        wall = time.monotonic() - self._t0
        self.session["timings"] = _timings(self.seconds, wall)
        m["timings"] = self.session["timings"] if len(m["sessions"]) == 1 else {
            "sessions": len(m["sessions"]),
            "wall_seconds": round(sum(s.get("timings", {}).get("wall_seconds", 0) for s in m["sessions"]), 3)}
        atomic_write_json(self.directory / MANIFEST, m, overwrite=True)

    def close(self, error: str | None = None) -> str:
        """Flush and write the final manifest; return its status (``complete`` or ``partial``)."""
        self.flush()
        self.session["finished"] = utc_now()
        total = int(self.manifest.get("runs_total", 0))
        done = _rows_in(self.directory / TABLE_DIR)
        status = "complete" if error is None and done >= total else "partial"
        self._write_manifest(status, error)
        self._lock.unlink(missing_ok=True)
        return status


class Store:
    """One store directory (see the module text); ``Store()`` resolves the default place."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = resolve_store(root)
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"store {self.root} is a file, not a directory")

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    def path(self, experiment_id: str) -> Path:
        """The directory of an experiment (which may not exist)."""
        return self.root / check_id(experiment_id)

    def exists(self, experiment_id: str) -> bool:
        """True when the id is taken (by a complete, partial or unfinished experiment)."""
        return self.path(experiment_id).exists()

    def ids(self) -> list[str]:
        """Every experiment id in the store, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _ID.match(p.name))

    def _missing(self, experiment_id: str) -> StoreError:
        hint = difflib.get_close_matches(experiment_id, self.ids(), n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else " (see 'siyu runs')"
        return StoreError(f"no experiment {experiment_id!r} in the store {self.root}{extra}")

    def manifest(self, experiment_id: str) -> dict[str, Any]:
        """The manifest of an experiment, its ``status`` checked against the table on disk."""
        d = self.path(experiment_id)
        if not d.is_dir():
            raise self._missing(experiment_id)
        path = d / MANIFEST
        try:
            m = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            m = {"id": experiment_id, "kind": "unknown", "status": "partial", "runs_total": None,
                 "error": "no manifest (interrupted before it was written)"}
        except (OSError, ValueError) as err:
            raise StoreError(f"{path}: unreadable manifest ({err.__class__.__name__})") from None
        done = _rows_in(d / TABLE_DIR)
        m["runs_done"] = done
        total = m.get("runs_total")
        if m.get("status") != "complete" or total is None or done != total:
            m["status"] = "partial"
        return m

    def status(self, experiment_id: str) -> str:
        """``complete`` or ``partial`` (see :meth:`manifest`)."""
        return str(self.manifest(experiment_id)["status"])

    def list(self, kind: str | None = None) -> list[dict[str, Any]]:
        """One summary per experiment, newest first: id, kind, scenario, runs, status, date."""
        out = []
        for experiment_id in self.ids():
            try:
                m = self.manifest(experiment_id)
            except StoreError as err:
                m = {"id": experiment_id, "kind": "unknown", "status": "partial", "error": str(err)}
            if kind is not None and m.get("kind") != kind:
                continue
            out.append({"id": experiment_id, "kind": m.get("kind"), "scenario": m.get("scenario"),
                        "runs_done": m.get("runs_done"), "runs_total": m.get("runs_total"),
                        "status": m.get("status"), "started": m.get("started"),
                        "finished": m.get("finished"), "points": len(m.get("points", []) or [])})
        return sorted(out, key=lambda e: (e.get("started") or "", e["id"]), reverse=True)

    def table(self, experiment_id: str) -> pd.DataFrame:
        """The runs table, sorted by point and replicate (only stored runs of a partial one)."""
        d = self.path(experiment_id)
        if not d.is_dir():
            raise self._missing(experiment_id)
        parts = _parts(d / TABLE_DIR)
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype="int64") for c in KEY_COLUMNS})
        df = pd.concat([pd.read_parquet(p) for _, p in parts], ignore_index=True)
        return df.sort_values(["point", "replicate"], kind="stable", ignore_index=True)

    def daily(self, experiment_id: str, point: int | None = None) -> pd.DataFrame:
        """Stored daily tables: columns ``point``, ``replicate``, ``seed``, ``day``, ... (one point or all)."""
        d = self.path(experiment_id)
        if not d.is_dir():
            raise self._missing(experiment_id)
        base = d / DAILY_DIR
        stored = _parts(d / TABLE_DIR)
        last = stored[-1][0] if stored else -1
        subs = [base / f"point={int(point)}"] if point is not None else sorted(
            (p for p in base.iterdir() if p.name.startswith("point=")), key=lambda p: int(p.name[6:])
        ) if base.is_dir() else []
        frames = []
        for sub in subs:
            for chunk, p in _parts(sub):
                if chunk <= last:  # daily files of a chunk whose table part never landed are not stored
                    frames.append(pd.read_parquet(p).assign(point=int(sub.name[6:])))
        if not frames:
            raise StoreError(f"experiment {experiment_id!r} has no daily tables"
                             + (f" for point {point}" if point is not None else "")
                             + " (sweeps store them with --daily)")
        df = pd.concat(frames, ignore_index=True)
        df = df[["point", *[c for c in df.columns if c != "point"]]]
        return df.sort_values(["point", "replicate", "day"], kind="stable", ignore_index=True)

    def find(self, kind: str, scenarios: Sequence[Any], seeds: Sequence[int] | None = None,
             daily: bool = True) -> str | None:
        """The newest complete experiment of ``kind`` over exactly these scenarios (in order), or None.

        ``scenarios`` are :class:`sim.Scenario` objects, matched by ``Scenario.key()``; with
        ``seeds``, the replicate seeds must match too; with ``daily``, daily tables must be stored.
        Lets a front end show a stored comparison instead of recomputing it.
        """
        want = [scenario_sha(s.key()) for s in scenarios]
        for entry in self.list(kind):
            if entry["status"] != "complete":
                continue
            try:
                m = json.loads((self.path(entry["id"]) / MANIFEST).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if [p.get("scenario_sha") for p in m.get("points", [])] != want:
                continue
            if seeds is not None and (m.get("seeds") or {}).get("replicate_seeds") != [int(s) for s in seeds]:
                continue
            if daily and not m.get("daily"):
                continue
            return str(entry["id"])
        return None

    def remove(self, experiment_id: str) -> None:
        """Delete an experiment and everything in it."""
        d = self.path(experiment_id)
        if not d.is_dir():
            raise self._missing(experiment_id)
        trash = self.root / f".rm-{experiment_id}-{secrets.token_hex(3)}"
        os.rename(d, trash)  # atomic: the id disappears at once, even if the delete is interrupted
        shutil.rmtree(trash, ignore_errors=True)

    # ------------------------------------------------------------------ writing

    def writer(self, experiment_id: str, manifest: dict[str, Any], dtypes: Mapping[str, str],
               resume: bool = True, chunk_runs: int = 64, flush_seconds: float = 10.0) -> RunWriter:
        """Open an experiment for writing: a new id, or an existing one with the same fingerprint.

        Raises:
            StoreError: The id exists with a different experiment (or ``resume`` is false), or is
                not an experiment directory.
        """
        d = self.path(experiment_id)
        if d.exists():
            if not resume:
                raise StoreError(f"experiment {experiment_id!r} already exists in {self.root}; "
                                 "choose another --id or remove it with 'siyu runs rm'")
            old = self.manifest(experiment_id)
            if old.get("fingerprint") != manifest.get("fingerprint"):
                what = old.get("kind", "experiment")
                raise StoreError(f"store id {experiment_id!r} holds a different {what} (other scenario, design "
                                 f"or seeds); choose another --id or remove it with 'siyu runs rm {experiment_id}'")
            keep = {k: old[k] for k in ("started", "sessions", "kpis") if k in old}
            manifest.update(keep)
        else:
            self.root.mkdir(parents=True, exist_ok=True)
            d.mkdir()
        return RunWriter(d, manifest, dtypes, chunk_runs=chunk_runs, flush_seconds=flush_seconds)

    def record(self, kind: str, ensembles: Mapping[str, Ensemble], experiment_id: str | None = None,
               daily: bool = True, backend: Mapping[str, Any] | None = None,
               started: str | None = None, wall_seconds: float | None = None,
               extra: Mapping[str, Any] | None = None) -> str:
        """Record finished ensembles (``siyu run``: one; ``siyu compare``: several) as one experiment.

        Each ensemble is a point (``scenario`` column = its label); its runs are the replicates,
        seeds as run. The directory is built hidden and renamed into place (atomic). Returns the id.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        experiment_id = check_id(experiment_id or new_id(kind))
        target = self.path(experiment_id)
        if target.exists():
            raise StoreError(f"experiment {experiment_id!r} already exists in {self.root}")
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{experiment_id}.tmp-{secrets.token_hex(3)}"
        tmp.mkdir()
        try:
            labels = list(ensembles)
            first = ensembles[labels[0]]
            runs_total = sum(len(e.runs) for e in ensembles.values())
            manifest = {
                "format": FORMAT, "id": experiment_id, "kind": kind,
                "scenario": first.scenario.name if kind == "run" else ", ".join(labels),
                "base_scenario": first.scenario.to_yaml(),
                "point_scenarios": [ensembles[lab].scenario.to_yaml() for lab in labels] if kind != "run" else None,
                "design": {"kind": "scenarios", "paths": [], "spec": {"labels": labels}, "points": [{} for _ in labels]},
                "points": [{"point": i, "label": lab, "scenario": ensembles[lab].scenario.name,
                            "scenario_sha": scenario_sha(ensembles[lab].scenario.key())}
                           for i, lab in enumerate(labels)],
                "seeds": {"experiment_seed": None, "common_random_numbers": True,
                          "replicates": max(len(e.runs) for e in ensembles.values()),
                          "replicate_seeds": [int(s) for s in first.seeds]},
                "kpis": [], "daily": daily, "siyu_version": package_version(), "git_commit": git_commit(),
                "python": sys.version.split()[0],
                "backend": dict(backend or {"backend": "local", "workers": None, "scheduler": None}),
                "started": started or utc_now(), "runs_total": runs_total, **(extra or {}),
            }
            manifest["fingerprint"] = fingerprint({"points": manifest["points"], "seeds": manifest["seeds"]})
            writer = RunWriter(tmp, manifest, {"point": "int64", "replicate": "int64", "seed": "int64",
                                               "scenario": "object"}, chunk_runs=max(1, runs_total),
                               flush_seconds=math.inf)
            writer._t0 -= wall_seconds or 0.0
            for point, lab in enumerate(labels):
                for rep, r in enumerate(ensembles[lab].runs):
                    writer.add({"point": point, "replicate": rep, "seed": int(r.seed), "scenario": lab, **r.summary},
                               r.daily if daily else None)
            writer.close()
            os.rename(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return experiment_id

    # ------------------------------------------------------------------ analyses kept beside the runs

    def attach(self, experiment_id: str, name: str, data: Mapping[str, Any]) -> Path:
        """Keep an analysis of a stored experiment beside its runs: ``<id>/analysis/<name>.json``.

        Written atomically; an analysis of the same name is replaced (it is recomputed from the
        same stored runs). Used by the planning tools (``sensitivity-<kpi>``).
        """
        d = self.path(experiment_id)
        if not d.is_dir():
            raise self._missing(experiment_id)
        check_id(name)
        return atomic_write_json(d / ANALYSIS_DIR / f"{name}.json", data, overwrite=True)

    def attachments(self, experiment_id: str) -> list[str]:
        """Names of the analyses kept beside an experiment (see :meth:`attach`), sorted."""
        d = self.path(experiment_id)
        if not d.is_dir():
            raise self._missing(experiment_id)
        sub = d / ANALYSIS_DIR
        return sorted(p.stem for p in sub.glob("*.json")) if sub.is_dir() else []

    def attachment(self, experiment_id: str, name: str) -> dict[str, Any]:
        """One analysis kept beside an experiment (see :meth:`attach`)."""
        path = self.path(experiment_id) / ANALYSIS_DIR / f"{check_id(name)}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StoreError(f"experiment {experiment_id!r} has no analysis {name!r}") from None
        except (OSError, ValueError) as err:
            raise StoreError(f"{path}: unreadable analysis ({err.__class__.__name__})") from None


def column_dtypes(params: Iterable[Any]) -> dict[str, str]:
    """Column types of a sweep table: keys, then each varied parameter by its schema kind."""
    out = {"point": "int64", "replicate": "int64", "seed": "int64"}
    for par in params:
        out[par.path] = {"int": "int64", "float": "float64", "bool": "bool"}.get(par.kind, "object")
    return out

