"""The data folder's own record of runs: one JSON line per finished run, ``<data>/runs.jsonl``.

Why a file and not only Prefect: ``dvc766 status`` must say how the last runs went without a Prefect
server (fast, read-only), and the alerts need to know what was already reported (drift is alerted the
first time a field is seen, not at every run). Every flow run appends its line where it runs (the CLI,
``dvc766 serve``, a worker sharing the data folder); a line is written whole with one ``write`` in
append mode, so concurrent runs never interleave within a line. A line that does not parse is skipped.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dvc766.settings import Settings

LOG_NAME = "runs.jsonl"
KEEP_READING = 2000  # lines read from the end: months of runs, in a few milliseconds


def log_path(settings: Settings) -> Path:
    return settings.data_dir / LOG_NAME


def append(settings: Settings, record: dict[str, Any]) -> str:
    """Append one run's record; returns "" or why it could not be written (never raises: the log
    must not fail the run it records)."""
    path = log_path(settings)
    line = json.dumps({"logged_at": datetime.now(UTC).isoformat(timespec="seconds"), **record},
                      ensure_ascii=False, default=str)  # fmt: skip
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)
    except OSError as exc:
        return f"run log {path} not written: {exc}"
    return ""


def read(settings: Settings, limit: int = KEEP_READING) -> list[dict[str, Any]]:
    """The last ``limit`` records, oldest first (none when there is no log yet)."""
    path = log_path(settings)
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 512 * limit))
            lines = fh.read().splitlines()[-limit:]
    except OSError:
        return []
    out = []
    for raw in lines:
        try:
            rec = json.loads(raw)
        except ValueError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def drift_seen(settings: Settings) -> set[str]:
    """Every drift field (``endpoint: new field path``) an earlier run already recorded."""
    return {str(d) for rec in read(settings) for d in rec.get("drift") or []}
