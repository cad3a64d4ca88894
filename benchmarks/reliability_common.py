"""What the reliability suite's parts share: the settings a fast run uses against the replica, the
periods and fault kinds, and how two warehouses are compared ("the same warehouse": every mart's rows
hashed one by one, without the columns that say *when* a capture was taken).
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from dvc766.endpoints import ONLINE_TREE, PROGRESS_TREE, SERVICE_RESULTS, SHAPE_A_GROUP, TREE_GROUP
from dvc766.periods import Period
from dvc766.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "reliability.json"
# Columns that record when (not what) a capture was taken: they differ between two runs by design.
# Columns that describe *when* and *how often* something was captured, not what the portal said:
# a killed run followed by a re-run captures at other times than an uninterrupted run, and
# fct_unit_score.score_capture_count counts the captures that won per group (a kill during fetch
# spreads a province's groups over two capture times: same scores, another count).
RUN_SPECIFIC = frozenset(
    {
        "captured_at",
        "capture_id",
        "is_current",
        "prev_captured_at",
        "valid_from",
        "valid_to",
        "built_at",
        "raw_sha256",
        "score_capture_count",
    }
)
# The replica's clock: a closed month (February 2026, v1; October 2025, legacy) asked in October 2026.
CLOCK_START = datetime(2026, 10, 5, 10, 0)
V1_PERIOD = Period.month(2026, 2)
LEGACY_PERIOD = Period.month(2025, 10)

# Endpoint families and their endpoints (the reduced matrix takes the first of each).
FAMILIES: dict[str, tuple[str, ...]] = {
    "service-results": (SERVICE_RESULTS,),
    "shape-a": tuple(SHAPE_A_GROUP),
    "tree": tuple(TREE_GROUP),
    "legacy": ("report_tinh_766_service",),
}
# Fault kind -> what the run must do: recover in-run ("recover"), or reject the body and fail that
# province with this error kind (the raw body kept as ``rejected:<kind>``).
EXPECT: dict[str, str] = {
    "latency": "recover",
    "5xx": "recover",
    "429": "recover",
    "reset": "recover",
    "truncated": "recover",
    "waf": "blocked",
    "wrong-province": "wrong_scope",
    "renamed-field": "schema_change",
    "empty-month": "not_published",
    "wrong-period": "wrong_period",
    "duplicate-key": "malformed",
}
KINDS = tuple(EXPECT)
# A wrong-period answer is told by its content only where the body charts its months (the trees'
# and service-results' charts, flows/sources/v1/period.py); Shape A, the payment tree and the legacy
# rows carry no period, so the matrix does not try it there (docs/architecture.md says so).
PERIOD_BEARING = frozenset({SERVICE_RESULTS, PROGRESS_TREE, ONLINE_TREE})


def applies(kind: str, endpoint: str) -> bool:
    """Whether the matrix tries a fault kind on an endpoint."""
    return kind != "wrong-period" or endpoint in PERIOD_BEARING


# Capture history: every capture of an answer is a row, so a re-run that asks again adds rows that
# equal earlier ones but for their time; these tables compare as sets of rows.
HISTORY_TABLES = frozenset(
    {
        "fct_indicator_capture",
        "fct_unit_sighting",
        "fct_reported_series",
        "fct_procedure_indicator",
        "fct_score_check",  # one row per capture: a re-run's second capture of a period adds its check
    }
)
# Version histories compare on their current versions: a faulted run keeps the good captures of a
# failed batch, and a capture without unit IDs (service-results) is a sighting that opens a version
# of its own (see the report of issue 7); the versions a clean run ends with must be the same.
CURRENT_ONLY = frozenset({"dim_unit"})
# Sightings compare without the portal ID: service-results names units without IDs, and whether
# that ID-less sighting is picked away depends on whether another endpoint saw the unit in the same
# second (it does in one run and not in another). IDs are compared through dim_unit.
TABLE_RUN_SPECIFIC = {"fct_unit_sighting": frozenset({"unit_id", "id_kind"})}


def fast_env(data_dir: Path, portal_url: str) -> dict[str, str]:
    """Environment for CLI runs against the replica: no pacing, short timeouts and backoff."""
    return {
        "DVC766_DATA_DIR": str(data_dir),
        "DVC766_PORTAL_URL": portal_url,
        "DVC766_PACING_S": "0",
        "DVC766_JITTER_S": "0",
        "DVC766_CONNECT_TIMEOUT_S": "2",
        "DVC766_READ_TIMEOUT_S": "0.4",
        "DVC766_MAX_RETRIES": "3",
        "DVC766_BACKOFF_BASE_S": "0.01",
        "DVC766_BACKOFF_MAX_S": "0.05",
        "DVC766_MAX_BLOCKS": "20",
        "DVC766_V1_CUTOVER": "2026-01",
        "DVC766_BACKFILL_CONCURRENCY": "1",
    }


def fast_settings(data_dir: Path, portal_url: str) -> Settings:
    """The same settings as :func:`fast_env`, as an object for in-process runs."""
    saved = dict(os.environ)
    try:
        os.environ.update(fast_env(data_dir, portal_url))
        return Settings.from_env()
    finally:
        os.environ.clear()
        os.environ.update(saved)


# --- comparing warehouses -------------------------------------------------------------------------


def marts_digest(warehouse: Path) -> dict[str, Counter[str]]:
    """Per table (seeds and build info excluded): the multiset of its rows' hashes, run-specific
    columns left out. Opened read-only, as an analyst would."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [
            n
            for (n,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main' "
                "order by table_name"
            ).fetchall()
            if not n.startswith(("_", "seed_"))
        ]
        out: dict[str, Counter[str]] = {}
        for name in names:
            cols = [
                c
                for (c, *_rest) in con.execute(f'describe "{name}"').fetchall()
                if c not in RUN_SPECIFIC and c not in TABLE_RUN_SPECIFIC.get(name, ())
            ]
            # the row as DuckDB prints a struct (NULL stays NULL, text stays quoted), hashed in SQL
            packed = ", ".join(f'"{c}"' for c in cols)
            where = " where is_current" if name in CURRENT_ONLY else ""
            sql = f'select md5(cast(row({packed}) as varchar)) from "{name}"{where}'
            hashes = [h for (h,) in con.execute(sql).fetchall()]
            out[name] = Counter(set(hashes)) if name in HISTORY_TABLES else Counter(hashes)
        return out
    finally:
        con.close()


