"""Helpers for tests that read a published warehouse the way analysts do, or run the CLI against
the local replica. One copy here instead of one per test module."""

from __future__ import annotations

from pathlib import Path

import duckdb


def query(path: Path, sql: str) -> list[tuple]:
    """Rows of ``sql`` against the warehouse at ``path``, opened read-only (as an analyst would)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def replica_env(data: Path, portal_url: str) -> dict[str, str]:
    """The environment of a CLI run against the replica: its own data folder, no pacing, v1 from 2026-01."""
    return {
        "DVC766_DATA_DIR": str(data),
        "DVC766_PORTAL_URL": portal_url,
        "DVC766_PACING_S": "0",
        "DVC766_JITTER_S": "0",
        "DVC766_V1_CUTOVER": "2026-01",
    }
