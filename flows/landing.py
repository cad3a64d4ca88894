"""The Parquet landing zone: normalised rows of each batch of captures, hive-partitioned by period.

Layout: ``landing/<dataset>/period_type=<t>/period_key=<k>/<scope>__<batch_id>.parquet``, one file
per dataset × period × scope of a batch (a batch = the captures of one province × period × run).

Why batches and not captures: a province's transparency and satisfaction rows name units only by
UUID; the codes come from the batch's tree captures (``normalise.build_id_to_code``). Landing and
relanding must therefore see the same set of captures together, which is what ``batch_id`` records.

Contract with the flows: before ``RawStore.put(capture)``, the caller sets
``capture.extra["batch_id"] = batch_id`` (the same id later passed to :func:`write_batch`). The id
is stored in the manifest record, so :func:`reland` can regroup the raw captures into the same
batches and write the same files, byte for byte. ``write_batch`` refuses captures whose
``extra["batch_id"]`` is missing or different, because those could never be relanded.

Determinism: captures are normalised in ``capture_id`` order, rows are sorted on the key columns
(a stable sort), written without a pandas index with fixed snappy compression and the same writer
options, so the same captures always give the same bytes. Writes are atomic (``Store.write_bytes``).

YTD values derived from months (``sql/marts/fct_indicator_derived.sql``) are *not* landed: they are a function of
landed month rows, so the warehouse computes them at build time and ``reland`` stays exact.
"""

from __future__ import annotations

import io
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from dvc766.landing_schema import DATASETS
from dvc766.provinces import is_safe_scope
from dvc766.settings import Settings
from dvc766.storage import Store
from flows.capture import Capture
from flows.errors import PortalError
from flows.gc_policy import collect_less_often, gc_paused
from flows.normalise import build_id_to_code, normalise
from flows.raw_store import RawStore
from warehouse.landing_compaction import JUST_WRITTEN, compact_periods

log = logging.getLogger(__name__)

LANDING = "landing"
_BATCH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.~\-]{0,127}$")
SORT_KEYS: dict[str, list[str]] = {
    "unit_scores": ["unit_code", "group_code", "endpoint", "capture_id"],
    "indicator_values": ["unit_code", "indicator_code", "endpoint", "capture_id"],
    "units_seen": ["unit_code", "endpoint", "capture_id"],
    "procedure_unit_scores": ["unit_code", "formality_id", "group_code", "endpoint", "capture_id"],
    "procedure_indicator_values": ["unit_code", "formality_id", "indicator_code", "endpoint", "capture_id"],
    "schema_drift": ["endpoint", "field_path", "capture_id"],
    "reported_series": ["unit_code", "series_code", "series_month", "endpoint", "capture_id"],
    "formalities": ["formality_code", "formality_id", "capture_id"],
}


class LandingError(Exception):
    """A batch cannot be landed as asked (unsafe batch id or scope, batch id not recorded)."""


def _check_batch_id(batch_id: str) -> None:
    if not _BATCH_RE.fullmatch(batch_id) or ".." in batch_id:
        raise LandingError(f"batch id {batch_id!r} is not safe inside a file name")


def parquet_bytes(table: pa.Table) -> bytes:
    """One deterministic Parquet encoding for every landing file.

    Snappy, not zstd: a batch file is written on the run's hot path and read back rarely (the flows
    compact what they have just landed from memory, builds read the compact files, which are zstd).
    A month's 140 files took 0.21 s to write with zstd and take 0.10 s with snappy, for 2.4 MB
    instead of 2.0 MB (benchmarks/README.md).
    """
    buf = io.BytesIO()
    pq.write_table(
        table,
        buf,
        compression="snappy",
        use_dictionary=True,
        write_statistics=True,
        store_schema=True,
        version="2.6",
    )
    return buf.getvalue()


def _tables_for(
    captures: list[Capture], drift_mode: str = "record"
) -> dict[tuple[str, str, str, str], list[pa.Table]]:
    """Normalise every capture of a batch (UUID→code from the whole batch), grouped by output file."""
    ordered = sorted(captures, key=lambda c: (c.capture_id, c.endpoint, c.scope))
    out: dict[tuple[str, str, str, str], list[pa.Table]] = defaultdict(list)
    with gc_paused():
        id_to_code = build_id_to_code(ordered)
        for c in ordered:
            for name, table in normalise(c, id_to_code, drift_mode).items():
                if table.num_rows:
                    out[(name, c.period.period_type, c.period.key, c.scope)].append(table)
    return out


def _rel(root: str, name: str, ptype: str, pkey: str, scope: str, batch_id: str) -> str:
    return f"{root}/{name}/period_type={ptype}/period_key={pkey}/{scope}__{batch_id}.parquet"


def expected_files(captures: list[Capture], batch_id: str, drift_mode: str = "record") -> set[str]:
    """The landing files (relative to the data dir) :func:`write_batch` makes for this batch: one
    per dataset × period × scope with rows. A batch is landed only when every one of them exists
    (a run killed, or a disk that filled up, between two of them leaves the batch part-landed).
    Raises the normaliser's PortalError like :func:`write_batch`."""
    return {_rel(LANDING, *key, batch_id) for key in _tables_for(captures, drift_mode)}


