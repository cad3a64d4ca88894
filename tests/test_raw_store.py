"""The raw store: byte-exact, append-only, checked on the way back, safe against odd scopes."""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path

import pytest

from dvc766.settings import Settings
from flows.raw_store import RawIntegrityError, RawStore, RawStoreError
from tests.test_normalise_v1 import h44_capture

PROGRESS = "evaluation/dvc-progress-tree"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def test_put_keeps_the_exact_body_and_a_record(settings: Settings) -> None:
    store = RawStore(settings)
    cap = h44_capture(PROGRESS, extra={"batch_id": "b1"})
    rel = store.put(cap)
    assert rel == f"raw/v1/evaluation__dvc-progress-tree/2026-08/H44/{cap.capture_id}.json.gz"
    stored = (settings.data_dir / rel).read_bytes()
    assert gzip.decompress(stored) == cap.body
    assert stored == gzip.compress(cap.body, compresslevel=6, mtime=0), "gzip must be deterministic"
    [record] = store.manifest()
    assert record["outcome"] == "ok" and record["path"] == rel and record["sha256"] == cap.sha256
    assert record["extra"] == {"batch_id": "b1"} and record["period_key"] == "2026-08"
    back = store.load(record)
    assert back == cap


def test_append_only(settings: Settings) -> None:
    store = RawStore(settings)
    cap = h44_capture(PROGRESS)
    rel = store.put(cap)
    before = (settings.data_dir / rel).stat().st_mtime_ns
    assert store.put(cap) == rel  # the same capture again is a no-op
    assert (settings.data_dir / rel).stat().st_mtime_ns == before
    assert len(store.manifest()) == 1
    with pytest.raises(RawStoreError, match="other metadata"):
        store.put(cap, outcome="rejected:schema_change")
    # A different body can never land under an existing name.
    (settings.data_dir / rel).write_bytes(gzip.compress(b"{}", mtime=0))
    with pytest.raises(RawStoreError, match="overwrite"):
        store.put(cap)


def test_load_verifies_sha256(settings: Settings) -> None:
    store = RawStore(settings)
    cap = h44_capture(PROGRESS)
    rel = store.put(cap)
    (settings.data_dir / rel).write_bytes(gzip.compress(cap.body.replace(b"184513", b"184514"), mtime=0))
    [record] = store.manifest()
    with pytest.raises(RawIntegrityError, match=rel.replace(".", r"\.")):
        store.load(record)


def test_body_is_written_before_its_record(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash between the two writes leaves a body without a record, never the reverse."""
    store = RawStore(settings)
    cap = h44_capture(PROGRESS)
    real = store.store.write_bytes
    written: list[str] = []

    def crash_on_meta(rel: str, data: bytes, *, overwrite: bool = True) -> str:
        if rel.endswith(".meta.json"):
            raise OSError("disk full")
        written.append(rel)
        return real(rel, data, overwrite=overwrite)

    monkeypatch.setattr(store.store, "write_bytes", crash_on_meta)
    with pytest.raises(OSError):
        store.put(cap)
    assert written and written[0].endswith(".json.gz")
    assert store.manifest() == []
    assert not store.has_ok_capture("v1", PROGRESS, "2026-08", "H44")
    monkeypatch.undo()
    store.put(cap)  # the retry completes the record
    assert store.has_ok_capture("v1", PROGRESS, "2026-08", "H44")


def test_latest_and_has_ok_capture(settings: Settings) -> None:
    store = RawStore(settings)
    first = h44_capture(PROGRESS)
    later = dataclasses.replace(first, captured_at=first.captured_at.replace(day=27))
    rejected = dataclasses.replace(first, captured_at=first.captured_at.replace(day=28))
    store.put(first)
    store.put(later)
    store.put(rejected, outcome="rejected:wrong_scope")
    assert store.latest("v1", PROGRESS, "2026-08", "H44")["capture_id"] == later.capture_id
    assert store.latest("v1", PROGRESS, "2026-08", "H44", outcome=None)["capture_id"] == rejected.capture_id
    assert store.has_ok_capture("v1", PROGRESS, "2026-08", "H44")
    assert not store.has_ok_capture("v1", PROGRESS, "2026-07", "H44")
    assert not store.has_ok_capture("v1", PROGRESS, "2026-08", "H55")


def test_unreadable_record_is_reported_not_fatal(settings: Settings) -> None:
    store = RawStore(settings)
    rel = store.put(h44_capture(PROGRESS))
    broken = settings.data_dir / rel.replace("H44", "H55").replace(".json.gz", ".meta.json")
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json")
    assert len(store.manifest()) == 1
    assert [p for p, _ in store.manifest_errors] == [str(broken.relative_to(settings.data_dir))]


@pytest.mark.parametrize("scope", ["../H44", "H44/../../x", "", "h44 ", "NATIONAL"])
def test_unsafe_scope_never_becomes_a_path(settings: Settings, scope: str) -> None:
    store = RawStore(settings)
    with pytest.raises(RawStoreError, match="scope"):
        store.put(dataclasses.replace(h44_capture(PROGRESS), scope=scope))
    assert not (settings.data_dir / "raw").exists()


def test_bad_outcome_and_endpoint_refused(settings: Settings) -> None:
    store = RawStore(settings)
    with pytest.raises(RawStoreError, match="outcome"):
        store.put(h44_capture(PROGRESS), outcome="fine")
    with pytest.raises(RawStoreError, match="endpoint"):
        store.put(dataclasses.replace(h44_capture(PROGRESS), endpoint="../evaluation"))
