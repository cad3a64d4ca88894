"""Every number of every real body in the fixtures lands — in the landing zone and in the published
warehouse — or is listed with its reason in ``NOT_LANDED`` (``flows.sources.v1.settings`` and
``flows.sources.legacy.settings``; issues 19 and 27).

The body is walked as plain JSON, independently of the contract: each numeric leaf, at each path,
must appear among the numbers landed for that capture (any numeric column of any dataset), and
among the numbers the warehouse publishes for that capture (any numeric column of a table with a
``capture_id``). Nulls are not numbers; they stay null and are tested elsewhere. Two series are left
out on purpose, each through its ``NOT_LANDED`` entry: the months a chart pads outside the period
asked, and a per-procedure answer's month chart.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from dvc766.periods import VN_TZ, Period
from dvc766.provinces import procedure_scope
from dvc766.settings import Settings
from flows.capture import Capture
from flows.landing import write_batch
from flows.normalise import build_id_to_code, normalise
from flows.sources.legacy.settings import NOT_LANDED as LEGACY_NOT_LANDED
from flows.sources.legacy.settings import RANKING_SERVICE
from flows.sources.v1.settings import NOT_LANDED, ONLINE_TREE, PROGRESS_TREE
from tests.test_contract_real_bodies import FORMALITY
from tests.test_normalise_v1 import (
    H44_FILES,
    H44_ID,
    PORTAL,
    h44_batch,
    h44_capture,
    make_capture,
    national_capture,
)
from warehouse.runner import build_models

NUMERIC = (pa.types.is_integer, pa.types.is_floating)
PADS = "monthlyChart[] (months outside the period asked)"
PROCEDURE_CHART = "monthlyChart[] (a per-procedure answer)"
CHART_ENDPOINTS = (PROGRESS_TREE, ONLINE_TREE)
VARIANTS = PORTAL / "v1" / "qd766-variants"
GIA_LAI = "019d2be3-6a85-74ec-a346-6489e82ae4c7"
LEGACY = PORTAL / "legacy"


def numbers(node: Any, path: str = "") -> Iterator[tuple[str, float]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from numbers(v, f"{path}.{k}" if path else k)
    elif isinstance(node, list):
        for v in node:
            yield from numbers(v, f"{path}[]")
    elif isinstance(node, bool) or node is None:
        return
    elif isinstance(node, int | float):
        yield path, float(node)


def landed_numbers(out: dict[str, pa.Table]) -> set[float]:
    found: set[float] = set()
    for table in out.values():
        for name in table.column_names:
            if any(is_type(table.schema.field(name).type) for is_type in NUMERIC):
                found |= {round(float(v), 6) for v in table.column(name).to_pylist() if v is not None}
    return found


def missing(body: Any, found: set[float], skip: set[str]) -> list[tuple[str, float]]:
    return sorted(
        {(p, v) for p, v in numbers(body) if p not in skip and round(v, 6) not in found and math.isfinite(v)}
    )


# --- what is left out on purpose, each through its NOT_LANDED entry ---------------------------------


def _months_reported(capture: Capture) -> set[int]:
    """The months a body for the capture's period reports (independently of the contract's rule):
    a month or quarter its own months, a year view the months begun when it was asked."""
    period = capture.period
    if period.period_type in ("year", "ytd"):
        seen = capture.captured_at.astimezone(VN_TZ).date()
        return set(range(1, 13 if seen.year > period.year else seen.month + 1))
    return set(range(period.start.month, period.end.month + 1))


def _without_pads(capture: Capture, data: dict) -> dict:
    """A tree's chart points outside the period asked: pads (0), not reports (NOT_LANDED[PADS])."""
    assert PADS in NOT_LANDED
    if capture.endpoint in CHART_ENDPOINTS and data.get("monthlyChart"):
        keep = _months_reported(capture)
        label = "month" if capture.endpoint == PROGRESS_TREE else "label"
        data["monthlyChart"] = [p for p in data["monthlyChart"] if int(p[label]) in keep]
    return data


