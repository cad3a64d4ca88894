"""Schema drift the way dlt's contracts handle it: a new field lands the known fields and is
reported; ``freeze`` refuses it; a missing field is a schema change naming its path; and ``reland``
gives back exactly the landing the fetch wrote, in every case."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from dvc766.periods import Period
from dvc766.settings import Settings
from flows.errors import SchemaChangeError
from flows.landing import reland, write_batch
from flows.normalise import drift_of, normalise
from flows.sources.v1 import parse_v1
from tests.test_normalise_v1 import AUG, h44_capture, make_capture
from warehouse.runner import build

TREE = "evaluation/dvc-progress-tree"


def with_new_field(capture_body: bytes) -> bytes:
    doc = json.loads(capture_body)
    for child in doc["data"]["children"]:
        child["totalLate"] = 3  # a field the portal might add one day
    doc["data"]["parent"]["slaPolicy"] = {"version": 2}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def drifted_capture(batch_id: str = "b1") -> object:
    base = h44_capture(TREE)
    cap = make_capture(with_new_field(base.body), TREE, "H44", AUG)
    return type(cap)(**{**cap.__dict__, "extra": {"batch_id": batch_id}})


def landing_bytes(data: Path) -> dict[str, bytes]:
    root = data / "landing"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


def test_a_new_field_lands_the_known_fields_and_is_reported() -> None:
    plain = normalise(h44_capture(TREE))
    drifted = normalise(drifted_capture())
    for name in ("unit_scores", "indicator_values", "units_seen"):
        keep = [c for c in plain[name].column_names if c not in ("capture_id", "raw_sha256", "captured_at")]
        assert drifted[name].select(keep).equals(plain[name].select(keep)), name
    assert sorted(drifted["schema_drift"].column("field_path").to_pylist()) == [
        "children[].totalLate",
        "parent.slaPolicy",
    ]
    assert sorted(drift_of(drifted_capture())) == [
        "evaluation/dvc-progress-tree: new field children[].totalLate (e.g. 3)",
        "evaluation/dvc-progress-tree: new field parent.slaPolicy (e.g. {'version': 2})",
    ]


def test_freeze_refuses_drift_naming_the_fields() -> None:
    with pytest.raises(SchemaChangeError, match=r"unknown field children\[\]\.totalLate, parent\.slaPolicy"):
        normalise(drifted_capture(), drift_mode="freeze")
    normalise(h44_capture(TREE), drift_mode="freeze")  # a body without drift passes freeze


def test_a_missing_field_rejects_naming_its_path() -> None:
    doc = json.loads(h44_capture(TREE).body)
    del doc["data"]["children"][7]["totalOnTime"]
    cap = make_capture(json.dumps(doc).encode(), TREE, "H44", AUG)
    with pytest.raises(SchemaChangeError, match=r"missing field children\[7\]\.totalOnTime") as info:
        parse_v1(cap)
    assert info.value.capture is cap


@pytest.mark.parametrize("mode", ["record", "freeze"])
def test_reland_after_drift_gives_the_landing_the_fetch_wrote(tmp_path: Path, mode: str) -> None:
    settings = Settings(data_dir=tmp_path, schema_drift=mode)
    from flows.raw_store import RawStore

    good = h44_capture(TREE)
    good = type(good)(**{**good.__dict__, "extra": {"batch_id": "b0"}})
    RawStore(settings).put(good)
    write_batch(settings, [good], "b0")
    cap = drifted_capture("b1")
    if mode == "record":
        RawStore(settings).put(cap)
        counts = write_batch(settings, [cap], "b1")
        assert counts["schema_drift"] == 2
    else:
        with pytest.raises(SchemaChangeError):
            write_batch(settings, [cap], "b1")
        RawStore(settings).put(cap, "rejected:schema_change")
    before = landing_bytes(tmp_path)
    summary = reland(settings)
    assert landing_bytes(tmp_path) == before and not summary.failed_batches
    if mode == "record":
        build(settings)
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
        try:
            rows = con.execute(
                "select endpoint, field_path, captures, first_capture_id = last_capture_id "
                "from fct_schema_drift order by field_path"
            ).fetchall()
        finally:
            con.close()
        assert rows == [(TREE, "children[].totalLate", 1, True), (TREE, "parent.slaPolicy", 1, True)]


def test_drift_is_per_period_kind_too() -> None:
    quarter = make_capture(with_new_field(h44_capture(TREE).body), TREE, "H44", Period("quarter", 2026, 3))
    out = normalise(quarter)
    assert set(out["schema_drift"].column("period_key").to_pylist()) == {"2026-Q3"}
