"""Every number of every real body in the fixtures lands somewhere in the landing zone (and so in
the warehouse), or is listed with its reason in ``flows.sources.v1.settings.NOT_LANDED`` (issue 19).

The body is walked as plain JSON, independently of the contract: each numeric leaf, at each path,
must appear among the numbers the normaliser landed for that capture (any numeric column of any
dataset). Nulls are not numbers; they stay null and are tested elsewhere.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from dvc766.periods import Period
from flows.normalise import build_id_to_code, normalise
from flows.sources.legacy.settings import RANKING_SERVICE
from flows.sources.v1.settings import NOT_LANDED
from tests.test_normalise_v1 import H44_FILES, PORTAL, h44_batch, h44_capture, make_capture, national_capture

NUMERIC = (pa.types.is_integer, pa.types.is_floating)
# Legacy rows hold numbers as strings; these are identifiers and labels, kept as text (unit_id,
# unit_kind), not figures.
LEGACY_NOT_LANDED = {"[].ID", "[].ID_COQUAN", "[].LOAI_COQUAN", "[].CAPDONVIID"}


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


def missing(body: Any, out: dict[str, pa.Table], skip: set[str]) -> list[tuple[str, float]]:
    found = landed_numbers(out)
    return sorted(
        {(p, v) for p, v in numbers(body) if p not in skip and round(v, 6) not in found and math.isfinite(v)}
    )


def v1_cases() -> list[tuple[str, Any]]:
    cases = [(name, lambda e=e: h44_capture(e)) for e, (name, _) in H44_FILES.items()]
    for name, when in (
        ("service-results_national_year2026_20260917.json", "Thu, 17 Sep 2026 03:40:19 GMT"),
        ("service-results_national_year2026_20261010.json", "Sat, 10 Oct 2026 02:00:00 GMT"),
    ):
        cases.append((name, lambda n=name, w=when: national_capture(n, when=w)))
    gl = "service-results_H21_GiaLai_year2026.json"
    cases.append(
        (
            gl,
            lambda: make_capture(
                (PORTAL / "v1" / "crawler766" / gl).read_bytes(),
                "evaluation/service-results",
                "H21",
                Period("ytd", 2026, 9),
            ),
        )  # fmt: skip
    )
    return cases


@pytest.mark.parametrize(("name", "make"), v1_cases(), ids=[n for n, _ in v1_cases()])
def test_every_number_of_a_v1_body_lands(name: str, make: Any) -> None:
    capture = make()
    out = normalise(capture, build_id_to_code(h44_batch()))
    body = json.loads(capture.body)["data"]
    skip = {p.removeprefix("data.") for p in NOT_LANDED}
    assert missing(body, out, skip) == []


@pytest.mark.parametrize("sheet", ["diem_nam.json", "diem_thang.json", "so_ban.json", "xa_phuong.json"])
def test_every_number_of_a_legacy_body_lands(sheet: str) -> None:
    raw = (PORTAL / "legacy" / "bao_cao_T10_2025__7c5e62b" / sheet).read_bytes()
    rows = json.loads(raw)
    scope = "national" if sheet.startswith("diem") else "H01"
    out = normalise(make_capture(raw, RANKING_SERVICE, scope, Period("ytd", 2025, 10), api="legacy"))
    as_numbers = [
        {k: float(v) for k, v in r.items() if v.strip() and v.replace(".", "", 1).isdigit()} for r in rows
    ]
    assert missing(as_numbers, out, LEGACY_NOT_LANDED) == []


def test_the_walk_finds_what_is_not_landed() -> None:
    # the test can fail: a number the normaliser drops is reported with its path
    capture = h44_capture("evaluation/dvc-progress-tree")
    out = normalise(capture)
    out["indicator_values"] = out["indicator_values"].filter(
        pa.compute.not_equal(out["indicator_values"].column("indicator_code"), "PROGRESS_AVG_DAYS")
    )
    gone = missing(json.loads(capture.body)["data"], out, set())
    assert ("parent.avgProcessingDays", 1.13) in gone or any(p.endswith("avgProcessingDays") for p, _ in gone)
