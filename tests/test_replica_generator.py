"""The generated dataset: unit registry, determinism, additivity and its own consistency checks."""

from __future__ import annotations

import json
from datetime import datetime

from dvc766.periods import VN_TZ
from dvc766.provinces import UNIT_CODE_RE, provinces
from replica import shapes, summary_shape
from replica.consistency import check_consistency, check_province_bodies
from replica.generator import Dataset
from replica.units import LEGACY_IDS, pre_merger_provinces

LATER = datetime(2026, 11, 28, 10, tzinfo=VN_TZ)


def test_every_province_is_consistent_before_and_after_the_merger() -> None:
    ds = Dataset(766)
    assert check_consistency(ds, "month", 2026, 8, now=LATER) == []
    assert check_consistency(ds, "month", 2024, 11, now=LATER) == []


def test_a_running_year_is_consistent_mid_month() -> None:
    mid_may = datetime(2026, 5, 17, 13, tzinfo=VN_TZ)  # May counted for 16 days and 13 hours
    assert check_consistency(Dataset(766), "year", 2026, now=mid_may, codes=["H55", "H44"]) == []


def test_the_checks_catch_an_inconsistent_body() -> None:
    ds = Dataset(766)
    tree = ds.find("post", code="H44")
    request = shapes.PeriodRequest("month", 2026, 8)
    bodies = {
        ep: shapes.v1_body(ds, ep, request, tree, LATER, page_size=1000) for ep in shapes.GROUP_ENDPOINTS
    }
    bodies["evaluation/service-results"] = summary_shape.service_results(ds, request, tree, LATER)
    assert check_province_bodies(bodies) == []
    bodies["evaluation/dvc-progress-tree"]["children"][3]["totalOverdue"] += 1
    bodies["evaluation/transparency"]["evaluation"][0]["metrics"][2]["ratio"] = 12.34
    problems = check_province_bodies(bodies)
    assert any("totalOverdue" in p for p in problems)
    assert any("PUBLIC_CONTENT_FULL" in p and "ratio" in p for p in problems)


def test_unit_registry_after_july_2025() -> None:
    ds = Dataset(766)
    trees = ds.provinces("post")
    assert [t.unit.code for t in trees] == [p.code for p in provinces()]
    assert {t.unit.department_id for t in trees} == {p.department_id for p in provinces()}
    assert {t.unit.code: t.unit.legacy_id for t in trees} == LEGACY_IDS
    for t in trees:
        agencies = [u for u in t.children if u.kind == "agency"]
        communes = [u for u in t.children if u.kind == "commune"]
        assert 13 <= len(agencies) <= 17 and 90 <= len(communes) <= 110
        assert all(len(u.code.split(".")[1]) == 2 for u in agencies)
        assert all(int(u.code.split(".")[1]) >= 100 for u in communes)
        assert [u.code for u in t.children] == sorted(u.code for u in t.children)
        assert all(UNIT_CODE_RE.fullmatch(u.code) for u in t.children)
    ids = [u.department_id for t in trees for u in t.children]
    assert len(ids) == len(set(ids))


def test_unit_registry_before_july_2025() -> None:
    rows = pre_merger_provinces(766)
    assert len(rows) == 63
    replica_rows = [r for r in rows if r["codeSource"] == "replica"]
    assert [r["code"] for r in replica_rows] == [f"Z{i:02d}" for i in range(1, 30)]
    assert all(UNIT_CODE_RE.fullmatch(r["code"]) for r in rows)
    continuing = {r["code"] for r in rows if r["codeSource"] == "portal"}
    assert continuing == {p.code for p in provinces()}
    trees = Dataset(766).provinces("pre")
    assert len(trees) == 63
    for t in trees:
        assert 18 <= sum(u.kind == "agency" for u in t.children) <= 22
        assert 7 <= sum(u.kind == "district" for u in t.children) <= 11


def test_deterministic_from_the_seed() -> None:
    request = shapes.PeriodRequest("month", 2025, 3)

    def body(seed: int) -> str:
        ds = Dataset(seed)
        tree = ds.find("pre", code="Z05")
        return json.dumps(shapes.v1_body(ds, "evaluation/dvc-progress-tree", request, tree, LATER))

    assert body(766) == body(766)
    assert body(766) != body(767)


def test_quarter_counts_are_the_sum_of_their_months_and_months_vary() -> None:
    ds = Dataset(766)
    tree = ds.find("post", code="H01")
    quarter = shapes.v1_body(ds, "evaluation/formality-online-payment-tree", shapes.PeriodRequest("quarter", 2026, 3),
                             tree, LATER)["parent"]  # fmt: skip
    months = [
        shapes.v1_body(
            ds,
            "evaluation/formality-online-payment-tree",
            shapes.PeriodRequest("month", 2026, m),
            tree,
            LATER,
        )["parent"]  # fmt: skip
        for m in (7, 8, 9)
    ]
    for key in ("totalDossierOnlinePaymentSuccess", "totalDossierFinancialObligation", "totalFeeFormality"):
        assert quarter[key] == sum(m[key] for m in months)
    assert len({m["totalDossierFinancialObligation"] for m in months}) == 3


def test_national_ranking_sorted_and_groups_sum() -> None:
    ds = Dataset(766)
    data = summary_shape.service_results(ds, shapes.PeriodRequest("quarter", 2026, 2), None, LATER)
    assert len(data["evaluation"]) == 34
    totals = [r["totalScore"] for r in data["evaluation"]]
    assert totals == sorted(totals, reverse=True)
    assert all(abs(sum(r["groupScores"].values()) - r["totalScore"]) < 0.011 for r in data["evaluation"])
