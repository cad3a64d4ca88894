"""Where a build writes, how the finished file replaces the published one, and how readers open it.

Why a temporary file next to the published one: ``os.replace`` is atomic only within one
filesystem, and readers that already hold the old file open keep reading it undisturbed. Why a
pinned storage version: analysts open the file with the ``duckdb-cli`` package, which may lag the
library the pipeline writes with; a file written in the older storage format opens in both.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

# The oldest storage format the analysts' CLI line (duckdb-cli 1.5.x) reads.
STORAGE_VERSION = "v1.5.0"


class NoWarehouseError(FileNotFoundError):
    """There is no published warehouse file yet."""


def building_path(warehouse_path: Path, pid: int | None = None) -> Path:
    """The private file one build writes into: ``warehouse.duckdb.building-<pid>``."""
    return warehouse_path.with_name(f"{warehouse_path.name}.building-{pid or os.getpid()}")


def discard(path: Path) -> None:
    """Remove a build's file and its write-ahead log, if present."""
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def connect_for_build(path: Path, *, fresh: bool = True) -> duckdb.DuckDBPyConnection:
    """A database file written in the pinned storage format: a new one, or (``fresh=False``) the
    copy of the published file an incremental build works in (it keeps the format it was made in)."""
    if fresh:
        discard(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), config={"storage_compatibility_version": STORAGE_VERSION})


def publish(built: Path, warehouse_path: Path) -> None:
    """Atomically put a closed, checkpointed build file in place of the published warehouse."""
    with open(built, "rb") as f:
        os.fsync(f.fileno())
    os.replace(built, warehouse_path)
    built.with_name(built.name + ".wal").unlink(missing_ok=True)
    dir_fd = os.open(warehouse_path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def open_readonly(warehouse_path: Path) -> duckdb.DuckDBPyConnection:
    """Open the published warehouse read-only, as analysts and reports do."""
    if not warehouse_path.is_file():
        raise NoWarehouseError(f"no warehouse yet at {warehouse_path} — run dvc766 build")
    return duckdb.connect(str(warehouse_path), read_only=True)
