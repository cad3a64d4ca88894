"""Every real body in the fixtures, of every kind, through the contract and the normaliser: each
figure the body gives lands equal, field by field, and nulls stay null.

The expected values are read from the body itself with a field map written here, independently of
the normaliser (which reads typed models): body field → (dataset, indicator or group, column). The
same bodies are also run as the other period kinds and as the per-procedure variant — the portal
answers those in the same shape (a quarter, a year, a satisfaction date range; a ``formalityId``
filter, where dossier-digitized drops ``CITIZEN_DATA_CONNECTED_FORMALITY``) — so each kind is
tested on real numbers.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from dvc766.periods import Period
from flows.normalise import build_id_to_code, normalise
from tests.test_normalise_v1 import H44_FILES, h44_batch, h44_capture, make_capture, national_capture

# Tree rows: body field -> (table, code, column). "scores" rows are keyed by group, "values" rows by
# indicator code. The parent and the children name a few fields differently (v1-api.md §4.3).
TREE_FIELDS: dict[str, dict[str, tuple[str, str, str]]] = {
    "evaluation/dvc-progress-tree": {
        "totalReceived": ("values", "PROGRESS_ON_TIME", "denominator"),
        "totalOnTime": ("values", "PROGRESS_ON_TIME", "numerator"),
        "ratio": ("values", "PROGRESS_ON_TIME", "value"),
        "totalScore": ("scores", "TDGQ", "score"),
        "score": ("scores", "TDGQ", "score"),
        "totalMaxScore": ("scores", "TDGQ", "max_score"),
        "maxScore": ("scores", "TDGQ", "max_score"),
        "totalOverdue": ("values", "PROGRESS_OVERDUE", "numerator"),
        "totalCompleted": ("values", "PROGRESS_COMPLETED", "numerator"),
        "avgProcessingDays": ("values", "PROGRESS_AVG_DAYS", "value"),
    },
    "evaluation/provide-online-tree": {
        "totalScore": ("scores", "CLGQ", "score"),
        "totalMaxScore": ("scores", "CLGQ", "max_score"),
        "ratio": ("values", "ONLINE_SERVICE_RATE", "value"),
        "authorityCount": ("values", "ONLINE_TREE_FULL", "denominator"),
        "partialCount": ("values", "ONLINE_TREE_PARTIAL", "numerator"),
        "fullCount": ("values", "ONLINE_TREE_FULL", "numerator"),
        "onlineDossierCount": ("values", "ONLINE_SERVICE_WITH_DOSSIER", "numerator"),
        "onlineServiceTotal": ("values", "ONLINE_SERVICE_WITH_DOSSIER", "denominator"),
        "channelOnlineSum": ("values", "ONLINE_TREE_CHANNEL_ONLINE", "numerator"),
        "channelTotalSum": ("values", "ONLINE_TREE_CHANNEL_ONLINE", "denominator"),
        "onlineOnTimeSum": ("values", "ONLINE_ON_TIME", "numerator"),
        "onlineOverdueSum": ("values", "ONLINE_OVERDUE", "numerator"),
    },
    "evaluation/formality-online-payment-tree": {
        "totalScore": ("scores", "TTTT", "score"),
        "totalMaxScore": ("scores", "TTTT", "max_score"),
        "ratio": ("scores", "TTTT", "ratio"),
        "totalDossierOnlinePaymentSuccess": ("values", "PAYMENT_ONLINE_DOSSIER", "numerator"),
        "totalDossierFinancialObligation": ("values", "PAYMENT_ONLINE_DOSSIER", "denominator"),
        "totalDossierOnlineFormalityPaymentSuccess": ("values", "PAYMENT_FORMALITY_PAID", "numerator"),
        "totalFeeDossierFormalityDistinct": ("values", "PAYMENT_FEE_FORMALITY_OFFERED", "numerator"),
        "totalFeeDossierFormality": ("values", "PAYMENT_FEE_FORMALITY_WITH_DOSSIER", "numerator"),
        "totalFeeFormality": ("values", "PAYMENT_FEE_FORMALITY_OFFERED", "denominator"),
    },
}
SHAPE_A_GROUP = {
    "evaluation/transparency": "CKMB",
    "evaluation/handling-satisfaction": "MDHL",
    "evaluation/dossier-digitized": "MDSH",
}
METRIC_FIELDS = {
    "numerator": "numerator",
    "denominator": "denominator",
    "ratio": "value",
    "score": "score",
    "maxScore": "max_score",
    "dataQualityStatus": "quality_flag",
}


def _index(table: pa.Table, key: str) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for r in table.to_pylist():
        assert (r["unit_code"], r[key]) not in out, ("duplicate landed row", r["unit_code"], r[key])
        out[(r["unit_code"], r[key])] = r
    return out


def _same(body_value: Any, landed: Any) -> bool:
    if body_value is None or landed is None:
        return body_value is None and landed is None  # null stays null, never 0
    return (
        float(body_value) == pytest.approx(float(landed), abs=1e-9)
        if not isinstance(body_value, str)
        else body_value == landed
    )


def _landed(out: dict[str, pa.Table], procedure: bool) -> tuple[dict, dict]:
    prefix = "procedure_" if procedure else ""
    return _index(out[f"{prefix}unit_scores"], "group_code"), _index(
        out[f"{prefix}indicator_values"], "indicator_code"
    )


def check_tree(endpoint: str, data: dict[str, Any], out: dict[str, pa.Table], procedure: bool = False) -> int:
    scores, values = _landed(out, procedure)
    fields = TREE_FIELDS[endpoint]
    compared = 0
    units = [("H44", data["parent"])] + [(c["departmentCode"], c) for c in data["children"]]
    for code, row in units:
        for field, value in row.items():
            if field not in fields:
                continue
            table, key, column = fields[field]
            landed = (scores if table == "scores" else values)[(code, key)]
            assert _same(value, landed[column]), (endpoint, code, field, value, landed[column])
            compared += 1
    return compared


def check_shape_a(
    endpoint: str,
    data: dict[str, Any],
    out: dict[str, pa.Table],
    ids: dict[str, str],
    procedure: bool = False,
) -> int:
    scores, values = _landed(out, procedure)
    group = SHAPE_A_GROUP[endpoint]
    compared = 0
    units = [("H44", data["overview"])] + [(ids[r["departmentId"]], r) for r in data["evaluation"]]
    for code, row in units:
        s = scores[(code, group)]
        for field, column in (("totalScore", "score"), ("totalMaxScore", "max_score"), ("ratio", "ratio")):
            assert _same(row[field], s[column]), (endpoint, code, field)
            compared += 1
        for metric in row["metrics"]:
            landed = values[(code, metric["code"])]
            for field, column in METRIC_FIELDS.items():
                assert _same(metric.get(field), landed[column]), (endpoint, code, metric["code"], field)
                compared += 1
    return compared


def check_service_results(data: dict[str, Any], out: dict[str, pa.Table], national: bool) -> int:
    scores = _index(out["unit_scores"], "group_code")
    compared = 0
    for r in data["evaluation"]:
        total = scores[(r["departmentCode"], "TOTAL")]
        assert _same(r["totalScore"], total["score"]) and _same(r["ratio"], total["ratio"])
        compared += 2
        for g, v in (r.get("groupScores") or {}).items():
            assert _same(v, scores[(r["departmentCode"], g)]["score"]), (r["departmentCode"], g)
            compared += 1
    if not national:
        ov = data["overview"]
        assert _same(ov["totalScore"], scores[(ov["departmentCode"], "TOTAL")]["score"])
        values = _index(out["indicator_values"], "indicator_code")
        donut_codes = {"FULL": "ONLINE_PROVISION_FULL", "PARTIAL": "ONLINE_PROVISION_PARTIAL",
                       "NONE": "ONLINE_PROVISION_NONE", "ONLINE": "ONLINE_DOSSIER_CHANNEL",
                       "OTHER": "OTHER_DOSSIER_CHANNEL"}  # fmt: skip
        for slices in (data["donuts"] or {}).values():
            for s in slices or []:
                landed = values[(ov["departmentCode"], donut_codes[s["code"]])]
                assert _same(s["value"], landed["numerator"]) and _same(s["percent"], landed["value"])
                compared += 2
    return compared


# --- the period kinds and the per-procedure variant of the Phú Thọ bodies ----------------------------

Q3 = Period("quarter", 2026, 3)
YEAR_2026 = Period("ytd", 2026, 9)  # the running year, asked on 26/09 (a closed year has the same shape)
FORMALITY = "019d2bfd-8e22-77ef-819f-e49460350904"  # 2.000815, the procedure qd766 captured


def variant(endpoint: str, kind: str) -> tuple[Any, dict[str, Any]]:
    """The Phú Thọ body asked as another period kind, or for one procedure."""
    base = h44_capture(endpoint)
    doc = json.loads(base.body)
    request = dict(base.request)
    period = base.period
    if kind == "quarter":
        period = Q3
        if endpoint == "evaluation/handling-satisfaction":
            request.update(fromDate="2026-07-01", toDate="2026-09-30")
        else:
            request.update(timeType="quarter", quarter=3)
            request.pop("month")
    elif kind == "year":
        period = YEAR_2026
        if endpoint == "evaluation/handling-satisfaction":
            request.update(fromDate="2026-01-01", toDate="2026-12-31")
        else:
            request.update(timeType="year")
            request.pop("month")
    elif kind == "procedure":
        key = "formalityID" if endpoint == "evaluation/dossier-digitized" else "formalityId"
        request[key] = FORMALITY
        if endpoint == "evaluation/dossier-digitized":
            # per procedure the portal leaves out a property of the unit, and its maximum with it
            for row in [doc["data"]["overview"], *doc["data"]["evaluation"]]:
                gone = [m for m in row["metrics"] if m["code"] == "CITIZEN_DATA_CONNECTED_FORMALITY"]
                row["metrics"] = [
                    m for m in row["metrics"] if m["code"] != "CITIZEN_DATA_CONNECTED_FORMALITY"
                ]
                row["totalMaxScore"] -= sum(m["maxScore"] for m in gone)
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    return make_capture(body, endpoint, "H44", period, request=request), doc["data"]


# handling-satisfaction has no procedure filter (v1-api.md §3.2)
KINDS = [
    (endpoint, kind)
    for endpoint in sorted(H44_FILES)
    for kind in ("month", "quarter", "year", "procedure")
    if not (kind == "procedure" and endpoint == "evaluation/handling-satisfaction")
]


@pytest.mark.parametrize(("endpoint", "kind"), KINDS)
def test_every_figure_lands_equal(endpoint: str, kind: str) -> None:
    capture, data = variant(endpoint, kind)
    ids = build_id_to_code(h44_batch())
    out = normalise(capture, ids)
    procedure = kind == "procedure"
    if endpoint in TREE_FIELDS:
        compared = check_tree(endpoint, data, out, procedure)
    else:
        compared = check_shape_a(endpoint, data, out, ids, procedure)
    assert compared > 20
    # every landed row carries the period asked for; per-procedure rows carry the procedure
    for name, table in out.items():
        if table.num_rows:
            assert set(table.column("period_key").to_pylist()) == {capture.period.key}, name
    if procedure:
        assert out["unit_scores"].num_rows == 0 and out["indicator_values"].num_rows == 0
        assert set(out["procedure_unit_scores"].column("formality_id").to_pylist()) == {FORMALITY}
    else:
        assert out["procedure_unit_scores"].num_rows == 0
    assert out["schema_drift"].num_rows == 0


@pytest.mark.parametrize(
    ("name", "scope"),
    [
        ("service-results_national_year2026_20260917.json", "national"),
        ("service-results_national_year2026_20261010.json", "national"),
        ("service-results_H21_GiaLai_year2026.json", "H21"),
    ],
)
def test_service_results_figures_land_equal(name: str, scope: str) -> None:
    if scope == "national":
        capture = national_capture(name)
    else:
        from tests.test_normalise_v1 import PORTAL

        body = (PORTAL / "v1" / "crawler766" / name).read_bytes()
        capture = make_capture(body, "evaluation/service-results", scope, Period("ytd", 2026, 9))
    data = json.loads(capture.body)["data"]
    assert check_service_results(data, normalise(capture), scope == "national") > 60


def test_nulls_stay_null_in_a_real_body() -> None:
    # dossier-digitized's ELECTRONIC_CERTIFIED_COPY comes with numerator/denominator null
    out = normalise(h44_capture("evaluation/dossier-digitized"), build_id_to_code(h44_batch()))
    (row,) = [
        r for r in out["indicator_values"].to_pylist()
        if r["unit_code"] == "H44" and r["indicator_code"] == "ELECTRONIC_CERTIFIED_COPY"
    ]  # fmt: skip
    assert row["numerator"] is None and row["denominator"] is None and row["value"] == 100
