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

Reading back: a flow compacts the batch files it has just written, so the landing step hands each
table it writes to :data:`JUST_WRITTEN` (this process only, a few hundred thousand rows at most),
and a partition whose every batch file is there, at the size written, is compacted without reading
a file (a month's 140 files read back were 0.2 s of its 0.3 s compaction). Anything else is read
from the lake, as it always is.
"""

from __future__ import annotations

import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
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


class JustWritten:
    """The landing tables this process has just written, by file URI, until compaction takes them.

    Batch files are written once and never changed in place (a reland writes new files, with the
    same bytes), so a file still at the size this process wrote holds exactly the table it was
    written from. Bounded by rows: the oldest tables go first, and a table not taken is only a file
    read back later. Thread-safe: a run lands its provinces' batches in parallel threads.
    """

    def __init__(self, max_rows: int = 500_000) -> None:
        self.max_rows = max_rows
        self._tables: OrderedDict[str, tuple[int, pa.Table]] = OrderedDict()
        self._rows = 0
        self._lock = threading.Lock()

    def remember(self, uri: str, size: int, table: pa.Table) -> None:
        with self._lock:
            self._drop(uri)
            if table.num_rows > self.max_rows:
                return
            self._tables[uri] = (size, table)
            self._rows += table.num_rows
            while self._rows > self.max_rows:
                self._drop(next(iter(self._tables)))

    def take(self, files: list[tuple[str, int]]) -> list[pa.Table] | None:
        """The tables of every ``(uri, size)``, in order, or None when any is not here as written;
        either way they are forgotten (a partition is compacted once per set of files)."""
        with self._lock:
            got = [self._tables.get(uri) for uri, _ in files]
            for uri, _ in files:
                self._drop(uri)
        if all(g is not None and g[0] == size for g, (_, size) in zip(got, files, strict=True)):
            return [g[1] for g in got if g is not None]
        return None

    def clear(self) -> None:
        with self._lock:
            self._tables.clear()
            self._rows = 0

    def _drop(self, uri: str) -> None:
        old = self._tables.pop(uri, None)
        if old is not None:
            self._rows -= old[1].num_rows


JUST_WRITTEN = JustWritten()


def _compact_table(
    reader: Callable[[], duckdb.DuckDBPyConnection], dataset: str, files: list[tuple[str, int]]
) -> pa.Table:
    """Every row of ``files`` (URI and size, in order) in the contract's columns, plus
    ``filename``: from the tables this process wrote when it wrote them all, else read back
    through ``reader()``."""
    uris = [uri for uri, _ in files]
    written = JUST_WRITTEN.take(files)
    if written is not None:
        got = pa.concat_tables(written, promote_options="permissive")
        rows_per_file = np.repeat(np.arange(len(uris)), [t.num_rows for t in written])
        got = got.append_column("filename", pc.take(pa.array(uris, pa.string()), rows_per_file))
    else:
        got = (
            reader()
            .execute(
                f"select * from read_parquet({parquet_files_sql(uris)}, union_by_name = true, filename = true)"
            )
            .to_arrow_table()
        )
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
    opened: list[duckdb.DuckDBPyConnection] = []

    def reader() -> duckdb.DuckDBPyConnection:  # opened at the first partition read back, if any
        if not opened:
            opened.append(_reader(landing_store))
        return opened[0]

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
                    files = [(landing_store.uri(f.path), f.size) for f in part_files]
                    table = _compact_table(reader, dataset, files)
                    compact_store.write_bytes(rel, _parquet(table))
                    summary.made += 1
                    summary.rows += table.num_rows
    finally:
        for con in opened:
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


def _reader(landing_store: Store) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")  # timestamps come back as the contract's UTC
    # Every file is read once: DuckDB's cache of file contents only grew (a 60-month compaction held
    # 1.2 GB without these two settings, 0.5 GB with).
    con.execute("set memory_limit = '256MB'")
    con.execute("set enable_external_file_cache = false")
    register_lake(con, landing_store)
    return con


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
        with build_lock(settings.data_dir / ".build.lock", timeout_s=5.0, on_wait=log.info):
            lake = Store.lake(settings)
            dirs = None if periods is None else (lambda d: _period_dirs(d, periods))
            landing = LandingState.scan(lake.sub("landing"), DATASETS, dirs=dirs)
            return compact_landing(lake, landing, periods=periods)
    except Exception as exc:  # the build compacts what is left; a run never fails on it
        log.warning("landing compaction left to the build (%s: %s)", type(exc).__name__, exc)
        return None


def _period_dirs(dataset: str, periods: set[tuple[str, str]]) -> list[str]:
    return [f"{dataset}/period_type={t}/period_key={k}" for t, k in sorted(periods)]
