"""LegacyClient and the legacy contract on the real 2025 rows (tests/fixtures/portal/legacy/) via a local stub."""

from __future__ import annotations

import json
import random
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from dvc766.periods import Period
from dvc766.settings import Settings
from flows.errors import EnvelopeError, NotPublishedError, SchemaChangeError, WrongScopeError
from flows.legacy_client import LegacyClient, month_sum_params, ranking_params
from flows.portal_http import PoliteSession
from flows.sources.legacy import parse_legacy_body
from flows.sources.legacy.settings import MONTH_SUM_SERVICE, RANKING_SERVICE
from tests.httpstub import Reply, StubServer

OCT_2025 = Period.month(2025, 10)


def rows_file(portal_dir: Path, folder: str, name: str) -> bytes:
    return (portal_dir / "legacy" / folder / name).read_bytes()


def validate_legacy(
    service: str, body: bytes | str, scope: str | None = None, drift_mode: str = "record"
) -> tuple:
    return parse_legacy_body(service, body, scope=scope, drift_mode=drift_mode).rows


def client_for(stub: StubServer) -> LegacyClient:
    settings = Settings(portal_url=stub.url, pacing_s=0.0, jitter_s=0.0)
    return LegacyClient(settings, PoliteSession(settings, sleep=lambda s: None, rng=random.Random(3)))


@pytest.mark.parametrize(
    "folder", ["bao_cao_T10_2025__ebd4e73", "bao_cao_T10_2025__99c31e5", "bao_cao_T10_2025__7c5e62b"]
)
def test_every_real_ranking_sheet_validates(portal_dir: Path, folder: str) -> None:
    national = validate_legacy(
        RANKING_SERVICE, rows_file(portal_dir, folder, "diem_nam.json"), scope="national"
    )
    assert len(national) == 34
    assert len(validate_legacy(RANKING_SERVICE, rows_file(portal_dir, folder, "diem_thang.json"))) == 34
    # An Giang's units: the province asked for is H01.
    assert (
        len(validate_legacy(RANKING_SERVICE, rows_file(portal_dir, folder, "so_ban.json"), scope="H01")) == 15
    )
    assert (
        len(validate_legacy(RANKING_SERVICE, rows_file(portal_dir, folder, "xa_phuong.json"), scope="H01"))
        == 102
    )


