"""Atomic, no-clobber output writing: text, bytes, tables and the results of a run.

Every file Siyu writes goes through :func:`atomic_path`: the content is written to a hidden
temporary file in the target's own directory, flushed and ``fsync``-ed, and only then moved
into place — with a hard link (which fails if the target exists, so nothing is ever silently
overwritten) or, when ``overwrite=True``, with :func:`os.replace`. A reader therefore sees
either the old file, or the complete new one, never a partial file; on any error the
temporary file is removed. :func:`write_results` writes the standard output set of a run
(``daily.csv``/``daily.parquet``, ``scenario.yaml``, ``summary.json``); the CLI and the
dashboard share these writers.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.results import KPI_INFO, Ensemble

__all__ = [
    "OutputExistsError",
    "TABLE_FORMATS",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "daily_long_table",
    "existing_results",
    "package_version",
    "results_files",
    "summary_dict",
    "write_results",
    "write_table",
]

TABLE_FORMATS = ("csv", "parquet")
DAILY_STEM = "daily"
SUMMARY_FILE = "summary.json"
SCENARIO_FILE = "scenario.yaml"


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
    """Create an empty hidden temporary file next to ``target`` (mode 0666 minus the umask)."""
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
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
    """File names :func:`write_results` creates for a table format."""
    return [f"{DAILY_STEM}.{fmt}", SCENARIO_FILE, SUMMARY_FILE]


def existing_results(out_dir: str | os.PathLike[str]) -> list[str]:
    """Names of result files (of any table format) already present in ``out_dir``."""
    names = dict.fromkeys(n for fmt in TABLE_FORMATS for n in results_files(fmt))
    out = Path(out_dir)
    return [n for n in names if (out / n).exists()]


def write_results(ensemble: Ensemble, out_dir: str | os.PathLike[str], fmt: str = "csv",
                  overwrite: bool = False) -> list[Path]:
    """Write the results of a run into ``out_dir`` (created if needed).

    Files: ``daily.csv`` or ``daily.parquet`` (all seeds, one long table with a ``seed``
    column), ``scenario.yaml`` (the full scenario) and ``summary.json`` (version, scenario,
    seeds, per-seed KPIs and KPI bands), written last. With ``overwrite``, a daily table of the
    other format left by an earlier run is removed so the directory describes one run only.

    Args:
        ensemble: The runs to write.
        out_dir: Output directory.
        fmt: ``"csv"`` or ``"parquet"``.
        overwrite: Replace existing result files.

    Returns:
        The paths written.

    Raises:
        OutputExistsError: A result file exists and ``overwrite`` is false (nothing is written).
    """
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"table format must be one of {', '.join(TABLE_FORMATS)}, got {fmt!r}")
    out = Path(out_dir)
    if not overwrite:
        present = existing_results(out)
        if present:
            raise OutputExistsError(out / present[0])
    out.mkdir(parents=True, exist_ok=True)
    written: Sequence[Path] = [
        write_table(daily_long_table(ensemble), out / f"{DAILY_STEM}.{fmt}", fmt, overwrite),
        atomic_write_text(out / SCENARIO_FILE, ensemble.scenario.to_yaml(), overwrite),
        atomic_write_json(out / SUMMARY_FILE, summary_dict(ensemble), overwrite),
    ]
    if overwrite:
        for other in TABLE_FORMATS:
            stale = out / f"{DAILY_STEM}.{other}"
            if other != fmt and stale.is_file():
                stale.unlink()
    return list(written)