def _without_procedure_chart(capture: Capture, data: dict) -> dict:
    """One procedure's month chart lands nowhere (NOT_LANDED[PROCEDURE_CHART])."""
    assert PROCEDURE_CHART in NOT_LANDED
    if "~" in capture.scope:
        data.pop("monthlyChart", None)
    return data


def expected_numbers(capture: Capture) -> Any:
    data = json.loads(capture.body)
    if capture.api == "legacy":
        rows = data if isinstance(data, list) else data["data"]
        return [{k: float(v) for k, v in r.items() if _decimal(v)} for r in rows]
    data = copy.deepcopy(data["data"])
    for leave_out in (_without_pads, _without_procedure_chart):
        data = leave_out(capture, data)
    return data


def _decimal(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip()) and v.replace(".", "", 1).isdigit()


def skip_paths(capture: Capture) -> set[str]:
    if capture.api == "legacy":
        return set(LEGACY_NOT_LANDED)
    return {p for p in NOT_LANDED if " (" not in p}


# --- every real body, labelled as the pipeline labels it ----------------------------------------------


def _variant(name: str, endpoint: str, period: Period, fields: dict[str, Any]) -> Capture:
    request = {"rootDepartmentId": H44_ID, "currentPage": 1, "pageSize": 200, **fields}
    scope = procedure_scope("H44", "2.000815") if "formalityId" in fields else "H44"
    return make_capture((VARIANTS / name).read_bytes(), endpoint, scope, period, request=request)


def _gia_lai(path: Path, period: Period, fields: dict[str, Any]) -> Capture:
    request = {**fields, "rootDepartmentId": GIA_LAI}
    return make_capture(path.read_bytes(), "evaluation/service-results", "H21", period, request=request)


def _legacy(folder: str, sheet: str, scope: str, period: Period) -> Capture:
    raw = (LEGACY / folder / sheet).read_bytes()
    return make_capture(raw, RANKING_SERVICE, scope, period, api="legacy")


