"""The replica over HTTP: real bodies byte-for-byte, the portal's shapes, faults, clock and stats.

Every test talks to a running replica through a socket, as the portal clients do.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.parse
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import requests

from replica.server import ReplicaConfigError, start_replica

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "replica" / "scenarios" / "real_bodies"
H44 = "019d2be3-6a88-732b-8b17-b68020c8553a"  # Phú Thọ
H55 = "019d2be3-6a88-732b-8b25-68dfdcdcff0e"  # Thái Nguyên
PROGRESS_AUG = {"rootDepartmentId": H44, "currentPage": 1, "pageSize": 100, "timeType": "month", "year": 2026,
                "month": 8}  # fmt: skip


@pytest.fixture(scope="module")
def replica():
    with start_replica(scenarios=[REAL], now="2026-11-28T10:00") as r:
        yield r


@pytest.fixture(autouse=True)
def _calm(replica) -> None:
    """Each test starts with no faults, the module's clock, and empty stats."""
    replica.set_faults("")
    replica.set_now("2026-11-28T10:00")
    replica.reset_stats()


def v1(replica, endpoint: str, body: dict, **kw) -> requests.Response:
    return requests.post(f"{replica.url}/api/v1/reporting/{endpoint}", json=body, timeout=(2, 10), **kw)


def legacy(replica, params: dict) -> requests.Response:
    params = {"type": "ref", "p_huyen_id": "", **params}
    return requests.post(f"{replica.url}/jsp/rest.jsp", data={"params": json.dumps(params)}, timeout=(2, 10))


def ranking(tinh: str, year: int, month: int = 0, page_size: int = 1000) -> dict:
    return {"service": "report_tinh_766_service", "p_nam": str(year), "p_tinh_id": tinh, "p_loaidonvi": 1,
            "loaichitieu": 0, "p_6thang": 0, "p_quy": 0, "p_thang": month, "pageIndex": 1, "pageSize": page_size}  # fmt: skip


# --- real bodies ---------------------------------------------------------------------------------


def test_phu_tho_august_progress_tree_is_the_captured_bytes(replica, portal_dir) -> None:
    resp = v1(replica, "evaluation/dvc-progress-tree", PROGRESS_AUG)
    assert resp.status_code == 201
    captured = (portal_dir / "v1" / "qd766" / "dvc-progress-tree_H44_month2026-08_all.json").read_bytes()
    assert resp.content == captured
    children = resp.json()["data"]["children"]
    assert len(children) == 163
    assert sum(c["totalOverdue"] for c in children) == 39_888


def test_satisfaction_matches_on_its_dates(replica, portal_dir) -> None:
    body = {"fromDate": "2026-08-01", "toDate": "2026-08-31", "rootDepartmentId": H44, "currentPage": 1,
            "pageSize": 200}  # fmt: skip
    resp = v1(replica, "evaluation/handling-satisfaction", body)
    name = "handling-satisfaction_H44_2026-08-01_2026-08-31_all.trimmed.json"
    assert resp.content == (portal_dir / "v1" / "qd766" / name).read_bytes()


def test_national_service_results_depend_on_the_clock(replica, portal_dir) -> None:
    body = {"timeType": "year", "year": 2026, "departmentType": "ADMINISTRATIVE_UNIT"}
    folder = portal_dir / "v1" / "crawler766"
    replica.set_now("2026-09-20T08:00")
    assert (
        v1(replica, "evaluation/service-results", body).content
        == (folder / "service-results_national_year2026_20260917.json").read_bytes()
    )
    replica.set_now("2026-10-10T08:00")
    assert (
        v1(replica, "evaluation/service-results", body).content
        == (folder / "service-results_national_year2026_20261010.json").read_bytes()
    )


def test_legacy_captures_answer_in_their_windows(replica, portal_dir) -> None:
    src = portal_dir / "legacy"
    replica.set_now("2025-10-12T09:00")
    resp = legacy(replica, ranking("398126", 2025))
    expected = json.loads((src / "bao_cao_T10_2025__ebd4e73" / "so_ban.json").read_text()) + json.loads(
        (src / "bao_cao_T10_2025__ebd4e73" / "xa_phuong.json").read_text()
    )
    assert resp.json() == expected
    assert b"\n" not in resp.content and resp.content.startswith(b'[{"ID":')
    replica.set_now("2025-10-20T09:00")
    nat = legacy(replica, ranking("0", 2025)).json()
    assert nat == json.loads((src / "bao_cao_T10_2025__7c5e62b" / "diem_nam.json").read_text())
    replica.set_now("2025-10-05T09:00")  # before the first capture: generated rows
    generated = legacy(replica, ranking("0", 2025)).json()
    assert len(generated) == 34 and generated != nat


