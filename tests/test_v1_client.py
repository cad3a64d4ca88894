"""V1Client and the v1 contract on the real captured bodies, served by a local stub like the portal would.

The fixtures are the bodies in tests/fixtures/portal/v1/; faults are made by editing one
real body the way the portal could change it.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dvc766.periods import Period
from dvc766.provinces import get_province
from dvc766.settings import Settings
from flows.errors import BlockedError, EnvelopeError, NotPublishedError, SchemaChangeError, WrongScopeError
from flows.portal_http import PoliteSession
from flows.sources.v1 import parse_v1_body as validate_v1
from flows.v1_client import ENDPOINTS, V1Client, build_request
from tests.conftest import PORTAL
from tests.httpstub import Reply, StubServer

AUG_2026 = Period.month(2026, 8)
DATE_HEADER = {"Date": "Sat, 26 Sep 2026 18:14:00 GMT"}
H44 = get_province("H44")


def body(portal_dir: Path, name: str) -> bytes:
    return (portal_dir / "v1" / name).read_bytes()


def client_for(stub: StubServer) -> V1Client:
    settings = Settings(portal_url=stub.url, pacing_s=0.0, jitter_s=0.0, max_retries=3, max_blocks=3)
    session = PoliteSession(settings, sleep=lambda s: None, clock=lambda: 0.0, rng=random.Random(1))
    return V1Client(settings, session)


def real_bodies() -> list[tuple[str, str | None]]:
    """(relative path, expected province code) of every full or trimmed real v1 body."""
    out: list[tuple[str, str | None]] = []
    for sub in ("qd766", "crawler766"):
        for name in sorted(p.name for p in (PORTAL / "v1" / sub).glob("*.json")):
            if ".excerpt." in name or name.endswith(".request.json"):
                continue
            code = next((c for c in ("H44", "H21") if f"_{c}_" in name), None)
            out.append((f"{sub}/{name}", code))
    return out


@pytest.mark.parametrize(("rel", "code"), real_bodies())
def test_every_real_body_validates(portal_dir: Path, rel: str, code: str | None) -> None:
    endpoint = Path(rel).name.split("_")[0]
    parsed = validate_v1(endpoint, body(portal_dir, rel), code)
    assert parsed.data is not None and parsed.rows and not parsed.drift


def test_real_bodies_were_found(portal_dir: Path) -> None:
    assert len(real_bodies()) == 10


def test_phu_tho_progress_tree_is_byte_exact_and_parses(portal_dir: Path) -> None:
    raw = body(portal_dir, "qd766/dvc-progress-tree_H44_month2026-08_all.json")
    with StubServer([Reply(201, raw, DATE_HEADER)]) as stub:
        capture = client_for(stub).fetch("evaluation/dvc-progress-tree", AUG_2026, H44, run_id="r1")
        sent = json.loads(stub.requests[0].body)
        path = stub.requests[0].path
    assert capture.body == raw
    assert capture.sha256.startswith("8659da4d")
    data = capture.json()["data"]
    assert len(data["children"]) == 163
    assert sum(c["totalOverdue"] for c in data["children"]) == 39_888
    assert path == "/api/v1/reporting/evaluation/dvc-progress-tree"
    assert sent == {
        "rootDepartmentId": "019d2be3-6a88-732b-8b17-b68020c8553a",
        "currentPage": 1,
        "pageSize": 200,
        "timeType": "month",
        "year": 2026,
        "month": 8,
    }
    assert capture.request == sent
    assert (capture.api, capture.endpoint, capture.scope, capture.status) == (
        "v1",
        "evaluation/dvc-progress-tree",
        "H44",
        201,
    )
    assert capture.captured_at == datetime(2026, 9, 26, 18, 14, tzinfo=UTC)
    assert capture.period == AUG_2026 and capture.run_id == "r1"


def test_request_bodies_follow_the_portal_page() -> None:
    h55 = get_province("H55")
    ytd = Period("ytd", 2026, 10)
    assert build_request("service-results", ytd, None) == {
        "timeType": "year",
        "year": 2026,
        "departmentType": "ADMINISTRATIVE_UNIT",
    }
    assert build_request("service-results", ytd, h55) == {
        "timeType": "year",
        "year": 2026,
        "rootDepartmentId": h55.department_id,
    }
    assert build_request("handling-satisfaction", ytd, h55) == {
        "rootDepartmentId": h55.department_id,
        "currentPage": 1,
        "pageSize": 500,
        "fromDate": "2026-01-01",
        "toDate": "2026-12-31",
    }
    assert build_request("handling-satisfaction", Period("quarter", 2026, 3), h55)["toDate"] == "2026-09-30"
    quarter = build_request("provide-online-tree", Period("quarter", 2026, 3), h55)
    assert (quarter["timeType"], quarter["quarter"], quarter["pageSize"]) == ("quarter", 3, 200)
    assert "month" not in quarter
    assert build_request("dossier-digitized", AUG_2026, h55, formality_id="f-1")["formalityID"] == "f-1"
    assert build_request("transparency", AUG_2026, h55, formality_id="f-1")["formalityId"] == "f-1"
    with pytest.raises(ValueError, match="no procedure"):
        build_request("handling-satisfaction", AUG_2026, h55, formality_id="f-1")
    assert len(ENDPOINTS) == 7 and all(e.startswith("evaluation/") for e in ENDPOINTS)


def test_wrong_province_is_rejected_and_kept(portal_dir: Path) -> None:
    raw = body(portal_dir, "qd766/dvc-progress-tree_H44_month2026-08_all.json")
    with StubServer([Reply(201, raw)]) as stub, pytest.raises(WrongScopeError, match="'H44'.*H55") as info:
        client_for(stub).fetch("dvc-progress-tree", AUG_2026, get_province("H55"))
    assert info.value.capture.body == raw and info.value.capture.scope == "H55"


def test_wrong_province_by_department_id_when_code_is_absent(portal_dir: Path) -> None:
    raw = body(portal_dir, "qd766/transparency_H44_month2026-08_all.trimmed.json")
    validate_v1("transparency", raw, "H44")
    with pytest.raises(WrongScopeError, match="departmentId"):
        validate_v1("transparency", raw, "H55")


def test_renamed_field_is_a_schema_change_naming_the_field(portal_dir: Path) -> None:
    raw = body(portal_dir, "qd766/dvc-progress-tree_H44_month2026-08_all.json").replace(
        b'"totalOverdue"', b'"totalLate"'
    )
    with StubServer([Reply(201, raw)]) as stub, pytest.raises(SchemaChangeError) as info:
        client_for(stub).fetch("dvc-progress-tree", AUG_2026, H44)
    # the new name is drift; the known name it replaced is missing, which is a schema change
    assert str(info.value).startswith("evaluation/dvc-progress-tree: missing field children[0].totalOverdue")
    assert info.value.capture.body == raw


def test_missing_and_mistyped_fields_are_schema_changes(portal_dir: Path) -> None:
    doc = json.loads(body(portal_dir, "qd766/provide-online-tree_H44_month2026-08_all.json"))
    del doc["data"]["parent"]["channelTotalSum"]
    with pytest.raises(SchemaChangeError, match="missing field parent.channelTotalSum"):
        validate_v1("provide-online-tree", json.dumps(doc).encode(), "H44")
    doc = json.loads(body(portal_dir, "qd766/dvc-progress-tree_H44_month2026-08_all.json"))
    doc["data"]["children"][5]["totalReceived"] = "12"
    with pytest.raises(
        SchemaChangeError, match=r"children\[5\]\.totalReceived is string .* expected an integer"
    ):
        validate_v1("dvc-progress-tree", json.dumps(doc).encode(), "H44")


def test_envelope_errors_carry_the_portal_message() -> None:
    bad = b'{"code":"ERROR","data":null,"message":"He thong dang bao tri"}'
    with pytest.raises(EnvelopeError, match="code='ERROR'.*bao tri"):
        validate_v1("transparency", bad, "H44")
    with pytest.raises(EnvelopeError, match="not JSON"):
        validate_v1("transparency", b"<html>oops</html>", "H44")


def test_empty_month_is_not_published(portal_dir: Path) -> None:
    parent = {
        k: None
        for k in (
            "totalReceived",
            "totalOnTime",
            "totalCompleted",
            "avgProcessingDays",
            "ratio",
            "totalScore",
        )
    }
    parent.update(
        {
            "departmentId": H44.department_id,
            "departmentName": H44.name,
            "departmentCode": "H44",
            "totalMaxScore": 20,
        }
    )
    empty = json.dumps(
        {"code": "OK", "data": {"parent": parent, "children": [], "monthlyChart": []}, "message": "OK"}
    )
    with StubServer([Reply(201, empty.encode())]) as stub, pytest.raises(NotPublishedError) as info:
        client_for(stub).fetch("dvc-progress-tree", Period.month(2026, 9), H44)
    assert str(info.value).startswith("evaluation/dvc-progress-tree 2026-09: not published yet")
    assert info.value.capture.body == empty.encode()


def test_waf_page_is_blocked_never_parsed() -> None:
    html = b"<html><body>Request Rejected. Your support ID is: 42</body></html>"
    with (
        StubServer([Reply(200, html, {"Content-Type": "text/html"})]) as stub,
        pytest.raises(BlockedError) as info,
    ):
        client_for(stub).fetch("transparency", AUG_2026, H44)
    assert info.value.capture.body == html and info.value.capture.status == 200


def test_national_ranking_must_list_provinces_not_units(portal_dir: Path) -> None:
    raw = body(portal_dir, "crawler766/service-results_national_year2026_20261010.json")
    with StubServer([Reply(201, raw)]) as stub:
        capture = client_for(stub).fetch("service-results", Period("ytd", 2026, 10), None)
    assert capture.scope == "national" and len(capture.json()["data"]["evaluation"]) == 34
    doc = json.loads(raw)
    doc["data"]["evaluation"][3]["departmentCode"] = "H44.03"  # a unit, not a province
    with pytest.raises(WrongScopeError, match="H44.03"):
        validate_v1("service-results", json.dumps(doc).encode(), None)


def _paged(raw: bytes, page: int, pages: int) -> bytes:
    doc = json.loads(raw)
    doc["data"]["pagination"].update({"currentPage": page, "totalPages": pages})
    return json.dumps(doc, ensure_ascii=False).encode()


def test_shape_a_paging(portal_dir: Path) -> None:
    raw = body(portal_dir, "qd766/transparency_H44_month2026-08_all.trimmed.json")
    with StubServer([Reply(201, _paged(raw, 1, 2)), Reply(201, _paged(raw, 2, 2))]) as stub:
        pages = client_for(stub).fetch_pages("transparency", AUG_2026, H44)
        asked = [json.loads(r.body)["currentPage"] for r in stub.requests]
    assert len(pages) == 2 and asked == [1, 2]
    with (
        StubServer([Reply(201, _paged(raw, 1, 2))]) as stub,
        pytest.raises(SchemaChangeError, match="spans 2 pages"),
    ):
        client_for(stub).fetch("transparency", AUG_2026, H44)


def test_formalities_follow_paging(portal_dir: Path) -> None:
    raw = body(portal_dir, "qd766/formalities_page575_last.json")
    replies = [Reply(201, _paged(raw, n, 3)) for n in (1, 2, 3)]
    with StubServer(replies) as stub:
        pages = client_for(stub).fetch_formalities(q="2.000815")
        sent = [json.loads(r.body) for r in stub.requests]
    assert len(pages) == 3
    assert sent[0] == {"q": "2.000815", "currentPage": 1, "pageSize": 100}
    assert [s["currentPage"] for s in sent] == [1, 2, 3]
    assert all(p.endpoint == "formalities" for p in pages)