Q3, YTD_09, AUG = Period("quarter", 2026, 3), Period("ytd", 2026, 9), Period.month(2026, 8)
FORMALITY_FIELDS = {"formalityId": FORMALITY}
V1_CASES: dict[str, Callable[[], Capture]] = {
    **{name: (lambda e=e: h44_capture(e)) for e, (name, _) in H44_FILES.items()},
    "formalities_page575_last.json": lambda: make_capture(
        (PORTAL / "v1" / "qd766" / "formalities_page575_last.json").read_bytes(),
        "formalities",
        "national",
        Period("year", 2026),
        request={"currentPage": 575, "pageSize": 10},
    ),
    "service-results_national_year2026_20260917.json": lambda: national_capture(
        "service-results_national_year2026_20260917.json"
    ),
    "service-results_national_year2026_20261010.json": lambda: national_capture(
        "service-results_national_year2026_20261010.json", period=Period("ytd", 2026, 10)
    ),
    "service-results_H21_GiaLai_year2026.json": lambda: _gia_lai(
        PORTAL / "v1" / "crawler766" / "service-results_H21_GiaLai_year2026.json",
        Period("year", 2026),
        {"timeType": "year", "year": 2026},
    ),
    "service-results_H21_GiaLai_month2026-02.trimmed.json": lambda: _gia_lai(
        PORTAL / "v1" / "crawler766-variants" / "service-results_H21_GiaLai_month2026-02.trimmed.json",
        Period.month(2026, 2),
        {"timeType": "month", "year": 2026, "month": 2},
    ),
    "dvc-progress-tree_H44_quarter2026-Q3_formality-2.000815.trimmed.json": lambda: _variant(
        "dvc-progress-tree_H44_quarter2026-Q3_formality-2.000815.trimmed.json",
        PROGRESS_TREE,
        Q3,
        {"timeType": "quarter", "year": 2026, "quarter": 3, **FORMALITY_FIELDS},
    ),
    "provide-online-tree_H44_year2026_formality-2.000815.trimmed.json": lambda: _variant(
        "provide-online-tree_H44_year2026_formality-2.000815.trimmed.json",
        ONLINE_TREE,
        YTD_09,
        {"timeType": "year", "year": 2026, **FORMALITY_FIELDS},
    ),
    "transparency_H44_quarter2026-Q3_all.trimmed.json": lambda: _variant(
        "transparency_H44_quarter2026-Q3_all.trimmed.json",
        "evaluation/transparency",
        Q3,
        {"timeType": "quarter", "year": 2026, "quarter": 3},
    ),
    "transparency_H44_month2026-08_formality-2.000815.trimmed.json": lambda: _variant(
        "transparency_H44_month2026-08_formality-2.000815.trimmed.json",
        "evaluation/transparency",
        AUG,
        {"timeType": "month", "year": 2026, "month": 8, **FORMALITY_FIELDS},
    ),
}
OCT_2025, YTD_2025 = Period.month(2025, 10), Period("ytd", 2025, 10)
LEGACY_CASES: dict[str, Callable[[], Capture]] = {
    f"{folder}/{sheet}": (lambda f=folder, s=sheet, sc=scope, p=period: _legacy(f, s, sc, p))
    for folder in ("bao_cao_T10_2025__ebd4e73", "bao_cao_T10_2025__99c31e5", "bao_cao_T10_2025__7c5e62b")
    for sheet, scope, period in (
        ("diem_nam.json", "national", YTD_2025),
        ("diem_thang.json", "national", OCT_2025),
        ("so_ban.json", "H01", OCT_2025),
        ("xa_phuong.json", "H01", YTD_2025),
    )
}
LEGACY_CASES["bao_cao_thang_10_2025__ebd4e73/bao_cao_766.json"] = lambda: _legacy(
    "bao_cao_thang_10_2025__ebd4e73", "bao_cao_766.json", "national", YTD_2025
)
# the warehouse keeps one capture per unit score, so it is given one export's answers (the others'
# figures are revisions of the same periods, landed and tested above)
WAREHOUSE_LEGACY = [k for k in LEGACY_CASES if k.startswith("bao_cao_T10_2025__7c5e62b/")]


def test_every_real_body_is_a_case() -> None:
    """A real body added to the fixtures must be added here (the walk is only as good as its cases)."""
    v1 = {p.name for sub in ("qd766", "qd766-variants", "crawler766", "crawler766-variants")
          for p in (PORTAL / "v1" / sub).glob("*.json")
          if ".excerpt." not in p.name and not p.name.endswith(".request.json")}  # fmt: skip
    legacy = {
        f"{p.parent.name}/{p.name}" for p in LEGACY.glob("*/*.json") if not p.name.startswith("xu_huong_")
    }
    assert {Path(n).name for n in V1_CASES} == v1
    assert set(LEGACY_CASES) == legacy


@pytest.mark.parametrize("name", sorted(V1_CASES))
def test_every_number_of_a_v1_body_lands(name: str) -> None:
    capture = V1_CASES[name]()
    out = normalise(capture, build_id_to_code(h44_batch()))
    assert missing(expected_numbers(capture), landed_numbers(out), skip_paths(capture)) == []


@pytest.mark.parametrize("name", sorted(LEGACY_CASES))
def test_every_number_of_a_legacy_body_lands(name: str) -> None:
    capture = LEGACY_CASES[name]()
    out = normalise(capture)
    assert missing(expected_numbers(capture), landed_numbers(out), skip_paths(capture)) == []


def test_every_left_out_series_has_its_reason() -> None:
    for key in (PADS, PROCEDURE_CHART):
        assert len(NOT_LANDED[key]) > 40  # a reason, not a placeholder
    assert all(len(reason) > 20 for reason in {**NOT_LANDED, **LEGACY_NOT_LANDED}.values())