def test_gia_lai_and_formalities_last_page(replica, portal_dir) -> None:
    gl = {"timeType": "year", "year": 2026, "rootDepartmentId": "019d2be3-6a85-74ec-a346-6489e82ae4c7"}
    assert (
        v1(replica, "evaluation/service-results", gl).content
        == (portal_dir / "v1" / "crawler766" / "service-results_H21_GiaLai_year2026.json").read_bytes()
    )
    first = v1(replica, "formalities", {"currentPage": 1, "pageSize": 10}).json()["data"]
    assert first["pagination"] == {"total": 5741, "currentPage": 1, "pageSize": 10, "totalPages": 575}
    last = v1(replica, "formalities", {"currentPage": 575, "pageSize": 10})
    assert last.content == (portal_dir / "v1" / "qd766" / "formalities_page575_last.json").read_bytes()


# --- generated shapes ----------------------------------------------------------------------------


def test_envelope_status_and_serialisation(replica) -> None:
    body = {**PROGRESS_AUG, "rootDepartmentId": H55}
    resp = v1(replica, "evaluation/dvc-progress-tree", body)
    assert resp.status_code == 201
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.content.startswith(b'{"code":"OK","data":{"parent":')
    assert resp.content.endswith(b',"message":"OK"}')
    assert b": " not in resp.content and "Thái Nguyên".encode() in resp.content  # minified, UTF-8 as-is
    data = resp.json()["data"]
    parent, child = data["parent"], data["children"][0]
    assert {"totalScore", "totalMaxScore", "totalCompleted"} <= parent.keys() and "score" not in parent
    assert {"score", "maxScore", "totalOverdue", "scoreDelta"} <= child.keys() and "totalScore" not in child
    assert len(data["children"]) > 100  # pageSize 100 ignored by tree endpoints
    assert "pagination" not in data
    assert isinstance(parent["totalReceived"], int)
    assert parsedate_to_datetime(resp.headers["Date"]).isoformat() == "2026-11-28T03:00:00+00:00"