def digest_diff(got: dict[str, Counter[str]], want: dict[str, Counter[str]]) -> list[str]:
    """Human-readable differences between two digests; empty when the warehouses agree."""
    out = []
    for table in sorted(set(got) | set(want)):
        a, b = got.get(table, Counter()), want.get(table, Counter())
        if a != b:
            out.append(
                f"{table}: {sum((a - b).values())} rows not in the reference, "
                f"{sum((b - a).values())} reference rows missing ({sum(a.values())} vs {sum(b.values())})"
            )
    return out


def rows_missing(got: dict[str, Counter[str]], want: dict[str, Counter[str]]) -> int:
    """Reference rows absent from ``got``: the "rows lost" figure."""
    return sum(sum((want[t] - got.get(t, Counter())).values()) for t in want)


def published_problems(warehouse: Path) -> list[str]:
    """Why the published warehouse is not usable (empty when it opens read-only and every check
    passes); a missing file is not a problem (nothing was ever published)."""
    from warehouse.checks import failures, load_checks, run_checks

    if not warehouse.exists():
        return []
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        return [f"published warehouse does not open read-only: {exc}"]
    try:
        results = run_checks(con, load_checks())
        return [f"check failed: {f.describe()}" for f in failures(results)]
    except duckdb.Error as exc:
        return [f"checks cannot run on the published warehouse: {exc}"]
    finally:
        con.close()


def torn_files(data_dir: Path) -> list[str]:
    """Files that a finished (or killed) run must not leave under a final name half-written:
    landing Parquet that does not open and raw bodies that are not gzip."""
    import gzip

    import pyarrow.parquet as pq

    bad = []
    for p in sorted((data_dir / "landing").rglob("*.parquet")):
        try:
            pq.read_metadata(p)
        except Exception as exc:  # any unreadable file is torn
            bad.append(f"{p}: {exc}")
    for p in sorted((data_dir / "raw").rglob("*.json.gz")):
        try:
            gzip.decompress(p.read_bytes())
        except Exception as exc:
            bad.append(f"{p}: {exc}")
    return bad


def digest_extra(got: dict[str, Counter[str]], reference: dict[str, Counter[str]]) -> list[str]:
    """Tables of ``got`` holding rows the reference does not (a partial warehouse may lack rows,
    but every row it has must be one a clean run also publishes). Ranks and derived report tables
    compare against neighbours and a unit's current version may be a partial run's sighting, so
    only the per-capture facts and the periods are held to this."""
    out = []
    for table in ("fct_indicator_capture", "fct_indicator", "dim_period"):
        extra = got.get(table, Counter()) - reference.get(table, Counter())
        if extra:
            out.append(f"{table}: {sum(extra.values())} rows")
    return out


class Clock:
    """Moves the replica's frozen clock a second per run: a re-run is a later capture, as on the
    real portal (two captures of one body in the same second would share a capture id). Seconds,
    not minutes: the replica caches answers per clock hour, and a suite stays inside one hour."""

    def __init__(self, replica: Any, start: datetime = CLOCK_START) -> None:
        self.replica = replica
        self.now = start

    def tick(self) -> None:
        self.now += timedelta(seconds=1)
        self.replica.set_now(self.now)
