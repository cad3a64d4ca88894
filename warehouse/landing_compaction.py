"""Compacted landing partitions: one Parquet file per dataset × period, so a build opens a few
dozen files per dataset instead of one per batch.

Why: the landing zone holds one file per dataset × period × batch (a province's captures of a
run), ~2,100 per dataset for 60 months × 34 provinces. DuckDB pays a fixed cost per file and
column chunk opened, and a build reads each dataset two or three times: on the 60-month benchmark
the same build took 29 s over the batch files and 18 s over one file per partition
(benchmarks/README.md).

Layout: ``compact/<dataset>/period_type=<t>/period_key=<k>/<fingerprint>.parquet`` in the lake,
beside ``landing/``. The fingerprint covers the dataset's landing contract and every batch file of
the partition (path, size, modification time): a compact file stands for exactly the files it was
made from. A new batch, a reland (new files, new times) or a changed contract makes it stale, and
it is made again; the build only ever reads the compact files of the current fingerprints.

What it does not change: the batch files stay the landing zone's truth, append-only, and
``reland`` rebuilds them byte for byte. ``compact/`` is derived: it may be deleted at any time, and
the next compaction makes it again.

Rows: every row of the partition's batch files in file order (files in path order), in the
landing contract's columns and types (a column an older contract lacked is null, as DuckDB's
``union_by_name`` read it before), plus ``filename``: the batch file's URI, which the staging
models keep as ``source_file`` (lineage, and the dedupe of a capture landed twice).

Who compacts: the flows, right after each period's batches have landed (so the first build after a
backfill finds the work done), and every build, under its lock, for whatever is still stale
(an older landing zone, a batch landed by hand).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from itertools import groupby

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from dvc766.landing_schema import DATASETS
from dvc766.settings import Settings
from dvc766.storage import Store
from warehouse.incremental import LandingFile, LandingState, files_digest
from warehouse.inputs import parquet_files_sql, register_lake
from warehouse.lock import build_lock

log = logging.getLogger(__name__)

COMPACT = "compact"
FORMAT = "dvc766-compact-1"


@dataclass
class CompactionSummary:
    """What one compaction did: partitions made, already current, and stale files removed."""

    made: int = 0
    current: int = 0
    removed: int = 0
    rows: int = 0
    # dataset -> year -> URIs of the compact files standing for that year's batch files
    files: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def _partition_dir(f: LandingFile) -> str:
    return f.path.rsplit("/", 1)[0]


def fingerprint(dataset: str, files: list[LandingFile]) -> str:
    """The name a partition's compact file gets: its contract and its batch files, hashed."""
    return files_digest(files, FORMAT, str(DATASETS[dataset]))[:24]


def _compact_table(con: duckdb.DuckDBPyConnection, dataset: str, uris: list[str]) -> pa.Table:
    """Every row of ``uris`` (in order) in the contract's columns, plus ``filename``."""
    got = con.execute(
        f"select * from read_parquet({parquet_files_sql(uris)}, union_by_name = true, filename = true)"
    ).to_arrow_table()
    schema = DATASETS[dataset]
    columns = []
    for f in schema:
        if f.name in got.column_names:
            columns.append(got.column(f.name).cast(f.type))
        else:
            columns.append(pa.nulls(got.num_rows, f.type))
    columns.append(got.column("filename").cast(pa.string()))
    fields = [pa.field(f.name, f.type) for f in schema] + [pa.field("filename", pa.string())]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", compression_level=1, use_dictionary=True, version="2.6")
    return buf.getvalue()