def _write(
    store: Store, root: str, captures: list[Capture], batch_id: str, drift_mode: str = "record"
) -> dict[str, int]:
    _check_batch_id(batch_id)
    for c in captures:
        got = c.extra.get("batch_id")
        if got != batch_id:
            raise LandingError(
                f"capture {c.capture_id} ({c.endpoint} {c.scope}) has extra['batch_id']={got!r}, not "
                f"{batch_id!r}: set it before RawStore.put so reland can rebuild this batch"
            )
        if not is_safe_scope(c.scope):
            raise LandingError(f"scope {c.scope!r} is not safe inside a file name")
    # Normalise everything first: one bad capture writes nothing of the batch.
    grouped = _tables_for(captures, drift_mode)
    counts = dict.fromkeys(DATASETS, 0)
    for (name, ptype, pkey, scope), tables in sorted(grouped.items()):
        table = pa.concat_tables(tables).sort_by([(k, "ascending") for k in SORT_KEYS[name]])
        rel = _rel(root, name, ptype, pkey, scope, batch_id)
        data = parquet_bytes(table)
        store.write_bytes(rel, data)
        if root == LANDING:  # compacting this period next need not read the file back
            JUST_WRITTEN.remember(store.uri(rel), len(data), table)
        counts[name] += table.num_rows
    return counts


def write_batch(settings: Settings, captures: list[Capture], batch_id: str) -> dict[str, int]:
    """Normalise and land one batch; returns rows landed per dataset.

    Raises the normaliser's PortalError subclasses (SchemaChangeError, QuarantineError,
    WrongScopeError, NotPublishedError) before anything is written, and :class:`LandingError` for a
    batch that could not be relanded later. Pass only captures stored with outcome ``ok``.
    """
    return _write(Store.lake(settings), LANDING, captures, batch_id, settings.schema_drift)


@dataclass
class RelandSummary:
    batches: int = 0
    captures: int = 0
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DATASETS, 0))
    skipped_not_ok: int = 0
    skipped_no_batch: list[str] = field(default_factory=list)
    unreadable_records: list[tuple[str, str]] = field(default_factory=list)
    failed_batches: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "batches": self.batches,
            "captures": self.captures,
            "rows": dict(self.rows),
            "skipped_not_ok": self.skipped_not_ok,
            "skipped_no_batch": list(self.skipped_no_batch),
            "unreadable_records": list(self.unreadable_records),
            "failed_batches": list(self.failed_batches),
        }


def reland(settings: Settings) -> RelandSummary:
    """Rebuild ``landing/`` from ``raw/`` alone (only ``ok`` captures), regrouped by batch id.

    Builds into ``landing.reland-tmp/`` and puts it in place only at the end
    (:meth:`dvc766.storage.Store.replace_dir`), so a crash mid-way leaves the old landing zone as it
    was (the next reland clears the leftover temporary folder); on object storage each file is
    replaced whole.

    A batch whose captures do not normalise (a PortalError such as QuarantineError) landed nothing
    when it was first written either (``write_batch`` normalises the whole batch before writing),
    so it is skipped and listed in ``failed_batches``: the rebuild matches the original. A body
    failing its sha256 (``RawIntegrityError``) aborts the reland before the swap: the raw store is
    damaged and the old landing zone is the better copy. Captures without a batch id (stored by
    hand, or before batches existed) are listed in ``skipped_no_batch``, not landed.
    """
    collect_less_often()  # every raw body parsed and normalised again (flows.gc_policy)
    store = Store.lake(settings)
    raw = RawStore(settings)
    tmp = f"{LANDING}.reland-tmp"
    store.delete_dir(tmp)

    summary = RelandSummary()
    batches: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in raw.manifest():
        if rec.get("outcome") != "ok":
            summary.skipped_not_ok += 1
            continue
        batch_id = (rec.get("extra") or {}).get("batch_id")
        if not isinstance(batch_id, str):
            summary.skipped_no_batch.append(rec["capture_id"])
            continue
        batches[batch_id].append(rec)
    summary.unreadable_records = list(raw.manifest_errors)

    store.fs.create_dir(store.path(tmp), recursive=True)
    try:
        for batch_id in sorted(batches):
            captures = [raw.load(rec) for rec in batches[batch_id]]
            try:
                counts = _write(store, tmp, captures, batch_id, settings.schema_drift)
            except PortalError as exc:
                summary.failed_batches.append((batch_id, f"{exc.kind}: {exc}"))
                log.warning("reland: batch %s not landed (%s: %s)", batch_id, exc.kind, exc)
                continue
            summary.batches += 1
            summary.captures += len(captures)
            for k, v in counts.items():
                summary.rows[k] += v
    except BaseException:
        store.delete_dir(tmp)  # a damaged body stops the reland: nothing half-built is left behind
        raise

    store.replace_dir(tmp, LANDING)
    # Every batch file is new (new modification times), so every compact file is stale: made again
    # here, where a long rebuild is expected, rather than by the next build.
    compact_periods(settings)
    log.info("reland: %s", summary.as_dict())
    return summary