def test_fetch_ranking_sends_form_params_and_keeps_bytes(portal_dir: Path) -> None:
    raw = rows_file(portal_dir, "bao_cao_T10_2025__7c5e62b", "diem_nam.json")
    with StubServer([Reply(200, raw, {"Date": "Thu, 16 Oct 2025 04:56:00 GMT"})]) as stub:
        capture = client_for(stub).fetch_ranking(Period("ytd", 2025, 10), run_id="r9")
        req = stub.requests[0]
    assert req.path == "/jsp/rest.jsp"
    assert req.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    form = parse_qs(req.body.decode())
    params = json.loads(form["params"][0])
    assert params == {
        "type": "ref",
        "service": "report_tinh_766_service",
        "p_nam": "2025",
        "p_tinh_id": "0",
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
    assert capture.request == params
    assert capture.body == raw and capture.api == "legacy" and capture.endpoint == RANKING_SERVICE
    assert capture.scope == "national" and capture.extra["legacy_id"] == "0"
    assert capture.captured_at.isoformat() == "2025-10-16T04:56:00+00:00"
    rows = capture.json()
    thai_nguyen = next(r for r in rows if r["MA_COQUAN"] == "H55")
    assert thai_nguyen["ID"] == "370865"


def test_period_params() -> None:
    assert ranking_params(OCT_2025)["p_thang"] == 10 and ranking_params(OCT_2025)["p_quy"] == 0
    q3 = ranking_params(Period("quarter", 2025, 3), "370865")
    assert (q3["p_quy"], q3["p_thang"], q3["p_tinh_id"]) == (3, 0, "370865")
    year = ranking_params(Period("year", 2024))
    assert (year["p_nam"], year["p_quy"], year["p_thang"], year["p_6thang"]) == ("2024", 0, 0, 0)
    assert month_sum_params(OCT_2025, "370865") == {
        "type": "ref",
        "service": "report_by_month_sum_service",
        "p_nam": "2025",
        "p_tinh_id": "370865",
        "p_huyen_id": "",
        "p_thang": "10",
        "p_linhvuc": 0,
    }
    with pytest.raises(ValueError, match="quarter"):
        month_sum_params(Period("quarter", 2025, 1))


def test_province_ranking_of_another_province_is_rejected(portal_dir: Path) -> None:
    raw = rows_file(portal_dir, "bao_cao_T10_2025__7c5e62b", "so_ban.json")
    with StubServer([Reply(200, raw)]) as stub, pytest.raises(WrongScopeError, match="H01.*H55") as info:
        client_for(stub).fetch_ranking(OCT_2025, "370865", "H55")
    assert info.value.capture.body == raw


def test_bad_rows_are_schema_changes(portal_dir: Path) -> None:
    rows = json.loads(rows_file(portal_dir, "bao_cao_T10_2025__7c5e62b", "diem_thang.json"))
    added = [dict(rows[0], TONG_DIEM=rows[0]["TONG_SCORE"])] + rows[1:]
    parsed = parse_legacy_body(RANKING_SERVICE, json.dumps(added))
    assert [d.path for d in parsed.drift] == ["[].TONG_DIEM"] and len(parsed.rows) == 34
    with pytest.raises(SchemaChangeError, match=r"unknown field \[\]\.TONG_DIEM .*freeze"):
        validate_legacy(RANKING_SERVICE, json.dumps(added), drift_mode="freeze")
    missing = [{k: v for k, v in rows[0].items() if k != "CKMB"}]
    with pytest.raises(SchemaChangeError, match=r"missing field \[0\]\.CKMB"):
        validate_legacy(RANKING_SERVICE, json.dumps(missing))
    number = [dict(rows[0], TDGQ=19.05)]
    with pytest.raises(SchemaChangeError, match=r"\[0\]\.TDGQ is number \(19\.05\), expected a string"):
        validate_legacy(RANKING_SERVICE, json.dumps(number))
    garbled = [dict(rows[0], MDHL="18,5")]
    with pytest.raises(SchemaChangeError, match=r"\[0\]\.MDHL: value '18,5' is not a decimal string"):
        validate_legacy(RANKING_SERVICE, json.dumps(garbled))
    # The documented object form is accepted.
    assert len(validate_legacy(RANKING_SERVICE, json.dumps({"data": rows}))) == 34


def test_empty_answer_is_not_published() -> None:
    with StubServer([Reply(200, b"[]")]) as stub, pytest.raises(NotPublishedError) as info:
        client_for(stub).fetch_ranking(Period.month(2025, 11))
    assert str(info.value) == "report_tinh_766_service 2025-11: not published yet (empty answer)"
    assert info.value.capture.body == b"[]"


def test_non_json_answer_is_an_envelope_error() -> None:
    with pytest.raises(EnvelopeError, match="not JSON"):
        validate_legacy(RANKING_SERVICE, b"Internal error")


def test_month_sum_rows() -> None:
    row = {"HS_TOTAL": "1200", "DXLTH": "95.5", "DXLTH_TOTAL": "1146", "TILE": "95.5"}
    with StubServer([Reply(200, json.dumps([row]).encode())]) as stub:
        capture = client_for(stub).fetch_month_sum(OCT_2025, "370865", "H55")
    assert capture.endpoint == MONTH_SUM_SERVICE and capture.request["p_thang"] == "10"
    drifted = parse_legacy_body(MONTH_SUM_SERVICE, json.dumps([dict(row, HS_NEW="1")]))
    assert [d.path for d in drifted.drift] == ["[].HS_NEW"]
    with pytest.raises(SchemaChangeError, match=r"unknown field \[\]\.HS_NEW"):
        validate_legacy(MONTH_SUM_SERVICE, json.dumps([dict(row, HS_NEW="1")]), drift_mode="freeze")


def test_ranking_pages_on_while_pages_are_full(portal_dir: Path) -> None:
    rows = json.loads(rows_file(portal_dir, "bao_cao_T10_2025__7c5e62b", "xa_phuong.json"))
    pages = [rows[:50], rows[50:100], rows[100:]]
    replies = [Reply(200, json.dumps(p, ensure_ascii=False).encode()) for p in pages]
    with StubServer(replies) as stub:
        captures = client_for(stub).fetch_ranking_pages(OCT_2025, "398126", "H01", page_size=50)
        asked = [json.loads(parse_qs(r.body.decode())["params"][0])["pageIndex"] for r in stub.requests]
    assert asked == [1, 2, 3]
    assert sum(len(c.json()) for c in captures) == 102
