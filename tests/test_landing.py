"""Landing: one Parquet file per dataset × period × scope of a batch, deterministic, relandable."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import flows.landing as landing_mod
from dvc766.landing_schema import DATASETS
from dvc766.periods import Period
from dvc766.settings import Settings
from dvc766.storage import Store
from flows.errors import QuarantineError
from flows.landing import LandingError, reland, write_batch
from flows.raw_store import RawIntegrityError, RawStore
from tests.test_normalise_legacy import national as legacy_national
from tests.test_normalise_v1 import h44_batch, h44_capture, national_capture
from warehouse.incremental import LandingState
from warehouse.landing_compaction import compact_landing

BATCH = "run1-H44-2026-08"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def land_and_store(settings: Settings) -> dict[str, int]:
    """What a flow does: tag the batch, keep every capture in the raw store, land the batch."""
    raw = RawStore(settings)
    batch = h44_batch(extra={"batch_id": BATCH})
    for c in batch:
        raw.put(c)
    counts = write_batch(settings, batch, BATCH)
    nat = dataclasses.replace(national_capture(), extra={"batch_id": "run1-national-2026-YTD-09"})
    raw.put(nat)
    counts_n = write_batch(settings, [nat], "run1-national-2026-YTD-09")
    leg = dataclasses.replace(legacy_national("ebd4e73"), extra={"batch_id": "run0-national-2025"})
    raw.put(leg)
    write_batch(settings, [leg], "run0-national-2025")
    rejected = dataclasses.replace(
        h44_capture("evaluation/dvc-progress-tree"), scope="H55", extra={"batch_id": "x"}
    )
    raw.put(rejected, outcome="rejected:wrong_scope")
    return {k: counts[k] + counts_n[k] for k in counts}


def test_write_batch_layout_and_content(settings: Settings) -> None:
    counts = land_and_store(settings)
    landing = settings.data_dir / "landing"
    files = sorted(str(p.relative_to(landing)) for p in landing.rglob("*.parquet"))
    assert files == [
        "indicator_values/period_type=month/period_key=2026-08/H44__run1-H44-2026-08.parquet",
        # the national ranking's own change, radar and growth; the month series of both answers
        "indicator_values/period_type=ytd/period_key=2026-YTD-09/national__run1-national-2026-YTD-09.parquet",
        "reported_series/period_type=month/period_key=2026-08/H44__run1-H44-2026-08.parquet",
        "reported_series/period_type=ytd/period_key=2026-YTD-09/national__run1-national-2026-YTD-09.parquet",
        "unit_scores/period_type=month/period_key=2026-08/H44__run1-H44-2026-08.parquet",
        "unit_scores/period_type=year/period_key=2025/national__run0-national-2025.parquet",
        "unit_scores/period_type=ytd/period_key=2026-YTD-09/national__run1-national-2026-YTD-09.parquet",
        "units_seen/period_type=month/period_key=2026-08/H44__run1-H44-2026-08.parquet",
        "units_seen/period_type=year/period_key=2025/national__run0-national-2025.parquet",
        "units_seen/period_type=ytd/period_key=2026-YTD-09/national__run1-national-2026-YTD-09.parquet",
    ]
    path = landing / files[0]
    table = pq.read_table(path, partitioning=None)
    assert table.schema.equals(DATASETS["indicator_values"])  # no pandas index, exact schema
    national = pq.read_table(landing / files[1], partitioning=None)
    assert table.num_rows + national.num_rows == counts["indicator_values"]
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "SNAPPY"
    keys = list(zip(table["unit_code"].to_pylist(), table["indicator_code"].to_pylist(), strict=True))
    assert keys == sorted(keys)
    h44 = [
        r for r in table.to_pylist() if r["unit_code"] == "H44" and r["indicator_code"] == "PROGRESS_ON_TIME"
    ]
    assert h44[0]["numerator"] == 144625 and h44[0]["score"] == 15.68


def test_same_input_same_bytes_in_any_order(settings: Settings, tmp_path: Path) -> None:
    batch = h44_batch(extra={"batch_id": BATCH})
    write_batch(settings, batch, BATCH)
    other = settings.with_(data_dir=tmp_path / "other")
    write_batch(other, list(reversed(batch)), BATCH)
    assert tree_digest(settings.data_dir / "landing") == tree_digest(other.data_dir / "landing")


def test_batch_id_must_be_recorded_and_safe(settings: Settings) -> None:
    with pytest.raises(LandingError, match="batch_id"):
        write_batch(settings, h44_batch(), BATCH)
    with pytest.raises(LandingError, match="safe"):
        write_batch(settings, h44_batch(extra={"batch_id": "../x"}), "../x")


def test_a_bad_capture_writes_nothing_of_its_batch(settings: Settings) -> None:
    batch = h44_batch(extra={"batch_id": BATCH})
    doc = json.loads(batch[0].body)
    doc["data"]["children"][0]["totalOverdue"] = -1
    batch[0] = dataclasses.replace(batch[0], body=json.dumps(doc).encode())
    with pytest.raises(QuarantineError, match="totalOverdue"):
        write_batch(settings, batch, BATCH)
    assert not (settings.data_dir / "landing").exists()


def test_reland_reproduces_the_landing_zone_byte_for_byte(settings: Settings) -> None:
    land_and_store(settings)
    landing = settings.data_dir / "landing"
    before = tree_digest(landing)
    (landing / "stray.parquet").write_bytes(b"left by hand")
    summary = reland(settings)
    assert tree_digest(landing) == before
    assert summary.batches == 3 and summary.captures == 8 and summary.skipped_not_ok == 1
    assert not (settings.data_dir / "landing.reland-tmp").exists()
    # The relanded files are new, so their compact files were made again by reland: nothing is stale.
    lake = Store(settings.data_dir)
    compacted = compact_landing(lake, LandingState.scan(lake.sub("landing"), DATASETS))
    assert compacted.made == 0 and compacted.current > 0


def test_reland_crash_leaves_the_old_landing_intact(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    land_and_store(settings)
    landing = settings.data_dir / "landing"
    before = tree_digest(landing)
    calls = {"n": 0}
    real = landing_mod._write

    def crash_second_batch(*args: object, **kw: object) -> dict[str, int]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed")
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(landing_mod, "_write", crash_second_batch)
    with pytest.raises(KeyboardInterrupt):
        reland(settings)
    assert tree_digest(landing) == before
    monkeypatch.undo()
    reland(settings)  # the next reland clears the leftover temporary folder and completes
    assert tree_digest(landing) == before


def test_reland_stops_on_a_tampered_body(settings: Settings) -> None:
    land_and_store(settings)
    before = tree_digest(settings.data_dir / "landing")
    gz = next((settings.data_dir / "raw").rglob("*dvc-progress-tree*/2026-08/H44/*.json.gz"))
    gz.write_bytes(gzip.compress(gzip.decompress(gz.read_bytes()).replace(b"184513", b"184512"), mtime=0))
    with pytest.raises(RawIntegrityError, match="does not match its record"):
        reland(settings)
    assert tree_digest(settings.data_dir / "landing") == before


def test_period_partition_values_come_from_the_capture(settings: Settings) -> None:
    c = dataclasses.replace(national_capture(period=Period("year", 2026)), extra={"batch_id": "b"})
    write_batch(settings, [c], "b")
    assert (
        settings.data_dir / "landing/unit_scores/period_type=year/period_key=2026/national__b.parquet"
    ).exists()


def test_reland_skips_a_batch_that_never_landed(settings: Settings) -> None:
    """A capture stored ok whose batch failed to normalise: nothing landed then, nothing now."""
    land_and_store(settings)
    bad = h44_capture("evaluation/dvc-progress-tree", extra={"batch_id": "run2-H44-2026-08"})
    doc = json.loads(bad.body)
    doc["data"]["parent"]["ratio"] = 250
    bad = dataclasses.replace(bad, body=json.dumps(doc).encode())
    RawStore(settings).put(bad)
    with pytest.raises(QuarantineError):
        write_batch(settings, [bad], "run2-H44-2026-08")
    before = tree_digest(settings.data_dir / "landing")
    summary = reland(settings)
    assert tree_digest(settings.data_dir / "landing") == before
    assert [b for b, _ in summary.failed_batches] == ["run2-H44-2026-08"]
    assert "quarantine" in summary.failed_batches[0][1]
