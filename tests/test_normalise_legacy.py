"""The legacy normaliser on the real report_tinh_766_service rows in tests/fixtures/portal/legacy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dvc766.landing_schema import DATASETS, GROUP_CODES
from dvc766.periods import Period
from flows.capture import Capture
from flows.errors import NotPublishedError, QuarantineError, SchemaChangeError, WrongScopeError
from flows.normalise import normalise
from tests.test_normalise_v1 import make_capture, rows

LEGACY = Path(__file__).resolve().parent / "fixtures" / "portal" / "legacy"
DATES = {"ebd4e73": "Sat, 11 Oct 2025 13:00:00 GMT", "7c5e62b": "Thu, 16 Oct 2025 04:00:00 GMT"}
YEAR_2025 = Period("year", 2025)


def legacy_capture(
    body: bytes, scope: str, tinh_id: str, commit: str = "ebd4e73", period: Period = YEAR_2025
) -> Capture:
    request = {
        "type": "ref",
        "service": "report_tinh_766_service",
        "p_nam": "2025",
        "p_tinh_id": tinh_id,
        "p_loaidonvi": 1,
        "loaichitieu": 0,
        "p_6thang": 0,
        "p_quy": 0,
        "p_thang": 0,
        "pageIndex": 1,
        "pageSize": 1000,
        "p_default": 0,
        "p_huyen_id": "",
    }
    return make_capture(
        body,
        "report_tinh_766_service",
        scope,
        period,
        api="legacy",
        request=request,
        date_header=DATES[commit],
    )


def national(commit: str) -> Capture:
    return legacy_capture(
        (LEGACY / f"bao_cao_T10_2025__{commit}" / "diem_nam.json").read_bytes(), "national", "0", commit
    )


def an_giang_rows(commit: str = "ebd4e73") -> list[dict[str, Any]]:
    folder = LEGACY / f"bao_cao_T10_2025__{commit}"
    return json.loads((folder / "so_ban.json").read_bytes()) + json.loads(
        (folder / "xa_phuong.json").read_bytes()
    )


def an_giang(rows_: list[dict[str, Any]] | None = None, period: Period = YEAR_2025) -> Capture:
    body = json.dumps(rows_ if rows_ is not None else an_giang_rows(), ensure_ascii=False).encode()
    return legacy_capture(body, "H01", "398126", period=period)


@pytest.mark.parametrize(
    ("commit", "total", "groups"),
    [
        (
            "ebd4e73",
            90.19,
            {"CKMB": 15.37, "TDGQ": 19.01, "CLGQ": 8.32, "TTTT": 10.0, "MDHL": 17.86, "MDSH": 19.63},
        ),
        (
            "7c5e62b",
            90.3,
            {"CKMB": 15.3, "TDGQ": 19.1, "CLGQ": 8.31, "TTTT": 10.0, "MDHL": 17.86, "MDSH": 19.73},
        ),
    ],
)
def test_national_year_ranking(commit: str, total: float, groups: dict[str, float]) -> None:
    out = normalise(national(commit))
    for name, table in out.items():
        assert table.schema.equals(DATASETS[name])
    scores = out["unit_scores"]
    assert len(rows(scores, group_code="TOTAL")) == 34
    h55 = {r["group_code"]: r for r in rows(scores, unit_code="H55")}
    assert h55["TOTAL"]["score"] == total and h55["TOTAL"]["rank_in_scope"] == 3
    assert h55["TOTAL"]["rank_scope_size"] == 34 and h55["TOTAL"]["period_type"] == "year"
    assert {g: h55[g]["score"] for g in GROUP_CODES} == groups
    assert isinstance(h55["TTTT"]["score"], float)  # "10" parsed as 10.0
    assert h55["CLGQ"]["max_score"] is None  # the legacy CLGQ maximum is unknown, not invented
    assert rows(scores, unit_code="H37", group_code="TOTAL"), "000.00.00.H37 folds to H37"
    assert not any("000." in r["unit_code"] for r in scores.to_pylist())
    seen = {r["unit_code"]: r for r in out["units_seen"].to_pylist()}
    assert seen["H55"]["unit_id"] == "370865" and seen["H55"]["unit_kind"] == "province"


def test_an_giang_agencies_and_communes() -> None:
    out = normalise(an_giang())
    kinds = [r["unit_kind"] for r in out["units_seen"].to_pylist()]
    assert (kinds.count("agency"), kinds.count("commune"), len(kinds)) == (15, 102, 117)
    totals = rows(out["unit_scores"], group_code="TOTAL")
    assert {r["province_code"] for r in totals} == {"H01"} and {r["rank_scope_size"] for r in totals} == {117}
    assert max(r["rank_in_scope"] for r in totals) == 117
    assert {r["parent_code"] for r in out["units_seen"].to_pylist()} == {"H01"}
    # Before July 2025 the commune level was the district level.
    before = normalise(an_giang(period=Period.month(2025, 3)))
    assert [r["unit_kind"] for r in before["units_seen"].to_pylist()].count("district") == 102


def _with(change: dict[str, Any], index: int = 0) -> Capture:
    data = an_giang_rows()
    data[index] = {**data[index], **change}
    return an_giang(data)


@pytest.mark.parametrize(
    ("change", "error", "needle"),
    [
        ({"MA_COQUAN": "H01.13/../x"}, QuarantineError, "MA_COQUAN"),
        ({"TDGQ": "-1"}, QuarantineError, "TDGQ"),
        ({"MDSH": "NaN"}, QuarantineError, "MDSH"),
        ({"TONG_SCORE": "101"}, QuarantineError, "TONG_SCORE"),
        ({"TDGQ": "19,05"}, SchemaChangeError, "TDGQ"),
        ({"LOAI_COQUAN": "9"}, SchemaChangeError, "LOAI_COQUAN"),
        ({"CAPDONVIID": "2"}, SchemaChangeError, "CAPDONVIID"),
        ({"MA_COQUAN": "H55.13"}, WrongScopeError, "H55.13"),
    ],
)
def test_hostile_rows_are_rejected(change: dict[str, Any], error: type[Exception], needle: str) -> None:
    with pytest.raises(error, match=needle):
        normalise(_with(change))


def test_empty_strings_stay_null_and_empty_answer_is_not_published() -> None:
    out = normalise(_with({"MDHL": ""}))
    r = rows(out["unit_scores"], unit_code=an_giang_rows()[0]["MA_COQUAN"], group_code="MDHL")[0]
    assert r["score"] is None and r["ratio"] is None
    with pytest.raises(NotPublishedError):
        normalise(an_giang([]))
