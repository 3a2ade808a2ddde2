"""Atomic, no-clobber output writing: text, bytes, tables and the results of a run.

Every file Siyu writes goes through :func:`atomic_path`: the content is written to a hidden
temporary file in the target's own directory, flushed and ``fsync``-ed, and only then moved
into place — with a hard link (which fails if the target exists, so nothing is ever silently
overwritten) or, when ``overwrite=True``, with :func:`os.replace`. A reader therefore sees
either the old file, or the complete new one, never a partial file; on any error the
temporary file is removed. :func:`write_results` writes the standard output set of a run
(``daily.csv``/``daily.parquet``, ``scenario.yaml``, ``summary.json``, ``manifest.json``)
as a whole: into a staging directory swapped in with one rename (:func:`swap_dir`, reusable
by any writer of a directory), and :func:`results_status` tells a complete set from an
interrupted one by the manifest's hashes. Temporaries are named ``.<name>.<pid>-<hex>.tmp``;
:func:`clean_stale_temps` removes those whose writer is gone. The CLI and the dashboard share
these writers.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import errno
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import stat
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import cut_path
from sim.results import KPI_INFO, Ensemble

__all__ = [
    "MANIFEST_FILE",
    "OutputExistsError",
    "ResultsStatus",
    "TABLE_FORMATS",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "clean_stale_temps",
    "cashflow_long_table",
    "daily_long_table",
    "existing_results",
    "new_temp_dir",
    "package_version",
    "results_files",
    "results_status",
    "summary_dict",
    "swap_dir",
    "write_results",
    "write_table",
]

TABLE_FORMATS = ("csv", "parquet")
DAILY_STEM = "daily"
CASHFLOW_STEM = "cashflow"
SUMMARY_FILE = "summary.json"
SCENARIO_FILE = "scenario.yaml"
MANIFEST_FILE = "manifest.json"


class OutputExistsError(FileExistsError):
    """The target file already exists and ``overwrite`` was not given; ``str(err)`` is one line."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        super().__init__(errno.EEXIST, f"{self.path} already exists (not overwritten)", str(self.path))

    def __str__(self) -> str:
        return f"{self.path} already exists (not overwritten)"


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable by syncing its directory (POSIX only; best effort elsewhere)."""
    flags = getattr(os, "O_DIRECTORY", None)
    if flags is None:
        return
    try:
        fd = os.open(directory, os.O_RDONLY | flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _commit(tmp: Path, target: Path, overwrite: bool) -> None:
    """Move a finished temporary file into place, refusing to clobber unless ``overwrite``."""
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # atomic and fails with EEXIST if the target exists
    except FileExistsError:
        raise OutputExistsError(target) from None
    except OSError:
        # file systems without hard links: check, then rename (a tiny race window remains)
        if target.exists():
            raise OutputExistsError(target) from None
        os.replace(tmp, target)
        return
    tmp.unlink()


def _new_temp(target: Path) -> Path:
    """Create an empty hidden temporary file next to ``target`` (mode 0666 minus the umask).

    Its name, ``.<name>.<pid>-<hex>.tmp``, carries the writer's process id so that
    :func:`clean_stale_temps` can tell an abandoned temporary from one still being written.
    """
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(errno.EEXIST, "cannot create a temporary file", str(target.parent))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success it atomically becomes ``path``.

    The temporary file lives next to ``path`` (same file system, so the final move is
    atomic), is fsync-ed before the move, and is deleted if the block raises. Parent
    directories are created as needed.

    Args:
        path: The file to create.
        overwrite: Replace an existing file; otherwise raise :class:`OutputExistsError`.

    Yields:
        The temporary path the caller writes the complete content to.

    Raises:
        OutputExistsError: ``path`` exists (checked before and, atomically, after writing).
    """
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, f"{target} is a directory", str(target))
    if not overwrite and target.exists():
        raise OutputExistsError(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_temp(target)
    try:
        yield tmp
        _fsync_file(tmp)
        _commit(tmp, target, overwrite)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically; refuse to replace an existing file unless ``overwrite``.

    Args:
        path: The file to create.
        data: The complete content.
        overwrite: Replace an existing file.

    Returns:
        The path written.

    Raises:
        OutputExistsError: ``path`` exists and ``overwrite`` is false.
    """
    with atomic_path(path, overwrite) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, overwrite: bool = False,
                      encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode(encoding), overwrite)


def _jsonable(value: Any) -> Any:
    """Plain JSON values: numpy scalars to Python, NaN and ±inf to ``None``."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_text(obj: Any) -> str:
    """``obj`` as strict, indented JSON text (non-finite numbers become ``null``)."""
    return json.dumps(_jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False)


def atomic_write_json(path: str | os.PathLike[str], obj: Any, overwrite: bool = False) -> Path:
    """Write ``obj`` as strict, indented JSON (non-finite numbers become ``null``)."""
    return atomic_write_text(path, json_text(obj) + "\n", overwrite)


def write_table(df: pd.DataFrame, path: str | os.PathLike[str], fmt: str | None = None,
                overwrite: bool = False) -> Path:
    """Write a DataFrame as CSV or Parquet, atomically and without clobbering.

    Args:
        df: The table (its index is not written).
        path: The file to create.
        fmt: ``"csv"`` or ``"parquet"``; taken from the file suffix when ``None``.
        overwrite: Replace an existing file.

    Returns:
        The path written.

    Raises:
        ValueError: Unknown format.
        OutputExistsError: ``path`` exists and ``overwrite`` is false.
    """
    fmt = (fmt or Path(path).suffix.lstrip(".")).lower()
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"table format must be one of {', '.join(TABLE_FORMATS)}, got {fmt!r}")
    with atomic_path(path, overwrite) as tmp:
        if fmt == "csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)
    return Path(path)


