"""Real bodies of the other period kinds and of the per-procedure variant, as the portal sent them
(``tests/fixtures/portal/v1/*-variants``: a quarter, a running year, one procedure, a month of
service-results), through the contract and the normaliser a run uses.

``test_contract_real_bodies`` rewrites the month bodies into each kind; these are the portal's own
answers, with what only the real ones show: procedure rows of zeros, 0/0 metrics with a null ratio,
``onlineProvision`` null in a month view, and charts that pad the months outside the period asked
for (0 in the trees, null in ``dossierChart``) — pads that must not land as reports.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from dvc766.periods import Period
from flows.normalise import build_id_to_code, normalise
from tests.test_contract_real_bodies import FORMALITY, check_service_results, check_shape_a, check_tree
from tests.test_normalise_v1 import H44_ID, PORTAL, h44_batch, make_capture

VARIANTS = PORTAL / "v1" / "qd766-variants"
Q3 = Period("quarter", 2026, 3)
YTD_09 = Period("ytd", 2026, 9)  # the running year as asked on 26/09/2026
AUG = Period("month", 2026, 8)

# file → (endpoint, period, request fields beside rootDepartmentId and paging)
CASES: dict[str, tuple[str, Period, dict[str, Any]]] = {
    "dvc-progress-tree_H44_quarter2026-Q3_formality-2.000815.trimmed.json": (
        "evaluation/dvc-progress-tree",
        Q3,
        {"timeType": "quarter", "year": 2026, "quarter": 3, "formalityId": FORMALITY},
    ),
    "provide-online-tree_H44_year2026_formality-2.000815.trimmed.json": (
        "evaluation/provide-online-tree",
        YTD_09,
        {"timeType": "year", "year": 2026, "formalityId": FORMALITY},
    ),
    "transparency_H44_quarter2026-Q3_all.trimmed.json": (
        "evaluation/transparency",
        Q3,
        {"timeType": "quarter", "year": 2026, "quarter": 3},
    ),
    "transparency_H44_month2026-08_formality-2.000815.trimmed.json": (
        "evaluation/transparency",
        AUG,
        {"timeType": "month", "year": 2026, "month": 8, "formalityId": FORMALITY},
    ),
}


def capture_of(name: str, *, unit_figures: bool = False):
    """The capture of a variant; ``unit_figures`` asks it without the procedure filter (same shape):
    one procedure's chart is kept in raw/ only, so the chart rules are seen on the unit's own."""
    endpoint, period, fields = CASES[name]
    if unit_figures:
        fields = {k: v for k, v in fields.items() if k != "formalityId"}
    request = {"rootDepartmentId": H44_ID, "currentPage": 1, "pageSize": 200, **fields}
    return make_capture((VARIANTS / name).read_bytes(), endpoint, "H44", period, request=request)


def series(out: dict, code: str) -> dict[str, float | None]:
    return {
        r["series_month"]: r["value"] for r in out["reported_series"].to_pylist() if r["series_code"] == code
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_figure_of_a_real_variant_lands_equal(name: str) -> None:
    capture = capture_of(name)
    endpoint, period, fields = CASES[name]
    data = json.loads(capture.body)["data"]
    ids = build_id_to_code(h44_batch())
    out = normalise(capture, ids)
    procedure = "formalityId" in fields
    if endpoint == "evaluation/transparency":
        compared = check_shape_a(endpoint, data, out, ids, procedure)
    else:
        compared = check_tree(endpoint, data, out, procedure)
    assert compared > 20
    for table in out.values():
        if table.num_rows:
            assert set(table.column("period_key").to_pylist()) == {period.key}
    prefix = "procedure_" if procedure else ""
    assert out[f"{prefix}unit_scores"].num_rows > 0
    assert out["schema_drift"].num_rows == 0


def test_a_quarter_chart_lands_its_three_months_not_the_pads() -> None:
    name = "dvc-progress-tree_H44_quarter2026-Q3_formality-2.000815.trimmed.json"
    out = normalise(capture_of(name, unit_figures=True))
    assert series(out, "PROGRESS_MONTH_ON_TIME_PCT") == {"2026-07": 95.93, "2026-08": 94.92, "2026-09": 93.65}


def test_a_running_year_chart_keeps_its_reported_zeros_and_drops_the_months_to_come() -> None:
    name = "provide-online-tree_H44_year2026_formality-2.000815.trimmed.json"
    out = normalise(capture_of(name, unit_figures=True))
    got = series(out, "ONLINE_MONTH_DOSSIER_PCT")
    # January to April are 0 inside the period (reported); October to December are pads
    assert got == {f"2026-{m:02d}": (0 if m <= 4 else 100) for m in range(1, 10)}


def test_a_month_chart_lands_only_its_month() -> None:
    from tests.test_normalise_v1 import h44_capture

    out = normalise(h44_capture("evaluation/dvc-progress-tree"))
    assert series(out, "PROGRESS_MONTH_ON_TIME_PCT") == {"2026-08": 78.38}
    assert series(out, "PROGRESS_MONTH_OVERDUE_PCT") == {"2026-08": 21.62}


def test_a_procedure_metric_of_zero_over_zero_stays_null() -> None:
    out = normalise(
        capture_of("transparency_H44_month2026-08_formality-2.000815.trimmed.json"),
        build_id_to_code(h44_batch()),
    )
    rows = {(r["unit_code"], r["indicator_code"]): r for r in out["procedure_indicator_values"].to_pylist()}
    publish = rows[("H44", "PUBLISH_ON_TIME")]
    assert (publish["numerator"], publish["denominator"], publish["value"], publish["score"]) == (
        0,
        0,
        None,
        None,
    )
    sync = rows[("H44.01", "DOSSIER_SYNC")]
    assert sync["quality_flag"] == "NO_NATIONAL_REPORT_DATA" and sync["value"] is None
    assert {r["formality_id"] for r in rows.values()} == {FORMALITY}


def test_a_month_of_service_results_for_one_province() -> None:
    body = PORTAL / "v1" / "crawler766-variants" / "service-results_H21_GiaLai_month2026-02.trimmed.json"
    request = {
        "timeType": "month",
        "year": 2026,
        "month": 2,
        "rootDepartmentId": "019d2be3-6a85-74ec-a346-6489e82ae4c7",
    }
    capture = make_capture(
        body.read_bytes(), "evaluation/service-results", "H21", Period("month", 2026, 2), request=request
    )
    data = json.loads(capture.body)["data"]
    out = normalise(capture)
    assert check_service_results(data, out, national=False) >= 12
    values = {r["indicator_code"] for r in out["indicator_values"].to_pylist() if r["unit_code"] == "H21"}
    assert "ONLINE_DOSSIER_CHANNEL" in values and "ONLINE_PROVISION_FULL" not in values  # null donut
    # the year's scores as the portal reported them in October (null months to come dropped) …
    assert series(out, "SR_MONTH_AVERAGE_SCORE") == dict(
        zip([f"2026-{m:02d}" for m in range(1, 10)],
            [36.49, 34.19, 33.36, 34.68, 36.81, 63.78, 58.01, 57.76, 50.84], strict=True)
    )  # fmt: skip
    # … but the dossier chart of a month view reports that month only: its other months are pads
    assert series(out, "SR_MONTH_ON_TIME_PCT") == {"2026-02": 4.53}