def test_shape_a_quirks_and_paging(replica) -> None:
    base = {"rootDepartmentId": H55, "timeType": "month", "year": 2026, "month": 8}
    tr = v1(replica, "evaluation/transparency", {**base, "currentPage": 2, "pageSize": 50}).json()["data"]
    assert list(tr) == ["overview", "monthlyChart", "evaluation", "pagination", "source"]
    total = tr["pagination"]["total"]
    assert tr["pagination"] == {
        "total": total,
        "currentPage": 2,
        "pageSize": 50,
        "totalPages": -(-total // 50),
    }
    assert [r["stt"] for r in tr["evaluation"]] == list(range(51, 101))
    assert all("departmentCode" not in r for r in [tr["overview"], *tr["evaluation"]])
    hs = {"rootDepartmentId": H55, "fromDate": "2026-08-01", "toDate": "2026-08-31", "pageSize": 500}
    sat = v1(replica, "evaluation/handling-satisfaction", hs).json()["data"]
    assert "departmentCode" not in sat["overview"] and sat["overview"]["averageScore"] is None
    dig = v1(replica, "evaluation/dossier-digitized", {**base, "pageSize": 500}).json()["data"]
    assert dig["overview"]["departmentCode"] == "H55"
    assert all(r["departmentCode"].startswith("H55.") for r in dig["evaluation"])
    codes = [m["code"] for m in dig["overview"]["metrics"]]
    filtered = v1(replica, "evaluation/dossier-digitized", {**base, "formalityID": "x"}).json()["data"]
    assert "CITIZEN_DATA_CONNECTED_FORMALITY" in codes
    assert "CITIZEN_DATA_CONNECTED_FORMALITY" not in [m["code"] for m in filtered["overview"]["metrics"]]


def test_legacy_province_rows(replica) -> None:
    rows = legacy(replica, ranking("370865", 2026, month=8)).json()  # Thái Nguyên's legacy ID
    assert all(isinstance(v, str) for r in rows for v in r.values())
    kinds = [(r["LOAI_COQUAN"], r["CAPDONVIID"]) for r in rows]
    n_agencies = kinds.count(("2", "1"))
    assert 13 <= n_agencies <= 17 and kinds == [("2", "1")] * n_agencies + [("3", "2")] * (
        len(rows) - n_agencies
    )
    assert sorted(int(r["ROW_STT"]) for r in rows) == list(range(1, len(rows) + 1))
    assert all(not v.endswith(".0") for r in rows for v in r.values())
    assert all(r["MA_COQUAN"].startswith("H55.") for r in rows)
    assert len(legacy(replica, ranking("370865", 2026, month=8, page_size=5)).json()) == 5
    nat = legacy(replica, ranking("0", 2026, month=8)).json()
    assert [r["ROW_STT"] for r in nat] == [str(i) for i in range(1, 35)]
    assert "000.00.00.H37" in {r["MA_COQUAN"] for r in nat}
    month_sum = legacy(replica, {"service": "report_by_month_sum_service", "p_nam": "2026", "p_tinh_id": "370865",
                                 "p_thang": "8", "p_linhvuc": 0}).json()  # fmt: skip
    assert len(month_sum) == 1 and int(month_sum[0]["HS_TOTAL"]) > 0


def test_unknown_endpoints_and_bad_requests(replica) -> None:
    assert v1(replica, "evaluation/no-such-thing", {}).status_code == 404
    assert requests.post(f"{replica.url}/api/v2/x", json={}, timeout=5).status_code == 404
    assert legacy(replica, {"service": "no_such_service"}).status_code == 404
    assert v1(replica, "evaluation/dvc-progress-tree", {"rootDepartmentId": H55}).status_code == 400
    not_json = requests.post(f"{replica.url}/api/v1/reporting/formalities", data=b"[1, 2", timeout=5)
    assert not_json.status_code == 400 and not_json.json()["code"] == "BAD_REQUEST"
    assert (
        requests.post(f"{replica.url}/api/v1/reporting/formalities", json=[1], timeout=5).status_code == 400
    )


# --- clock ---------------------------------------------------------------------------------------


def test_clock_drives_ytd_and_publication(replica) -> None:
    year = {"rootDepartmentId": H55, "timeType": "year", "year": 2026}

    def received(body: dict) -> int | None:
        return v1(replica, "evaluation/dvc-progress-tree", body).json()["data"]["parent"]["totalReceived"]

    replica.set_now("2026-03-15T12:00")
    march = received(year)
    replica.set_now("2026-06-15T12:00")
    june = received(year)
    assert march < june
    replica.set_now("2026-07-01T00:00")  # January..June complete, July not started counting
    months = []
    replica.set_now("2026-07-03T00:00")  # June published on the 3rd of July
    for m in range(1, 7):
        months.append(received({"rootDepartmentId": H55, "timeType": "month", "year": 2026, "month": m}))
    replica.set_now("2026-07-01T00:00")
    assert received(year) == sum(months)
    replica.set_now("2026-08-02T23:00")  # July ended but not published yet
    july = {"rootDepartmentId": H55, "timeType": "month", "year": 2026, "month": 7}
    data = v1(replica, "evaluation/dvc-progress-tree", july).json()
    assert (
        data["code"] == "OK"
        and data["data"]["children"] == []
        and data["data"]["parent"]["totalReceived"] is None
    )
    resp = requests.post(f"{replica.url}/__replica/clock", json={"now": "2026-08-03T08:00"}, timeout=5)
    assert resp.json()["now"].startswith("2026-08-03T08:00")
    assert len(v1(replica, "evaluation/dvc-progress-tree", july).json()["data"]["children"]) > 90
    assert requests.post(f"{replica.url}/__replica/clock", json={"now": "soon"}, timeout=5).status_code == 400


# --- faults --------------------------------------------------------------------------------------


def test_5xx_then_ok(replica) -> None:
    replica.set_faults("dvc-progress-tree:5xx:2")
    assert [v1(replica, "evaluation/dvc-progress-tree", PROGRESS_AUG).status_code for _ in range(3)] == [
        503,
        503,
        201,
    ]
    assert v1(replica, "evaluation/provide-online-tree", PROGRESS_AUG).status_code == 201
    replica.set_faults("all:5xx:1:status=502")
    bad_gateway = v1(replica, "evaluation/provide-online-tree", PROGRESS_AUG)
    assert bad_gateway.status_code == 502 and "Bad Gateway" in bad_gateway.text


def test_429_with_retry_after(replica) -> None:
    replica.set_faults("service-results:429:1:retry-after=1")
    body = {"timeType": "year", "year": 2026, "rootDepartmentId": H55}
    first = v1(replica, "evaluation/service-results", body)
    assert first.status_code == 429 and first.headers["Retry-After"] == "1"
    assert v1(replica, "evaluation/service-results", body).status_code == 201


def test_waf_page_is_html_with_status_200(replica) -> None:
    resp = requests.post(f"{replica.url}/__replica/faults", json={"spec": "transparency:waf"}, timeout=5)
    assert resp.status_code == 200
    page = v1(replica, "evaluation/transparency", {**PROGRESS_AUG, "rootDepartmentId": H55})
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Request Rejected" in page.text and "support ID" in page.text
    assert v1(replica, "evaluation/dvc-progress-tree", PROGRESS_AUG).status_code == 201


def test_reset_closes_without_a_response(replica) -> None:
    replica.set_faults("reset:1")
    with pytest.raises(requests.ConnectionError):
        v1(replica, "evaluation/dvc-progress-tree", PROGRESS_AUG)
    assert v1(replica, "evaluation/dvc-progress-tree", PROGRESS_AUG).status_code == 201


def test_truncated_body_is_shorter_than_content_length(replica) -> None:
    replica.set_faults("dvc-progress-tree:truncated:1")
    conn = http.client.HTTPConnection("127.0.0.1", replica.port, timeout=5)
    conn.request("POST", "/api/v1/reporting/evaluation/dvc-progress-tree", json.dumps(PROGRESS_AUG),
                 {"Content-Type": "application/json"})  # fmt: skip
    resp = conn.getresponse()
    declared = int(resp.getheader("Content-Length"))
    with pytest.raises(http.client.IncompleteRead) as err:
        resp.read()
    assert 0 < len(err.value.partial) < declared
    conn.close()


def test_latency_delays_the_answer_past_a_short_read_timeout(replica) -> None:
    replica.set_faults("provide-online-tree:latency=1.5:1")
    with pytest.raises(requests.ReadTimeout):
        requests.post(f"{replica.url}/api/v1/reporting/evaluation/provide-online-tree", json=PROGRESS_AUG,
                      timeout=(2, 0.2))  # fmt: skip


def test_wrong_province_renamed_field_and_empty_month(replica) -> None:
    body = {**PROGRESS_AUG, "rootDepartmentId": H55}
    replica.set_faults("dvc-progress-tree:wrong-province:1")
    assert (
        v1(replica, "evaluation/dvc-progress-tree", body).json()["data"]["parent"]["departmentCode"] != "H55"
    )
    replica.set_faults("dvc-progress-tree:wrong-province:1")  # applies to scenario bodies too
    assert (
        v1(replica, "evaluation/dvc-progress-tree", PROGRESS_AUG).json()["data"]["parent"]["departmentCode"]
        != "H44"
    )
    replica.set_faults("dvc-progress-tree:renamed-field:1")
    parent = v1(replica, "evaluation/dvc-progress-tree", body).json()["data"]["parent"]
    assert "rate" in parent and "ratio" not in parent
    replica.set_faults("dvc-progress-tree:renamed-field:1:field=totalOverdue>totalOverDue")
    child = v1(replica, "evaluation/dvc-progress-tree", body).json()["data"]["children"][0]
    assert "totalOverDue" in child and "totalOverdue" not in child
    replica.set_faults("dvc-progress-tree:empty-month:1")
    empty = v1(replica, "evaluation/dvc-progress-tree", body).json()
    assert empty["code"] == "OK" and empty["data"]["children"] == []
    assert (
        empty["data"]["parent"]["totalReceived"] is None
        and empty["data"]["parent"]["departmentCode"] == "H55"
    )


def test_legacy_faults(replica) -> None:
    replica.set_faults("legacy:waf:1,report_tinh_766_service:empty-month:1")
    assert "Request Rejected" in legacy(replica, ranking("0", 2026, month=8)).text
    assert legacy(replica, ranking("0", 2026, month=8)).content == b"[]"
    replica.set_faults("report_tinh_766_service:wrong-province:1")
    rows = legacy(replica, ranking("370865", 2026, month=8)).json()
    assert rows and not any(r["MA_COQUAN"].startswith("H55") for r in rows)


def test_bad_fault_specs_are_refused(replica) -> None:
    for spec in ("nowhere:5xx", "dvc-progress-tree:explode", "all:latency=fast", "429:1:retry-after=x"):
        resp = requests.post(f"{replica.url}/__replica/faults", json={"spec": spec}, timeout=5)
        assert resp.status_code == 400, spec
    with pytest.raises(ReplicaConfigError):
        start_replica(faults="dvc-progress-tree:explode")


# --- stats and scenarios ---------------------------------------------------------------------------


def test_stats_count_requests_per_endpoint(replica) -> None:
    for _ in range(3):
        v1(replica, "evaluation/dvc-progress-tree", PROGRESS_AUG)
    legacy(replica, ranking("0", 2026, month=8))
    stats = requests.get(f"{replica.url}/__replica/stats", timeout=5).json()
    assert stats["total"] == 4
    slot = stats["endpoints"]["v1:evaluation/dvc-progress-tree"]
    assert slot["count"] == 3 and slot["times"] == sorted(slot["times"])
    assert stats["endpoints"]["legacy:report_tinh_766_service"]["count"] == 1


def test_strict_scenario_and_scenario_errors(tmp_path) -> None:
    (tmp_path / "b.json").write_bytes(b'{"code":"OK","data":{"x":1},"message":"OK"}')
    entry = {"api": "v1", "endpoint": "evaluation/dvc-progress-tree", "match": {"year": 2030}, "status": 201,
             "body_file": "b.json"}  # fmt: skip
    (tmp_path / "scenario.json").write_text(json.dumps({"strict": True, "entries": [entry]}))
    with start_replica(scenarios=[tmp_path], now="2026-11-28T10:00") as r:
        hit = v1(
            r, "evaluation/dvc-progress-tree", {"year": 2030, "timeType": "year", "rootDepartmentId": H55}
        )
        assert hit.content == b'{"code":"OK","data":{"x":1},"message":"OK"}'
        assert v1(r, "evaluation/dvc-progress-tree", PROGRESS_AUG).status_code == 404
    entry["body_file"] = "missing.json"
    (tmp_path / "scenario.json").write_text(json.dumps({"entries": [entry]}))
    with pytest.raises(ReplicaConfigError, match="missing.json"):
        start_replica(scenarios=[tmp_path])
    with pytest.raises(ReplicaConfigError, match="does not exist"):
        start_replica(scenarios=[tmp_path / "nope"])


def test_binds_loopback_only(replica) -> None:
    assert replica.server.server_address[0] == "127.0.0.1"
    host = urllib.parse.urlsplit(replica.url).hostname
    assert socket.gethostbyname(host) == "127.0.0.1"


def test_eras_v1_keeps_34_provinces_legacy_has_63_before_july_2025(replica) -> None:
    march = {"departmentType": "ADMINISTRATIVE_UNIT", "timeType": "month", "year": 2025, "month": 3}
    rows = v1(replica, "evaluation/service-results", march).json()["data"]["evaluation"]
    assert len(rows) == 34 and all(r["departmentCode"].startswith("H") for r in rows)
    old = legacy(replica, ranking("0", 2025, month=3)).json()
    assert len(old) == 63 and sum(r["MA_COQUAN"].startswith("Z") for r in old) == 29
    new = legacy(replica, ranking("0", 2025, month=8)).json()
    assert len(new) == 34
    districts = legacy(replica, ranking("370865", 2025, month=3)).json()
    assert 7 <= sum(r["LOAI_COQUAN"] == "3" for r in districts) <= 11


def test_satisfaction_accepts_a_year_to_date_range(replica) -> None:
    body = {"rootDepartmentId": H55, "fromDate": "2026-01-01", "toDate": "2026-10-31", "pageSize": 500}
    ytd = v1(replica, "evaluation/handling-satisfaction", body).json()["data"]["overview"]
    months = [
        v1(
            replica,
            "evaluation/handling-satisfaction",
            {"rootDepartmentId": H55, "fromDate": f"2026-{m:02d}-01", "toDate": f"2026-{m:02d}-{d}"},
        ).json()["data"]  # fmt: skip
        for m, d in (
            (1, 31),
            (2, 28),
            (3, 31),
            (4, 30),
            (5, 31),
            (6, 30),
            (7, 31),
            (8, 31),
            (9, 30),
            (10, 31),
        )
    ]
    assert ytd["totalDossiers"] == sum(m["overview"]["totalDossiers"] for m in months)
    bad = {"rootDepartmentId": H55, "fromDate": "2026-01-05", "toDate": "2026-01-31"}
    assert v1(replica, "evaluation/handling-satisfaction", bad).status_code == 400
