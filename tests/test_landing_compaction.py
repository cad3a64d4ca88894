"""Compacted landing partitions (warehouse.landing_compaction): one file per dataset × period that a
build reads instead of the batch files, without changing a figure.

The landing zone is the replica's, landed by the real normaliser (``benchmarks.bench_backfill``,
which compacts each month as the flows do once its batches have landed).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.bench_backfill import generate_landing
from dvc766.landing_schema import DATASETS
from dvc766.settings import Settings
from dvc766.storage import Store
from tests.test_warehouse_incremental import differences
from warehouse import landing_compaction
from warehouse.incremental import LandingState
from warehouse.landing_compaction import (
    COMPACT,
    JUST_WRITTEN,
    JustWritten,
    compact_landing,
    compact_periods,
)
from warehouse.publish import connect_for_build
from warehouse.runner import build, build_models

MONTHS = ["2026-01", "2026-02"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gen = tmp_path_factory.mktemp("compaction")
    generate_landing(gen, MONTHS, ["H55"], workers=1)
    return gen


@pytest.fixture
def data_dir(generated: Path, tmp_path: Path) -> Path:
    shutil.copytree(generated, tmp_path / "data", copy_function=shutil.copy2)
    return tmp_path / "data"


def compact_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / COMPACT).rglob("*.parquet"))


def landing_files(data_dir: Path, dataset: str, month: str) -> list[Path]:
    return sorted(
        (data_dir / "landing" / dataset / "period_type=month" / f"period_key={month}").glob("*.parquet")
    )


def test_each_landed_month_is_compacted_to_one_file_per_dataset(generated: Path) -> None:
    partitions = {p.parent for p in (generated / "landing").rglob("*.parquet")}
    assert len(partitions) >= 2 * 3  # unit_scores, indicator_values, units_seen at least, per month
    compacted = compact_files(generated)
    assert len(compacted) == len(partitions)
    assert {p.parent.relative_to(generated / COMPACT) for p in compacted} == {
        p.relative_to(generated / "landing") for p in partitions
    }
    for part in partitions:
        batch_rows = sum(pq.ParquetFile(f).metadata.num_rows for f in part.glob("*.parquet"))
        (one,) = (generated / COMPACT / part.relative_to(generated / "landing")).glob("*.parquet")
        table = pq.read_table(one)
        assert table.num_rows == batch_rows
        dataset = part.parent.parent.name
        assert table.column_names == [*DATASETS[dataset].names, "filename"]
        assert set(table.column("filename").to_pylist()) == {str(f) for f in part.glob("*.parquet")}


def test_a_build_over_compact_files_equals_one_over_the_batch_files(data_dir: Path, tmp_path: Path) -> None:
    published = build(Settings(data_dir=data_dir), full=True).warehouse_path
    # The same models over the batch files themselves (no compaction), as builds read them before.
    store = Store(data_dir / "landing")
    plain = tmp_path / "plain.duckdb"
    con = connect_for_build(plain)
    build_models(con, store, landing=LandingState.scan(store, DATASETS))
    con.execute("checkpoint")
    con.close()
    assert differences(published, plain) == {}


def test_a_new_batch_makes_its_partition_again_and_removes_the_stale_file(data_dir: Path) -> None:
    lake = Store(data_dir)
    before = compact_files(data_dir)
    # A second run of February lands another batch in the same partitions (the same capture again:
    # the models count it once, as they did when reading the batch files).
    src = landing_files(data_dir, "indicator_values", "2026-02")[0]
    shutil.copyfile(src, src.with_name("H55__again.parquet"))
    summary = compact_landing(lake, LandingState.scan(lake.sub("landing"), DATASETS))
    assert (summary.made, summary.removed) == (1, 1)
    after = compact_files(data_dir)
    assert len(after) == len(before)
    (changed,) = set(after) - set(before)
    assert "period_key=2026-02" in str(changed) and "indicator_values" in str(changed)
    rows = sum(
        pq.ParquetFile(f).metadata.num_rows for f in landing_files(data_dir, "indicator_values", "2026-02")
    )
    assert pq.ParquetFile(changed).metadata.num_rows == rows
    # Nothing stale: a second pass makes and removes nothing.
    again = compact_landing(lake, LandingState.scan(lake.sub("landing"), DATASETS))
    assert (again.made, again.removed, again.current) == (0, 0, len(after))


def test_a_flow_compacting_its_period_leaves_other_partitions_alone(data_dir: Path) -> None:
    jan = landing_files(data_dir, "units_seen", "2026-01")[0]
    feb = landing_files(data_dir, "units_seen", "2026-02")[0]
    shutil.copyfile(jan, jan.with_name("H55__again.parquet"))
    shutil.copyfile(feb, feb.with_name("H55__again.parquet"))
    summary = compact_periods(Settings(data_dir=data_dir), {("month", "2026-02")})
    assert summary is not None and (summary.made, summary.removed) == (1, 1)
    # January's partition changed too, but only the build (or January's own run) redoes it.
    jan_compact = data_dir / COMPACT / "units_seen" / "period_type=month" / "period_key=2026-01"
    assert len(list(jan_compact.glob("*.parquet"))) == 1
    assert (
        compact_landing(Store(data_dir), LandingState.scan(Store(data_dir / "landing"), DATASETS)).made == 1
    )


def test_a_batch_file_of_an_older_contract_is_read_with_nulls(data_dir: Path) -> None:
    """A file written before a column existed: the compact file has the column, null for its rows,
    as union_by_name read it; the build goes through."""
    victim = landing_files(data_dir, "unit_scores", "2026-01")[0]
    table = pq.read_table(victim)
    pq.write_table(table.drop_columns(["ratio"]), victim)
    settings = Settings(data_dir=data_dir)
    result = build(settings, full=True)
    assert result.checks_passed == len(result.checks)
    (one,) = (data_dir / COMPACT / "unit_scores" / "period_type=month" / "period_key=2026-01").glob(
        "*.parquet"
    )
    compacted = pq.read_table(one)
    assert compacted.schema.field("ratio").type == DATASETS["unit_scores"].field("ratio").type
    from_victim = compacted.filter(compacted.column("filename").to_numpy(zero_copy_only=False) == str(victim))
    assert from_victim.num_rows == table.num_rows
    assert from_victim.column("ratio").null_count == table.num_rows


def test_deleting_compact_leaves_the_next_build_equal(data_dir: Path, tmp_path: Path) -> None:
    first = build(Settings(data_dir=data_dir), full=True).warehouse_path
    kept = tmp_path / "first.duckdb"
    shutil.copyfile(first, kept)
    shutil.rmtree(data_dir / COMPACT)
    second = build(Settings(data_dir=data_dir), full=True).warehouse_path
    assert differences(kept, second) == {}
    assert compact_files(data_dir)
    con = duckdb.connect(str(second), read_only=True)
    assert con.execute("select count(*) from fct_indicator_capture").fetchone()[0] > 0
    con.close()


def test_a_lake_the_build_cannot_write_is_built_from_the_batch_files(
    data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Compaction is an accelerator: where compact/ cannot be written the build reads the batch
    files, says so, and publishes the same tables."""
    first = build(Settings(data_dir=data_dir), full=True).warehouse_path
    kept = tmp_path / "first.duckdb"
    shutil.copyfile(first, kept)
    shutil.rmtree(data_dir / COMPACT)
    (data_dir / COMPACT).write_text("not a folder")  # every write below it fails
    with caplog.at_level("WARNING", logger="warehouse.landing_compaction"):
        second = build(Settings(data_dir=data_dir), full=True).warehouse_path
    assert "building from the batch files" in caplog.text
    assert differences(kept, second) == {}


