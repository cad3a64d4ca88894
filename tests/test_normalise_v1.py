"""The v1 normaliser on the real portal bodies in tests/fixtures/portal/v1, and on hostile variants."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from dvc766.indicators import indicator
from dvc766.landing_schema import DATASETS, GROUP_CODES
from dvc766.periods import Period
from flows.capture import Capture, captured_time
from flows.errors import EnvelopeError, NotPublishedError, QuarantineError, SchemaChangeError, WrongScopeError
from flows.normalise import build_id_to_code, normalise

PORTAL = Path(__file__).resolve().parent / "fixtures" / "portal"
H44_ID = "019d2be3-6a88-732b-8b17-b68020c8553a"
AUG = Period.month(2026, 8)
QD766_DATE = "Sat, 26 Sep 2026 18:14:00 GMT"

# (file, endpoint, request) for the Phú Thọ August 2026 bodies, requests as the v1 README gives them.
H44_FILES = {
    "evaluation/dvc-progress-tree": ("qd766/dvc-progress-tree_H44_month2026-08_all.json", 100),
    "evaluation/provide-online-tree": ("qd766/provide-online-tree_H44_month2026-08_all.json", 200),
    "evaluation/formality-online-payment-tree": (
        "qd766/formality-online-payment-tree_H44_month2026-08_all.trimmed.json",
        100,
    ),
    "evaluation/transparency": ("qd766/transparency_H44_month2026-08_all.trimmed.json", 200),
    "evaluation/dossier-digitized": ("qd766/dossier-digitized_H44_month2026-08_all.trimmed.json", 200),
    "evaluation/handling-satisfaction": (
        "qd766/handling-satisfaction_H44_2026-08-01_2026-08-31_all.trimmed.json",
        200,
    ),
}


def make_capture(
    body: bytes,
    endpoint: str,
    scope: str,
    period: Period,
    *,
    api: str = "v1",
    request: dict[str, Any] | None = None,
    date_header: str = QD766_DATE,
    extra: dict[str, Any] | None = None,
) -> Capture:
    """Wrap a body the way a client would: request, Date header, scope and period."""
    headers = {"Date": date_header, "Content-Type": "application/json"}
    url = (
        f"https://dichvucong.gov.vn/api/v1/reporting/{endpoint}"
        if api == "v1"
        else "https://dichvucong.gov.vn/jsp/rest.jsp"
    )
    return Capture(
        api=api,
        endpoint=endpoint,
        request=request or {},
        url=url,
        status=201 if api == "v1" else 200,
        headers=headers,
        body=body,
        captured_at=captured_time(headers),
        scope=scope,
        period=period,
        run_id="test-run",
        extra=dict(extra or {}),
    )


def h44_capture(endpoint: str, *, body: bytes | None = None, extra: dict[str, Any] | None = None) -> Capture:
    name, page_size = H44_FILES[endpoint]
    if endpoint == "evaluation/handling-satisfaction":
        req: dict[str, Any] = {
            "rootDepartmentId": H44_ID,
            "currentPage": 1,
            "pageSize": page_size,
            "fromDate": "2026-08-01",
            "toDate": "2026-08-31",
        }
    else:
        req = {
            "rootDepartmentId": H44_ID,
            "currentPage": 1,
            "pageSize": page_size,
            "timeType": "month",
            "year": 2026,
            "month": 8,
        }
    return make_capture(
        body or (PORTAL / "v1" / name).read_bytes(), endpoint, "H44", AUG, request=req, extra=extra
    )


def h44_batch(extra: dict[str, Any] | None = None) -> list[Capture]:
    return [h44_capture(e, extra=extra) for e in H44_FILES]


# When each real national body was captured (its file name says the day): a body is asked for with
# the portal's Date header of that day, since its charts report the months begun by then.
NATIONAL_DATES = {
    "service-results_national_year2026_20260917.json": "Thu, 17 Sep 2026 03:40:19 GMT",
    "service-results_national_year2026_20261010.json": "Sat, 10 Oct 2026 02:00:00 GMT",
}


def national_capture(
    name: str = "service-results_national_year2026_20260917.json",
    when: str | None = None,
    period: Period | None = None,
) -> Capture:
    when = when or NATIONAL_DATES[name]
    body = (PORTAL / "v1" / "crawler766" / name).read_bytes()
    req = {"timeType": "year", "year": 2026, "departmentType": "ADMINISTRATIVE_UNIT"}
    return make_capture(
        body,
        "evaluation/service-results",
        "national",
        period or Period("ytd", 2026, 9),
        request=req,
        date_header=when,
    )


def rows(table: pa.Table, **eq: Any) -> list[dict[str, Any]]:
    return [r for r in table.to_pylist() if all(r[k] == v for k, v in eq.items())]


def mutate(endpoint: str, fn: Any) -> Capture:
    doc = json.loads(h44_capture(endpoint).body)
    fn(doc["data"])
    return h44_capture(endpoint, body=json.dumps(doc, ensure_ascii=False).encode())


# --- real bodies ------------------------------------------------------------------------------


def test_every_dataset_has_exactly_the_landing_schema() -> None:
    captures = h44_batch() + [national_capture()]
    ids = build_id_to_code(captures)
    for c in captures:
        out = normalise(c, ids)
        assert set(out) == set(DATASETS)
        for name, table in out.items():
            assert table.schema.equals(DATASETS[name]), (c.endpoint, name)


def test_progress_tree_parent_and_children() -> None:
    out = normalise(h44_capture("evaluation/dvc-progress-tree"))
    ind = out["indicator_values"]
    on_time = rows(ind, unit_code="H44", indicator_code="PROGRESS_ON_TIME")[0]
    assert (on_time["numerator"], on_time["denominator"]) == (144625, 184513)
    assert on_time["score"] == 15.68 and on_time["max_score"] == 20 and on_time["value"] == 78.38
    assert on_time["province_code"] == "H44" and on_time["period_key"] == "2026-08"
    assert on_time["captured_at"] == datetime(2026, 9, 26, 18, 14, tzinfo=UTC)
    assert rows(ind, unit_code="H44", indicator_code="PROGRESS_COMPLETED")[0]["numerator"] == 147765
    assert rows(ind, unit_code="H44", indicator_code="PROGRESS_AVG_DAYS")[0]["value"] == 7.05
    parent_overdue = rows(ind, unit_code="H44", indicator_code="PROGRESS_OVERDUE")[0]["numerator"]
    children_overdue = [r for r in rows(ind, indicator_code="PROGRESS_OVERDUE") if r["unit_code"] != "H44"]
    assert len(children_overdue) == 163
    assert sum(r["numerator"] for r in children_overdue) == 39888 == parent_overdue
    assert all(r["province_code"] == "H44" for r in children_overdue)
    score = rows(out["unit_scores"], unit_code="H44", group_code="TDGQ")[0]
    assert score["score"] == 15.68 and score["max_score"] == 20
    seen = out["units_seen"]
    kinds = {r["unit_code"]: r["unit_kind"] for r in seen.to_pylist()}
    assert kinds["H44"] == "province" and kinds["H44.01"] == "agency"
    assert sum(k == "commune" for k in kinds.values()) + sum(k == "agency" for k in kinds.values()) == 163


def test_online_and_payment_trees_land_the_count_indicators() -> None:
    ind = normalise(h44_capture("evaluation/provide-online-tree"))["indicator_values"]
    channel = rows(ind, unit_code="H44", indicator_code="ONLINE_TREE_CHANNEL_ONLINE")[0]
    assert (channel["numerator"], channel["denominator"]) == (150956, 152595)
    other = rows(ind, unit_code="H44", indicator_code="ONLINE_TREE_CHANNEL_OTHER")[0]
    assert other["numerator"] == 1639
    on_time = rows(ind, unit_code="H44", indicator_code="ONLINE_ON_TIME")[0]
    assert (on_time["numerator"], on_time["denominator"]) == (134160, 134160 + 16796)
    with_dossier = rows(ind, unit_code="H44", indicator_code="ONLINE_SERVICE_WITH_DOSSIER")[0]
    assert (with_dossier["numerator"], with_dossier["denominator"]) == (406, 1968)
    assert len(rows(ind, indicator_code="ONLINE_SERVICE_RATE")) == 164

    pay = normalise(h44_capture("evaluation/formality-online-payment-tree"))["indicator_values"]
    paid = rows(pay, unit_code="H44", indicator_code="PAYMENT_ONLINE_DOSSIER")[0]
    assert (paid["numerator"], paid["denominator"], paid["score"]) == (82913, 98459, 6.25)
    formality = rows(pay, unit_code="H44", indicator_code="PAYMENT_FORMALITY_PAID")[0]
    assert (formality["numerator"], formality["denominator"]) == (93, 310)


def test_fee_procedures_with_dossiers_above_the_fee_base_land_not_quarantined() -> None:
    # Thái Nguyên 2023: 213 fee-bearing procedures with dossiers against 182 fee-bearing procedures.
    # The two counts are not a proven part and whole (the indicator does not nest), so the province's
    # view lands with both counts and no percentage.
    assert not indicator("PAYMENT_FEE_FORMALITY_WITH_DOSSIER").nests
    capture = mutate(
        "evaluation/formality-online-payment-tree",
        lambda d: d["parent"].update(totalFeeDossierFormality=400),
    )
    pay = normalise(capture, build_id_to_code(h44_batch()))["indicator_values"]
    (row,) = rows(pay, unit_code="H44", indicator_code="PAYMENT_FEE_FORMALITY_WITH_DOSSIER")
    assert (row["numerator"], row["denominator"], row["value"], row["quality_flag"]) == (
        400,
        310,
        None,
        None,
    )
    paid = rows(pay, unit_code="H44", indicator_code="PAYMENT_FORMALITY_PAID")[0]
    assert (paid["numerator"], paid["denominator"], paid["quality_flag"]) == (93, 310, None)


def test_shape_a_metrics_keep_nulls_and_quality_flags() -> None:
    batch = h44_batch()
    ids = build_id_to_code(batch)
    ind = normalise(h44_capture("evaluation/transparency"), ids)["indicator_values"]
    publish = rows(ind, unit_code="H44", indicator_code="PUBLISH_ON_TIME")[0]
    assert publish["numerator"] == 0 and publish["value"] is None and publish["score"] is None
    sync = rows(ind, unit_code="H44", indicator_code="DOSSIER_SYNC")[0]
    assert sync["quality_flag"] == "TEMP_NATIONAL_REPORT_DENOMINATOR" and sync["group_code"] == "CKMB"
    # Children without departmentCode are keyed on the code found in the batch's tree captures.
    assert rows(ind, unit_code="H44.01", indicator_code="PUBLIC_CONTENT_FULL")
    dig = normalise(h44_capture("evaluation/dossier-digitized"), ids)["indicator_values"]
    copy = rows(dig, unit_code="H44", indicator_code="ELECTRONIC_CERTIFIED_COPY")[0]
    assert copy["numerator"] is None and copy["denominator"] is None and copy["value"] == 100
    sat = normalise(h44_capture("evaluation/handling-satisfaction"), ids)["unit_scores"]
    assert rows(sat, unit_code="H44", group_code="MDHL")[0]["score"] == 12.97


def test_rows_without_a_resolvable_code_are_dropped_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        out = normalise(h44_capture("evaluation/transparency"))  # no id_to_code: only the province resolves
    assert {r["unit_code"] for r in out["unit_scores"].to_pylist()} == {"H44"}
    assert "dropped 7 row(s)" in caplog.text


def test_national_service_results_ranks_and_group_scores() -> None:
    out = normalise(national_capture())
    scores = out["unit_scores"]
    h55 = {r["group_code"]: r for r in rows(scores, unit_code="H55")}
    assert h55["TOTAL"]["score"] == 61.48 and h55["TOTAL"]["province_code"] == "H55"
    assert {g: h55[g]["score"] for g in GROUP_CODES} == {
        "CKMB": 8.1,
        "TDGQ": 18.8,
        "CLGQ": 6.97,
        "TTTT": 6.16,
        "MDHL": 11.77,
        "MDSH": 9.68,
    }
    totals = [r for r in rows(scores, group_code="TOTAL") if r["unit_code"] != "VN"]
    assert len(totals) == 34 and {r["rank_scope_size"] for r in totals} == {34}
    # the national overview ("Cả nước") lands as the country, unranked: what provinces compare with
    (country,) = rows(scores, unit_code="VN")
    assert (country["score"], country["max_score"], country["rank_in_scope"]) == (56.56, 100, None)
    better = sum(r["score"] > 61.48 for r in totals)
    assert h55["TOTAL"]["rank_in_scope"] == better + 1
    assert rows(scores, unit_code="H20", group_code="TOTAL")[0]["rank_in_scope"] == 1
    assert {r["period_type"] for r in totals} == {"ytd"}
    assert {r["unit_kind"] for r in out["units_seen"].to_pylist()} == {"province", "country"}
    deltas = {
        r["unit_code"]: r["value"] for r in rows(out["indicator_values"], indicator_code="TOTAL_SCORE_DELTA")
    }
    assert len(deltas) == 34 and all(isinstance(v, float) for v in deltas.values())
    series = rows(out["reported_series"], series_code="SR_MONTH_AVERAGE_SCORE")
    # the months the portal had reported on 17/09; October to December are the null pads of a
    # whole-year chart and do not land
    assert [r["series_month"] for r in series] == [f"2026-{m:02d}" for m in range(1, 10)]
    assert {r["unit_code"] for r in series} == {"VN"} and series[-1]["value"] == 45.56


def test_province_service_results_children_and_donuts() -> None:
    body = (PORTAL / "v1" / "crawler766" / "service-results_H21_GiaLai_year2026.json").read_bytes()
    c = make_capture(
        body,
        "evaluation/service-results",
        "H21",
        Period("year", 2026),
        request={
            "timeType": "year",
            "year": 2026,
            "rootDepartmentId": "019d2be3-6a85-74ec-a346-6489e82ae4c7",
        },
    )
    out = normalise(c)
    kinds = [r["unit_kind"] for r in out["units_seen"].to_pylist() if r["unit_code"] != "H21"]
    assert (kinds.count("agency"), kinds.count("commune")) == (14, 135)
    total = rows(out["unit_scores"], unit_code="H21", group_code="TOTAL")[0]
    assert total["score"] == 62.74 and total["rank_in_scope"] is None
    child = rows(out["unit_scores"], unit_code="H21.17")[0]
    assert child["rank_scope_size"] == 149 and child["province_code"] == "H21"
    full = rows(out["indicator_values"], indicator_code="ONLINE_PROVISION_FULL")[0]
    assert (full["unit_code"], full["numerator"], full["denominator"], full["value"]) == (
        "H21",
        26,
        47,
        55.32,
    )
    # before the July 2025 reorganisation the commune level was the district level (the same rows as
    # a March 2025 answer: its dossier chart reports March only, or the body is for another period)
    doc = json.loads(body)
    for point in doc["data"]["dossierChart"]:
        if point["month"] != "03":
            point["onTimePct"] = point["overduePct"] = None
    march = json.dumps(doc).encode()
    old = normalise(make_capture(march, "evaluation/service-results", "H21", Period.month(2025, 3)))
    assert "district" in {r["unit_kind"] for r in old["units_seen"].to_pylist()}


def test_formalities_land_the_catalogue_and_no_figures() -> None:
    body = (PORTAL / "v1" / "qd766" / "formalities_page575_last.json").read_bytes()
    out = normalise(make_capture(body, "formalities", "national", Period("year", 2026)))
    item = json.loads(body)["data"]["items"][0]
    (row,) = out["formalities"].to_pylist()
    assert (row["formality_id"], row["formality_code"], row["formality_name"], row["state"]) == (
        item["id"],
        item["code"],
        item["name"],
        item["state"],
    )
    assert row["applied_department_ids"] == item["appliedDepartmentIds"]
    assert all(t.num_rows == 0 for name, t in out.items() if name != "formalities")


# --- hostile and broken bodies ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "change", "needle"),
    [
        (
            "evaluation/dvc-progress-tree",
            lambda d: d["children"][0].update(departmentCode="../../etc"),
            "departmentCode",
        ),
        ("evaluation/dvc-progress-tree", lambda d: d["children"][3].update(totalOverdue=-5), "totalOverdue"),
        ("evaluation/dvc-progress-tree", lambda d: d["parent"].update(ratio=100.5), "ratio"),
        (
            "evaluation/dvc-progress-tree",
            lambda d: d["children"][1].update(totalOnTime=10, totalReceived=3),
            "PROGRESS_ON_TIME",
        ),
        (
            "evaluation/provide-online-tree",
            lambda d: d["parent"].update(channelOnlineSum=float("nan")),
            "channelOnlineSum",
        ),
        (
            "evaluation/formality-online-payment-tree",
            lambda d: d["parent"].update(totalScore=float("inf")),
            "totalScore",
        ),
        (
            "evaluation/transparency",
            lambda d: d["overview"]["metrics"][2].update(numerator=90),
            "PUBLIC_CONTENT_FULL",
        ),
        (
            "evaluation/dossier-digitized",
            lambda d: d["evaluation"][0].update(departmentCode="H44.01; rm"),
            "departmentCode",
        ),
    ],
)
def test_hostile_values_are_quarantined(endpoint: str, change: Any, needle: str) -> None:
    with pytest.raises(QuarantineError, match=needle):
        normalise(mutate(endpoint, change), build_id_to_code(h44_batch()))


def test_schema_changes_name_the_field() -> None:
    with pytest.raises(SchemaChangeError, match="totalReceived"):
        normalise(mutate("evaluation/dvc-progress-tree", lambda d: d["parent"].pop("totalReceived")))
    with pytest.raises(SchemaChangeError, match="totalScore"):
        normalise(mutate("evaluation/dvc-progress-tree", lambda d: d["parent"].update(totalScore="15.68")))
    # A metric code the contract does not know is drift: the known metrics land, the new one is named.
    new_metric = mutate(
        "evaluation/dossier-digitized", lambda d: d["overview"]["metrics"][0].update(code="NEW_METRIC")
    )
    out = normalise(new_metric)
    assert out["schema_drift"].column("field_path").to_pylist() == ["overview.metrics[code=NEW_METRIC]"]
    assert "NEW_METRIC" not in out["indicator_values"].column("indicator_code").to_pylist()


def test_wrong_province_envelope_and_unpublished() -> None:
    body = h44_capture("evaluation/dvc-progress-tree").body
    wrong = make_capture(body, "evaluation/dvc-progress-tree", "H55", AUG)
    with pytest.raises(WrongScopeError, match="H55"):
        normalise(wrong)
    with pytest.raises(EnvelopeError):
        normalise(h44_capture("evaluation/dvc-progress-tree", body=b'{"code":"ERROR","message":"x"}'))
    with pytest.raises(EnvelopeError):
        normalise(h44_capture("evaluation/dvc-progress-tree", body=b"<html>Request Rejected</html>"))
    empty = json.dumps({"code": "OK", "data": {"parent": None, "children": []}, "message": "OK"}).encode()
    with pytest.raises(NotPublishedError):
        normalise(h44_capture("evaluation/dvc-progress-tree", body=empty))