def package_version() -> str:
    """Return the installed version of Siyu (``"unknown"`` when not installed as a package)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("siyu")
    except PackageNotFoundError:
        return "unknown"


def daily_long_table(ensemble: Ensemble) -> pd.DataFrame:
    """Stack the daily results of every seed into one long table with a leading ``seed`` column."""
    frames = [r.daily.assign(seed=r.seed) for r in ensemble.runs]
    df = pd.concat(frames, ignore_index=True)
    return df[["seed", *[c for c in df.columns if c != "seed"]]]


def cashflow_long_table(ensemble: Ensemble) -> pd.DataFrame:
    """Every seed's monthly cash flow in one long table with a leading ``seed`` column.

    Each seed's months are :func:`sim.money.monthly_cashflow`, discounted at the scenario's
    ``finance.discount_rate``.
    """
    from sim.money import monthly_cashflow

    rate = ensemble.scenario.finance.discount_rate
    frames = [monthly_cashflow(r.daily, rate).assign(seed=r.seed) for r in ensemble.runs]
    df = pd.concat(frames, ignore_index=True)
    return df[["seed", *[c for c in df.columns if c != "seed"]]]


def summary_dict(ensemble: Ensemble) -> dict[str, Any]:
    """Everything needed to reproduce and read a run: version, scenario, seeds, KPIs and bands."""
    bands = ensemble.summary_bands()
    summaries = ensemble.summaries
    return {
        "siyu_version": package_version(),
        "scenario": ensemble.scenario.model_dump(mode="json"),
        "seeds": [int(s) for s in ensemble.seeds],
        "kpis": [{"seed": int(seed), **row} for seed, row in summaries.to_dict("index").items()],
        "bands": {kpi: bands.loc[kpi].to_dict() for kpi in bands.index},
        "kpi_info": {k: {"label": v[0], "unit": v[1], "higher_is_better": v[2], "description": v[3]}
                     for k, v in KPI_INFO.items()},
    }


def results_files(fmt: str = "csv") -> list[str]:
    """File names :func:`write_results` creates for a table format (the manifest last)."""
    return [f"{DAILY_STEM}.{fmt}", f"{CASHFLOW_STEM}.{fmt}", SCENARIO_FILE, SUMMARY_FILE, MANIFEST_FILE]


def _result_names() -> list[str]:
    return list(dict.fromkeys(n for fmt in TABLE_FORMATS for n in results_files(fmt)))


def existing_results(out_dir: str | os.PathLike[str]) -> list[str]:
    """Names of result files (of any table format, and the manifest) already present in ``out_dir``."""
    out = Path(out_dir)
    return [n for n in _result_names() if (out / n).exists()]


# ---------------------------------------------------------------- stale temporaries
_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.tmp$")
_OLD_TEMP_RE = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")  # names used before the pid was added
_OLD_TEMP_AGE = 3600.0  # seconds after which such a temporary is surely abandoned


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid > 0  # another user's live process (or an absurd number: keep it, harmless)
    return True


def clean_stale_temps(directory: str | os.PathLike[str], prefix: str = "") -> list[str]:
    """Remove the hidden temporaries a killed writer left in ``directory``; return their names.

    Only Siyu's own temporaries are touched (``.<name>.<pid>-<hex>.tmp``, files or staging
    directories) and only when the process that made them is gone, so a writer running at
    the same time keeps its files. ``prefix`` restricts the clean-up to temporaries of one
    target (e.g. ``"results"`` in the parent of ``results/``).
    """
    base = Path(directory)
    removed: list[str] = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if m is not None:
            if prefix and m.group("name") != prefix:
                continue
            if _pid_alive(int(m.group("pid"))):
                continue
        elif prefix or _OLD_TEMP_RE.match(entry.name) is None:
            continue
        else:
            with contextlib.suppress(OSError):
                if now - entry.lstat().st_mtime < _OLD_TEMP_AGE:
                    continue
        with contextlib.suppress(OSError):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry.name)
    return removed


# ---------------------------------------------------------------- completeness (the manifest)
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclasses.dataclass(frozen=True)
class ResultsStatus:
    """What a result directory holds, and whether it is one complete set.

    Complete means: a manifest names each file with its SHA-256, and every file matches.
    """

    present: tuple[str, ...]
    complete: bool
    problem: str = ""

    def describe(self, out: str | os.PathLike[str]) -> str:
        """One line: "D already contains results (…)" or "D holds an INCOMPLETE result set (…)"."""
        where = cut_path(out)
        files = ", ".join(self.present)
        if self.complete:
            return f"{where} already contains results ({files})"
        return f"{where} holds an incomplete result set ({files}: {self.problem}; an interrupted write?)"


def results_status(out_dir: str | os.PathLike[str]) -> ResultsStatus:
    """Check ``out_dir``'s result set against its manifest (see :class:`ResultsStatus`)."""
    out = Path(out_dir)
    present = tuple(existing_results(out))
    if not present:
        return ResultsStatus((), False, "no result files")
    if MANIFEST_FILE not in present:
        return ResultsStatus(present, False, f"no {MANIFEST_FILE}")
    try:
        manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
        files = manifest["files"]
        for name, info in files.items():
            if name not in _result_names():
                return ResultsStatus(present, False, f"{MANIFEST_FILE} names an unknown file")
            if not (out / name).is_file():
                return ResultsStatus(present, False, f"{name} is missing")
            if _sha256(out / name) != info["sha256"]:
                return ResultsStatus(present, False, f"{name} does not match {MANIFEST_FILE}")
        extra = [n for n in present if n != MANIFEST_FILE and n not in files]
        if extra:
            return ResultsStatus(present, False, f"{extra[0]} is not in {MANIFEST_FILE}")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return ResultsStatus(present, False, f"{MANIFEST_FILE} is unreadable")
    return ResultsStatus(present, True)