def _compact_tables(data_dir: Path) -> dict[Path, pa.Table]:
    return {f.parent.relative_to(data_dir): pq.read_table(f) for f in compact_files(data_dir)}


def test_compacting_what_this_process_just_landed_equals_reading_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The landing step hands its tables to JUST_WRITTEN, so the flows' compaction reads no file;
    the compact files are the ones a compaction reading every batch file back makes."""
    landed = tmp_path / "landed"
    JUST_WRITTEN.clear()

    def no_reading(*_: object) -> None:
        raise AssertionError("a batch file was read back")

    with monkeypatch.context() as patched:
        patched.setattr(landing_compaction, "_reader", no_reading)
        generate_landing(landed, ["2026-03"], ["H55", "H01"], workers=1)  # compacts as it lands
    from_memory = _compact_tables(landed)
    assert len(from_memory) >= 3
    shutil.rmtree(landed / COMPACT)
    JUST_WRITTEN.clear()
    summary = compact_periods(Settings(data_dir=landed))
    assert summary is not None and summary.made == len(from_memory)
    read_back = _compact_tables(landed)
    assert read_back.keys() == from_memory.keys()
    for part, table in read_back.items():
        assert table.equals(from_memory[part], check_metadata=False), part


def test_a_batch_file_changed_since_it_was_written_is_read_back() -> None:
    table = pa.table({"x": [1, 2]})
    written = JustWritten(max_rows=10)
    written.remember("/lake/landing/a.parquet", 100, table)
    written.remember("/lake/landing/b.parquet", 120, table)
    # b is not at the size written (rewritten by another process): both are read from the lake.
    assert written.take([("/lake/landing/a.parquet", 100), ("/lake/landing/b.parquet", 99)]) is None
    # and they are forgotten either way
    assert written.take([("/lake/landing/a.parquet", 100)]) is None
    written.remember("/lake/landing/a.parquet", 100, table)
    assert written.take([("/lake/landing/a.parquet", 100)]) == [table]


def test_just_written_keeps_a_bounded_number_of_rows() -> None:
    written = JustWritten(max_rows=5)
    for name in "abc":
        written.remember(name, 1, pa.table({"x": [1, 2]}))  # 6 rows: the oldest goes
    assert written.take([("a", 1)]) is None
    assert written.take([("b", 1), ("c", 1)]) is not None
    written.remember("big", 1, pa.table({"x": list(range(6))}))  # larger than the bound: not kept
    assert written.take([("big", 1)]) is None
