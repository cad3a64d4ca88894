"""The raw store: every portal response kept forever, byte-exact, with a manifest record beside it.

Layout under the data dir (through :class:`dvc766.storage.Store`, so it can live on S3 too)::

    raw/<api>/<endpoint with "/" → "__">/<period_key>/<scope>/<capture_id>.json.gz   the body, gzip
    raw/<api>/<endpoint with "/" → "__">/<period_key>/<scope>/<capture_id>.meta.json the record

Why this shape: everything downstream can be rebuilt from ``raw/`` alone (``landing.reland``), so a
body must never change once written. ``put`` is append-only: the same capture twice (same
``capture_id`` and the same bytes) is a no-op; anything else under an existing name is an error.
The gzip is deterministic (``mtime=0``, no file name) so identical bodies give identical files.
The body is written before its record: a crash between the two leaves a body without a record
(invisible to ``manifest()``, healed by the next ``put`` of the same capture), never a record that
points at nothing.

A capture can have more than one record, each a file of its own and never rewritten: the same body
captured again in the same second under another batch gets ``<capture_id>.r2.meta.json`` (and so on),
and a capture the normaliser later quarantines gets an appended record whose ``outcome`` is
``rejected:<kind>`` with a ``reason`` (:meth:`RawStore.amend_outcome`). Within a batch, the newest
record of a capture is the one that counts.

Scope and period come from the capture, not from the portal's answer, but are still checked before
they become path parts: the scope must be ``national`` or a safe unit code.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import zlib
from datetime import datetime
from typing import Any

from dvc766.periods import Period
from dvc766.provinces import is_safe_scope
from dvc766.settings import Settings
from dvc766.storage import Store
from flows.capture import APIS, Capture

log = logging.getLogger(__name__)

RAW = "raw"
BODY_SUFFIX = ".json.gz"
META_SUFFIX = ".meta.json"
_ENDPOINT_RE = re.compile(r"^[a-z0-9_\-]+(/[a-z0-9_\-]+)*$")
_OUTCOME_RE = re.compile(r"^ok$|^rejected:[a-z_]+$")
_CAPTURE_ID_RE = re.compile(r"^\d{8}T\d{6}Z_[0-9a-f]{12}$")


class RawStoreError(Exception):
    """The raw store refused an operation (would overwrite, unsafe path part, bad record)."""


class RawIntegrityError(RawStoreError):
    """A stored body no longer matches the sha256 its record holds."""


def _record_seq(name: str, capture_id: str) -> int | None:
    """1 for ``<capture_id>.meta.json``, N for ``<capture_id>.rN.meta.json``, None otherwise."""
    if not name.startswith(capture_id) or not name.endswith(META_SUFFIX):
        return None
    middle = name[len(capture_id) : -len(META_SUFFIX)]
    if middle == "":
        return 1
    if middle.startswith(".r") and middle[2:].isdigit():
        return int(middle[2:])
    return None


def _gzip(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=6, mtime=0)


def capture_dir(api: str, endpoint: str, period_key: str, scope: str) -> str:
    """The folder of one (api, endpoint, period, scope); every part is checked before use."""
    if api not in APIS:
        raise RawStoreError(f"unknown api {api!r}")
    if not _ENDPOINT_RE.fullmatch(endpoint):
        raise RawStoreError(f"endpoint {endpoint!r} is not safe as a path")
    Period.from_key(period_key)  # raises PeriodError for anything that is not a period key
    if not is_safe_scope(scope):
        raise RawStoreError(f"scope {scope!r} is neither 'national' nor a unit code (with a procedure code)")
    return f"{RAW}/{api}/{endpoint.replace('/', '__')}/{period_key}/{scope}"


class RawStore:
    """Append-only store of captures; see the module docstring for layout and guarantees."""

    def __init__(self, settings: Settings) -> None:
        self.store = Store.lake(settings)
        self.manifest_errors: list[tuple[str, str]] = []

    def _read_raw(self, rel: str) -> bytes:
        """The stored bytes as they are. ``Store.read_bytes`` lets pyarrow guess compression from
        the ``.gz`` suffix and would hand back the decompressed body; the sha check and the
        append-only comparison must see exactly what is on disk."""
        with self.store.fs.open_input_stream(self.store.path(rel), compression=None) as f:
            return f.read()

    # --- writing ------------------------------------------------------------------------------

    def body_path(self, capture: Capture) -> str:
        folder = capture_dir(capture.api, capture.endpoint, capture.period.key, capture.scope)
        return f"{folder}/{capture.capture_id}{BODY_SUFFIX}"

    def put(self, capture: Capture, outcome: str = "ok", *, reason: str = "") -> str:
        """Keep the body and its record; returns the body's path relative to the data dir.

        Callers that land the capture must set ``capture.extra["batch_id"]`` *before* calling this,
        so the record carries the batch and ``landing.reland`` can regroup captures into the same
        files.
        """
        if not _OUTCOME_RE.fullmatch(outcome):
            raise RawStoreError(f"outcome {outcome!r} is not 'ok' or 'rejected:<kind>'")
        rel = self.body_path(capture)
        meta_rel = rel[: -len(BODY_SUFFIX)] + META_SUFFIX
        record = {**capture.meta(), "outcome": outcome, "path": rel}
        if reason:  # why a body was rejected, for whoever inspects it later
            record["reason"] = reason
        meta_bytes = (
            json.dumps(record, ensure_ascii=False, sort_keys=True, indent=1, default=str) + "\n"
        ).encode()

        if self.store.exists(rel):
            existing = gzip.decompress(self._read_raw(rel))
            if existing != capture.body:
                raise RawStoreError(
                    f"refusing to overwrite {rel}: a different body is stored under that name"
                )
        else:
            self.store.write_bytes(rel, _gzip(capture.body), overwrite=False)
        existing_records = self._record_files(meta_rel) if self.store.exists(meta_rel) else []
        if not existing_records:
            self.store.write_bytes(meta_rel, meta_bytes, overwrite=False)
            return rel
        batch = (capture.extra or {}).get("batch_id")
        for path in existing_records:
            data = self.store.read_bytes(path)
            if data == meta_bytes:
                return rel  # the same capture recorded again: a no-op
            try:
                other = json.loads(data.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                other = {}
            if batch is None or (other.get("extra") or {}).get("batch_id") == batch:
                raise RawStoreError(
                    f"refusing to overwrite {meta_rel}: capture {capture.capture_id} is already recorded "
                    "with other metadata (outcome, run or batch)"
                )
        # The same body, asked again within the same second under another batch: the body is
        # shared, the new batch gets a record of its own (append-only: nothing existing changes).
        self._append_record(meta_rel, record)
        return rel

    def _record_files(self, meta_rel: str) -> list[str]:
        """Every record file of one capture: ``<id>.meta.json`` then ``<id>.rN.meta.json`` by N."""
        folder, name = meta_rel.rsplit("/", 1)
        stem = name[: -len(META_SUFFIX)]
        found = []
        for path in self.store.list_files(folder, suffix=META_SUFFIX):
            seq = _record_seq(path.rsplit("/", 1)[-1], stem)
            if seq is not None:
                found.append((seq, path))
        return [p for _seq, p in sorted(found)]

    def _append_record(self, meta_rel: str, record: dict[str, Any]) -> str:
        """Write ``record`` as the capture's next record file (``<id>.rN.meta.json``)."""
        files = self._record_files(meta_rel)
        stem = meta_rel[: -len(META_SUFFIX)]
        seq = max((_record_seq(f.rsplit("/", 1)[-1], stem.rsplit("/", 1)[-1]) or 1) for f in files) + 1
        while True:
            rel = f"{stem}.r{seq}{META_SUFFIX}"
            data = (
                json.dumps(record, ensure_ascii=False, sort_keys=True, indent=1, default=str) + "\n"
            ).encode()
            try:
                self.store.write_bytes(rel, data, overwrite=False)
                return rel
            except FileExistsError:  # another writer took that number: take the next
                seq += 1

    def amend_outcome(self, record: dict[str, Any], outcome: str, reason: str) -> dict[str, Any]:
        """Record that a stored capture has a new outcome (e.g. ``rejected:quarantine`` when its
        body turned out not to normalise at landing time), by appending a record: the original
        stays as written, and the newest record of a (capture, batch) is the one that counts
        (:meth:`manifest`, :meth:`records_for`). Returns the record now in effect."""
        if not _OUTCOME_RE.fullmatch(outcome):
            raise RawStoreError(f"outcome {outcome!r} is not 'ok' or 'rejected:<kind>'")
        if record.get("outcome") == outcome:
            return record
        amended = dict(record)
        amended.update(outcome=outcome, amends=record.get("outcome"), reason=reason)
        meta_rel = record["path"][: -len(BODY_SUFFIX)] + META_SUFFIX
        self._append_record(meta_rel, amended)
        return amended

    # --- reading ------------------------------------------------------------------------------

    def _read_records(self, rel: str) -> list[dict[str, Any]]:
        """The records in effect below ``rel``: per (capture, batch) the newest record file wins
        (an outcome amendment); the same capture under two batches gives two records."""
        by_key: dict[tuple[str, str, str], tuple[int, dict[str, Any]]] = {}
        for path, rec in self._read_record_files(rel):
            name = path.rsplit("/", 1)[-1]
            seq = _record_seq(name, str(rec["capture_id"])) or 1
            key = (
                path.rsplit("/", 1)[0],
                str(rec["capture_id"]),
                str((rec.get("extra") or {}).get("batch_id")),
            )
            if key not in by_key or seq > by_key[key][0]:
                by_key[key] = (seq, rec)
        return [
            rec for _key, (_seq, rec) in sorted(by_key.items(), key=lambda kv: (kv[1][1]["path"], kv[1][0]))
        ]

    def _read_record_files(self, rel: str) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for path in self.store.list_files(rel, suffix=META_SUFFIX):
            try:
                rec = json.loads(self.store.read_bytes(path).decode("utf-8"))
                if not isinstance(rec, dict) or not _CAPTURE_ID_RE.fullmatch(str(rec.get("capture_id"))):
                    raise ValueError("not a capture record")
                for key in ("api", "endpoint", "period_key", "scope", "sha256", "path", "outcome"):
                    if key not in rec:
                        raise ValueError(f"missing {key!r}")
            except (ValueError, UnicodeDecodeError) as exc:
                self.manifest_errors.append((path, str(exc)))
                log.warning("raw store: unreadable manifest record %s: %s", path, exc)
                continue
            out.append((path, rec))
        return out

    def manifest(self) -> list[dict[str, Any]]:
        """Every readable record, sorted by path. Unreadable ones are skipped, logged and listed in
        ``self.manifest_errors`` as (path, reason), so one damaged file does not stop a reland."""
        self.manifest_errors = []
        return self._read_records(RAW)

    def load(self, record: dict[str, Any]) -> Capture:
        """The capture a record describes, with its body checked against the recorded sha256."""
        rel = record["path"]
        try:
            body = gzip.decompress(self._read_raw(rel))
        except FileNotFoundError as exc:
            raise RawIntegrityError(f"raw body {rel} is missing") from exc
        except (OSError, EOFError, zlib.error) as exc:
            raise RawIntegrityError(f"raw body {rel} is not readable gzip: {exc}") from exc
        capture = Capture(
            api=record["api"],
            endpoint=record["endpoint"],
            request=record.get("request") or {},
            url=record.get("url", ""),
            status=int(record.get("status", 0)),
            headers=record.get("headers") or {},
            body=body,
            captured_at=datetime.fromisoformat(record["captured_at"]),
            scope=record["scope"],
            period=Period.from_key(record["period_key"]),
            run_id=record.get("run_id", ""),
            extra=record.get("extra") or {},
        )
        if capture.sha256 != record["sha256"]:
            raise RawIntegrityError(
                f"raw body {rel} does not match its record: sha256 {capture.sha256} != {record['sha256']}"
            )
        return capture

    def records_for(self, api: str, endpoint: str, period_key: str, scope: str) -> list[dict[str, Any]]:
        """Records of one (api, endpoint, period, scope), oldest capture first."""
        recs = self._read_records(capture_dir(api, endpoint, period_key, scope))
        return sorted(recs, key=lambda r: r["capture_id"])  # stable: a later record stays later

    def latest(
        self, api: str, endpoint: str, period_key: str, scope: str, *, outcome: str | None = "ok"
    ) -> dict[str, Any] | None:
        """The most recent record (by capture time) with that outcome (any outcome when None)."""
        recs = [
            r
            for r in self.records_for(api, endpoint, period_key, scope)
            if outcome is None or r.get("outcome") == outcome
        ]
        return recs[-1] if recs else None

    def has_ok_capture(self, api: str, endpoint: str, period_key: str, scope: str) -> bool:
        """True when this request already has a usable capture: what a resumable backfill skips."""
        return self.latest(api, endpoint, period_key, scope) is not None