# ---------------------------------------------------------------- swapping a directory in
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two directory entries (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns False where the system or the file system cannot (the caller falls back).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def new_temp_dir(target: str | os.PathLike[str]) -> Path:
    """Create an empty hidden staging directory beside ``target`` (``.<name>.<pid>-<hex>.tmp``)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            tmp.mkdir()
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(errno.EEXIST, "cannot create a temporary directory", str(target.parent))


def swap_dir(new: str | os.PathLike[str], target: str | os.PathLike[str], replace: bool = True) -> None:
    """Make directory ``new`` (a finished staging directory beside it) become ``target``, as a whole.

    One rename: onto a missing or empty ``target`` with :func:`os.rename`, onto a full one
    with an atomic exchange (Linux ``renameat2``), after which the old content — now at the
    staging name — is deleted. A reader therefore sees the old directory or the new one,
    never a mix; a writer killed at any point leaves only a hidden ``.*.tmp`` directory that
    :func:`clean_stale_temps` removes later. Where no atomic exchange exists, the old
    directory is first renamed aside (``target`` is missing for that instant).

    Args:
        new: The finished directory (on the same file system, normally from :func:`new_temp_dir`).
        target: Where it goes.
        replace: Replace a ``target`` that holds files; otherwise raise :class:`OutputExistsError`
            (an empty ``target`` is always replaced).

    Raises:
        OutputExistsError: ``target`` holds files and ``replace`` is false.
        OSError: ``target`` exists and is not a directory, or the rename fails.
    """
    new, target = Path(new), Path(target)
    _fsync_dir(new)
    try:
        os.rename(new, target)  # missing or empty target: atomic
        _fsync_dir(target.parent)
        return
    except OSError as err:
        if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        if not replace:
            raise OutputExistsError(target) from None
    if _exchange(new, target):
        _fsync_dir(target.parent)
        shutil.rmtree(new, ignore_errors=True)  # the old content, now under the staging name
        return
    aside = new.with_name(new.name.replace(".tmp", "-old.tmp"))
    os.rename(target, aside)
    os.rename(new, target)
    _fsync_dir(target.parent)
    shutil.rmtree(aside, ignore_errors=True)


def _owned(out: Path) -> bool:
    """True when ``out`` holds nothing but a result set (so the whole directory may be swapped).

    Never for the working directory or one of its parents (a shell sitting in it would be
    left in a deleted directory), nor for a symlink.
    """
    if out.is_symlink():
        return False
    if not out.exists():
        return True
    try:
        real, cwd = out.resolve(), Path.cwd().resolve()
    except OSError:
        return False
    if real == cwd or real in cwd.parents:
        return False
    names = set(_result_names())
    return all(entry.name in names and entry.is_file() for entry in out.iterdir())


def _write_set(ensemble: Ensemble, directory: Path, fmt: str, overwrite: bool) -> list[Path]:
    """Write the result files into ``directory``, the manifest (names and hashes) last."""
    written = [
        write_table(daily_long_table(ensemble), directory / f"{DAILY_STEM}.{fmt}", fmt, overwrite),
        write_table(cashflow_long_table(ensemble), directory / f"{CASHFLOW_STEM}.{fmt}", fmt, overwrite),
        atomic_write_text(directory / SCENARIO_FILE, ensemble.scenario.to_yaml(), overwrite),
        atomic_write_json(directory / SUMMARY_FILE, summary_dict(ensemble), overwrite),
    ]
    manifest = {"format": "siyu-results", "version": 1, "siyu_version": package_version(),
                "files": {p.name: {"sha256": _sha256(p), "bytes": p.stat().st_size} for p in written}}
    written.append(atomic_write_json(directory / MANIFEST_FILE, manifest, overwrite))
    return written


def write_results(ensemble: Ensemble, out_dir: str | os.PathLike[str], fmt: str = "csv",
                  overwrite: bool = False) -> list[Path]:
    """Write the results of a run into ``out_dir`` (created if needed), as one whole set.

    Files: ``daily.csv`` or ``daily.parquet`` (all seeds, one long table with a ``seed``
    column), ``cashflow.csv`` or ``cashflow.parquet`` (every seed's monthly cash flow, the same
    way: :func:`cashflow_long_table`), ``scenario.yaml`` (the full scenario), ``summary.json`` (version, scenario,
    seeds, per-seed KPIs and KPI bands) and ``manifest.json`` (each file's name and SHA-256),
    written last.

    The set changes as a whole: it is written into a hidden staging directory beside
    ``out_dir`` and swapped in with one rename (:func:`swap_dir`), so a reader — or a writer
    killed at any moment — leaves either the old complete set or the new one. When
    ``out_dir`` also holds other files (or is the working directory) it cannot be swapped:
    the manifest is then removed first and written last, so an interrupted write is always
    detectable (:func:`results_status`). Stale temporaries of killed writers are removed first.

    Args:
        ensemble: The runs to write.
        out_dir: Output directory.
        fmt: ``"csv"`` or ``"parquet"``.
        overwrite: Replace an existing result set (complete or not).

    Returns:
        The paths written (in ``out_dir``).

    Raises:
        OutputExistsError: A result file exists and ``overwrite`` is false (nothing is written).
        NotADirectoryError: ``out_dir`` is a file.
    """
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"table format must be one of {', '.join(TABLE_FORMATS)}, got {fmt!r}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(out))
    clean_stale_temps(out.parent, prefix=out.name)
    if out.is_dir():
        clean_stale_temps(out)
    present = existing_results(out)
    if present and not overwrite:
        raise OutputExistsError(out / present[0])
    names = results_files(fmt)
    if _owned(out):
        staging = new_temp_dir(out)
        try:
            with contextlib.suppress(OSError):
                staging.chmod(stat.S_IMODE(out.stat().st_mode))  # keep the directory's mode
            _write_set(ensemble, staging, fmt, overwrite=False)
            swap_dir(staging, out, replace=overwrite)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return [out / n for n in names]
    # a shared directory: replace in place; no manifest while the set is mixed
    with contextlib.suppress(FileNotFoundError):
        (out / MANIFEST_FILE).unlink()
    _fsync_dir(out)
    _write_set(ensemble, out, fmt, overwrite=True)
    for other in TABLE_FORMATS:
        for stem in (DAILY_STEM, CASHFLOW_STEM):
            stale = out / f"{stem}.{other}"
            if other != fmt and stale.is_file():
                stale.unlink()
    return [out / n for n in names]