def test_the_walk_finds_what_is_not_landed() -> None:
    # the test can fail: a number the normaliser drops is reported with its path
    capture = h44_capture("evaluation/dvc-progress-tree")
    out = normalise(capture)
    out["indicator_values"] = out["indicator_values"].filter(
        pa.compute.not_equal(out["indicator_values"].column("indicator_code"), "PROGRESS_AVG_DAYS")
    )
    gone = missing(expected_numbers(capture), landed_numbers(out), set())
    assert ("parent.avgProcessingDays", 1.13) in gone or any(p.endswith("avgProcessingDays") for p, _ in gone)


# --- and in the published warehouse ------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[duckdb.DuckDBPyConnection, list]]:
    """Every v1 case and one export's legacy answers landed (two batches) and built."""
    data = tmp_path_factory.mktemp("every_number")
    settings = Settings(data_dir=data)
    cases = []
    for batch, names, table in (
        ("b-v1", sorted(V1_CASES), V1_CASES),
        ("b-legacy", WAREHOUSE_LEGACY, LEGACY_CASES),
    ):
        captures = [replace(table[n](), extra={"batch_id": batch}) for n in names]
        write_batch(settings, captures, batch)
        cases += list(zip(names, captures, strict=True))
    con = duckdb.connect()
    build_models(con, data / "landing")
    yield con, cases
    con.close()


def published_numbers(con: duckdb.DuckDBPyConnection) -> dict[str, set[float]]:
    """capture_id → every number a published table holds for it."""
    out: dict[str, set[float]] = {}
    tables = [t for (t,) in con.execute(
        "select table_name from duckdb_columns() where column_name = 'capture_id' and not internal "
        "and regexp_matches(table_name, '^(fct|rpt)_') group by table_name"
    ).fetchall()]  # fmt: skip
    for table in tables:
        cols = [c for c, t in con.execute(
            "select column_name, data_type from duckdb_columns() where table_name = ?", [table]
        ).fetchall() if t in ("BIGINT", "INTEGER", "DOUBLE") or t.startswith("DECIMAL")]  # fmt: skip
        for col in cols:
            for cid, v in con.execute(
                f'select capture_id, "{col}" from "{table}" where "{col}" is not null'
            ).fetchall():
                out.setdefault(cid, set()).add(round(float(v), 6))
    return out


def test_every_number_of_every_body_reaches_the_warehouse(warehouse: tuple) -> None:
    con, cases = warehouse
    published = published_numbers(con)
    lost = {
        name: gone[:5]
        for name, capture in cases
        if (
            gone := missing(
                expected_numbers(capture), published.get(capture.capture_id, set()), skip_paths(capture)
            )
        )
    }
    assert lost == {}


def test_a_drilldowns_group_scores_reach_the_procedure_mart(warehouse: tuple) -> None:
    con, _cases = warehouse
    rows = con.execute(
        "select indicator_code, value, score, max_score from fct_procedure_indicator "
        "where unit_code = 'H44' and indicator_code in ('TDGQ', 'CLGQ', 'CKMB') order by 1"
    ).fetchall()
    assert rows == [("CKMB", 33.33, 6.0, 18.0), ("CLGQ", 95.5, 11.46, 12.0), ("TDGQ", 97.51, 19.5, 20.0)]


def test_the_unit_score_ratio_and_maximum_reach_the_warehouse(warehouse: tuple) -> None:
    con, _cases = warehouse
    # service-results' totalMaxScore and ratio; the payment tree's totalMaxScore and ratio
    assert con.execute(
        "select score, max_score, ratio from fct_unit_group_score where unit_code = 'H21' "
        "and group_code = 'TOTAL' and period_key = '2026'"
    ).fetchall() == [(62.74, 100.0, 62.74)]
    assert con.execute(
        "select score, max_score, ratio from fct_unit_group_score where unit_code = 'H44' "
        "and group_code = 'TTTT' and period_key = '2026-08'"
    ).fetchall() == [(6.25, 10.0, 62.5)]