def compact_landing(
    lake: Store,
    landing: LandingState,
    *,
    periods: set[tuple[str, str]] | None = None,
) -> CompactionSummary:
    """Make the compact file of every stale partition of ``landing`` (or only of ``periods``, as
    ``(period_type, period_key)`` pairs) and remove the compact files no partition stands behind.

    With ``periods`` given only those partitions' folders are tidied, so a flow compacting the
    months it landed never touches a file a build elsewhere may be reading. The summary's
    ``files`` lists, per dataset and year, the compact files for the partitions looked at.
    """
    landing_store, compact_store = lake.sub("landing"), lake.sub(COMPACT)
    if periods is None:
        existing = {f.path for f in compact_store.stat_files(suffix=".parquet")}
    else:  # only the folders of those periods: a flow calls this once per period landed
        existing = {
            f.path
            for dataset in landing.files
            for rel in _period_dirs(dataset, periods)
            for f in compact_store.stat_files(rel, suffix=".parquet")
        }
    summary = CompactionSummary()
    wanted: set[str] = set()
    looked_at: set[str] = set()
    con: duckdb.DuckDBPyConnection | None = None
    try:
        for dataset, by_year in sorted(landing.files.items()):
            for year, files in sorted(by_year.items()):
                for part, group in groupby(files, key=_partition_dir):
                    part_files = list(group)
                    if periods is not None and _period_of(part) not in periods:
                        continue
                    rel = f"{part}/{fingerprint(dataset, part_files)}.parquet"
                    wanted.add(rel)
                    looked_at.add(part)
                    summary.files.setdefault(dataset, {}).setdefault(year, []).append(compact_store.uri(rel))
                    if rel in existing:
                        summary.current += 1
                        continue
                    if con is None:
                        con = duckdb.connect()
                        con.execute("set TimeZone = 'UTC'")  # timestamps come back as the contract's UTC
                        # Every file is read once: DuckDB's cache of file contents only grew (a
                        # 60-month compaction held 1.2 GB without these two settings, 0.5 GB with).
                        con.execute("set memory_limit = '256MB'")
                        con.execute("set enable_external_file_cache = false")
                        register_lake(con, landing_store)
                    table = _compact_table(con, dataset, [landing_store.uri(f.path) for f in part_files])
                    compact_store.write_bytes(rel, _parquet(table))
                    summary.made += 1
                    summary.rows += table.num_rows
    finally:
        if con is not None:
            con.close()
    for rel in sorted(existing - wanted):
        if periods is None or rel.rsplit("/", 1)[0] in looked_at:
            compact_store.delete_file(rel)
            summary.removed += 1
    if summary.made or summary.removed:
        log.info(
            "compacted %d landing partition(s) (%d rows), %d current, %d stale file(s) removed",
            summary.made,
            summary.rows,
            summary.current,
            summary.removed,
        )
    return summary


def _period_of(part: str) -> tuple[str, str]:
    """``<dataset>/period_type=<t>/period_key=<k>`` -> ``(t, k)``."""
    _dataset, ptype, pkey = part.split("/")[-3:]
    return ptype.removeprefix("period_type="), pkey.removeprefix("period_key=")


def compact_for_build(lake: Store, landing: LandingState) -> dict[str, dict[str, list[str]]] | None:
    """The compact files a build reads (every stale partition made first), or None when they could
    not be made — a lake the build may read but not write, a full disk: the build then reads the
    batch files themselves, slower, as it did before compaction existed, and says so in the log."""
    try:
        return compact_landing(lake, landing).files
    except (OSError, duckdb.Error, pa.ArrowException) as exc:
        log.warning("building from the batch files: compacting failed (%s: %s)", type(exc).__name__, exc)
        return None


def compact_periods(
    settings: Settings, periods: set[tuple[str, str]] | None = None
) -> CompactionSummary | None:
    """Compact the partitions of ``periods`` (all of them when None) once a flow has landed them.

    Under the build lock, so a build on this data folder never reads a compact file being replaced;
    a build that holds it longer than a few seconds, or any failure here, only leaves the work to
    the next build (which compacts whatever is stale), so it is logged and the run goes on.
    """
    try:
        with build_lock(settings.data_dir / ".build.lock", timeout_s=5.0):
            lake = Store.lake(settings)
            dirs = None if periods is None else (lambda d: _period_dirs(d, periods))
            landing = LandingState.scan(lake.sub("landing"), DATASETS, dirs=dirs)
            return compact_landing(lake, landing, periods=periods)
    except Exception as exc:  # the build compacts what is left; a run never fails on it
        log.warning("landing compaction left to the build (%s: %s)", type(exc).__name__, exc)
        return None


def _period_dirs(dataset: str, periods: set[tuple[str, str]]) -> list[str]:
    return [f"{dataset}/period_type={t}/period_key={k}" for t, k in sorted(periods)]
