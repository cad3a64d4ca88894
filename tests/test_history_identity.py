"""Unit identity across captures: a rename or an ID reissue under one code is one unit, one series.

A small scenario built from the real An Giang rows: before November 2025 the portal answers as it
did on 16/10/2025; from November one commune is renamed (same legacy ID) and one agency's ID is
reissued (same name). Two month-end snapshots, at the end of October's first half and in November,
capture the year twice (labelled 2025-YTD-09 and 2025-YTD-10). Also here: the legacy page size,
which silently truncates a province's units when a page is asked for that is smaller than it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dvc766.cli import main
from dvc766.periods import Period
from dvc766.settings import Settings
from flows import legacy_client
from flows.errors import SchemaChangeError
from flows.legacy_client import LegacyClient
from replica.units import pre_merger_provinces
from tests.published import query, replica_env

replica_server = pytest.importorskip("replica.server")
REAL = Path(__file__).resolve().parents[1] / "replica" / "scenarios" / "real_bodies" / "legacy"
RENAMED, REISSUED = "H01.188", "H01.13"
NEW_NAME = "UBND phường An Minh - tỉnh An Giang"


def write_scenario(folder: Path) -> None:
    """National ranking as on 16/10; An Giang as on 16/10 until November, then changed."""
    folder.mkdir()
    shutil.copy(REAL / "national_year2025__7c5e62b.json", folder / "national.json")
    rows = json.loads((REAL / "an_giang_year2025__7c5e62b.json").read_text(encoding="utf-8"))
    (folder / "an_giang_oct.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    changed = []
    for r in rows:
        if r["MA_COQUAN"] == RENAMED:
            r = {**r, "TEN": NEW_NAME, "TEN_COQUAN": NEW_NAME}
        if r["MA_COQUAN"] == REISSUED:
            r = {**r, "ID": "9990013", "ID_COQUAN": "9990013"}
        changed.append(r)
    (folder / "an_giang_nov.json").write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    year = {"p_nam": "2025", "p_thang": "0", "p_quy": "0"}

    def entry(tinh: str, body: str, **window: str) -> dict:
        return {
            "api": "legacy",
            "endpoint": "report_tinh_766_service",
            "match": {**year, "p_tinh_id": tinh},
            "status": 200,
            "body_file": body,
            **window,
        }

    doc = {
        "strict": False,
        "entries": [
            entry("0", "national.json"),
            entry("398126", "an_giang_oct.json", until="2025-11-01T00:00"),
            entry("398126", "an_giang_nov.json", **{"from": "2025-11-01T00:00"}),
        ],
    }
    (folder / "scenario.json").write_text(json.dumps(doc), encoding="utf-8")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("identity")
    write_scenario(root / "scenario")
    data = root / "data"
    with (
        pytest.MonkeyPatch.context() as mp,
        replica_server.start_replica(scenario=root / "scenario") as replica,
    ):
        for key, value in replica_env(data, replica.url).items():
            mp.setenv(key, value)
        for clock in ("2025-10-20T09:00", "2025-11-05T09:00"):
            replica.set_now(clock)
            assert main(["snapshot", "--provinces", "H01"]) == 0
    yield data / "warehouse.duckdb"


def test_a_renamed_unit_keeps_one_code_two_name_versions_and_one_series(warehouse: Path) -> None:
    versions = query(
        warehouse,
        f"select unit_name, unit_id, is_current, valid_to is null from dim_unit where unit_code = '{RENAMED}' "
        "order by valid_from",
    )
    assert versions == [
        ("UBND xã An Minh - tỉnh An Giang", "470371", False, False),
        (NEW_NAME, "470371", True, True),
    ]
    series = query(
        warehouse,
        f"select period_key, total_score from fct_unit_score where unit_code = '{RENAMED}' order by period_key",
    )
    assert [p for p, _ in series] == ["2025-YTD-09", "2025-YTD-10"]
    # no second unit appeared under the new name
    assert query(
        warehouse, f"select count(distinct unit_code) from dim_unit where unit_name = '{NEW_NAME}'"
    ) == [(1,)]


def test_a_reissued_id_under_the_same_code_is_a_new_version_of_the_same_unit(warehouse: Path) -> None:
    versions = query(
        warehouse,
        f"select unit_name, unit_id, is_current from dim_unit where unit_code = '{REISSUED}' order by valid_from",
    )
    name = "Ban Quản lý Khu kinh tế - tỉnh An Giang"
    assert versions == [(name, "398313", False), (name, "9990013", True)]
    assert query(
        warehouse,
        f"select count(*) from fct_unit_score where unit_code = '{REISSUED}' and period_type = 'ytd'",
    ) == [(2,)]


def test_every_code_has_exactly_one_current_version(warehouse: Path) -> None:
    assert (
        query(
            warehouse,
            "select unit_code from dim_unit group by unit_code having count(*) filter (where is_current) <> 1",
        )
        == []
    )


@pytest.fixture(scope="module")
def replica() -> Iterator[object]:
    with replica_server.start_replica(now="2024-06-10T09:00") as handle:
        yield handle


def test_a_page_smaller_than_the_province_truncates_unless_pages_are_followed(
    replica: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page that comes back full may not be the whole list: refused, or followed page by page."""
    settings = Settings(portal_url=replica.url, pacing_s=0, jitter_s=0)  # type: ignore[attr-defined]
    client = LegacyClient(settings)
    an_giang = next(p for p in pre_merger_provinces() if p["code"] == "H01")
    month = Period.month(2024, 5)
    whole = client.fetch_ranking(month, an_giang["legacyId"], "H01").json()
    assert len(whole) > 20
    pages = client.fetch_ranking_pages(month, an_giang["legacyId"], "H01", page_size=20)
    assert len(pages) == len(whole) // 20 + 1
    assert [r["MA_COQUAN"] for p in pages for r in p.json()] == [r["MA_COQUAN"] for r in whole]
    # with a page no larger than the province, the single-page fetch refuses rather than truncates
    monkeypatch.setattr(legacy_client, "PAGE_SIZE", 20)
    with pytest.raises(SchemaChangeError, match="fill the 20-row page"):
        client.fetch_ranking(month, an_giang["legacyId"], "H01")
