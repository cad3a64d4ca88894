"""The answer answers the question (issue 27): a body that contradicts the period asked, or that is
malformed by a key written twice, is refused — kept in raw/ as ``rejected:<kind>``, named in the run
summary, nothing landed from it.

What found it: a September body served to an October request landed as October (exit 0, checks
57/57), and a body with ``totalReceived`` (or ``data``) twice was read with its last value and
published. The real bodies say which months they hold: a tree's ``monthlyChart`` carries the months
asked and 0 elsewhere, service-results' ``dossierChart`` the months asked and null elsewhere, its
``monthlyChart`` every month begun (``tests/fixtures/portal/v1``, VARIANTS.md).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dvc766.cli import main
from dvc766.periods import Period
from flows.errors import MalformedBodyError, WrongPeriodError
from flows.normalise import build_id_to_code, normalise
from flows.sources.legacy import parse_legacy
from flows.sources.legacy.settings import RANKING_SERVICE
from flows.sources.v1 import parse_v1
from replica.faults import duplicate_key
from tests.published import query, replica_env
from tests.test_normalise_v1 import PORTAL, h44_batch, h44_capture, make_capture, national_capture

replica_server = pytest.importorskip("replica.server")

SEP, AUG = Period.month(2026, 9), Period.month(2026, 8)
GIA_LAI_FEB = PORTAL / "v1" / "crawler766-variants" / "service-results_H21_GiaLai_month2026-02.trimmed.json"


def relabel(capture, period: Period, date_header: str | None = None):  # type: ignore[no-untyped-def]
    return make_capture(
        capture.body,
        capture.endpoint,
        capture.scope,
        period,
        request=capture.request,
        **({"date_header": date_header} if date_header else {}),
    )


# --- the period ----------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["evaluation/dvc-progress-tree", "evaluation/provide-online-tree"])
def test_a_trees_august_answer_asked_as_september_is_refused(endpoint: str) -> None:
    august = h44_capture(endpoint)
    assert parse_v1(august).data.monthlyChart  # asked as August (its own month): fine
    with pytest.raises(WrongPeriodError, match=r"reports 2026-08 .*outside the period asked \(2026-09"):
        parse_v1(relabel(august, SEP))
    # the quarter and the year to date it belongs to cover August: fine
    parse_v1(relabel(august, Period("quarter", 2026, 3)))
    parse_v1(relabel(august, Period("ytd", 2026, 9)))


def test_a_year_view_reporting_a_month_not_begun_is_refused() -> None:
    # the national ranking of 10/10 charts October: asked on 17/09 it is another (a later) answer
    parse_v1(national_capture("service-results_national_year2026_20261010.json"))
    with pytest.raises(WrongPeriodError, match=r"reports 2026-10 .*2026-YTD-09, answered 2026-09-17"):
        parse_v1(
            national_capture(
                "service-results_national_year2026_20261010.json", "Thu, 17 Sep 2026 03:40:19 GMT"
            )
        )
    # the same running year at the end of August: September is not begun either
    with pytest.raises(WrongPeriodError, match="reports 2026-09"):
        parse_v1(
            national_capture(
                "service-results_national_year2026_20260917.json",
                "Mon, 31 Aug 2026 15:00:00 GMT",
                Period("ytd", 2026, 8),
            )
        )


def test_a_service_results_month_view_of_another_month_is_refused() -> None:
    body = GIA_LAI_FEB.read_bytes()
    req = {
        "timeType": "month",
        "year": 2026,
        "month": 2,
        "rootDepartmentId": "019d2be3-6a85-74ec-a346-6489e82ae4c7",
    }
    feb = make_capture(body, "evaluation/service-results", "H21", Period.month(2026, 2), request=req)
    assert normalise(feb)["unit_scores"].num_rows  # its own month lands
    with pytest.raises(WrongPeriodError, match=r"reports 2026-02 \(dossierChart 4.53\)"):
        parse_v1(relabel(feb, Period.month(2026, 3)))


def test_charts_of_zeros_and_nulls_say_nothing_and_are_not_refused() -> None:
    # a procedure with no dossiers in the month charts zeros everywhere: no month is contradicted
    doc = json.loads(h44_capture("evaluation/dvc-progress-tree").body)
    for point in doc["data"]["monthlyChart"]:
        point["onTimePct"] = point["overduePct"] = 0
    quiet = relabel(h44_capture("evaluation/dvc-progress-tree", body=json.dumps(doc).encode()), SEP)
    assert parse_v1(quiet).data.monthlyChart


# --- a key twice ---------------------------------------------------------------------------------


def test_a_key_twice_in_one_object_is_a_malformed_body() -> None:
    tree = h44_capture("evaluation/dvc-progress-tree")
    twice = duplicate_key(tree.body, "totalReceived")  # the parent's count, then a lie after it
    assert (
        json.loads(twice)["data"]["parent"]["totalReceived"]
        != json.loads(tree.body)["data"]["parent"]["totalReceived"]
    )
    with pytest.raises(MalformedBodyError, match="key 'totalReceived' appears twice"):
        parse_v1(h44_capture("evaluation/dvc-progress-tree", body=twice))
    with pytest.raises(MalformedBodyError, match="key 'data' appears twice"):
        parse_v1(h44_capture("evaluation/dvc-progress-tree", body=duplicate_key(tree.body, "data")))
    # spelled differently on the wire, the same key once decoded
    escaped = tree.body.replace(b'"totalCompleted":', b'"totalCompleted":1,"total\\u0043ompleted":', 1)
    with pytest.raises(MalformedBodyError, match="totalCompleted"):
        parse_v1(h44_capture("evaluation/dvc-progress-tree", body=escaped))


def test_a_malformed_body_is_refused_whatever_else_is_wrong_with_it() -> None:
    # the second value breaks the shape too: the key twice is named, not the shape
    tree = h44_capture("evaluation/dvc-progress-tree").body
    broken = tree.replace(b'"totalReceived":', b'"totalReceived":"x","totalReceived":', 1)
    with pytest.raises(MalformedBodyError, match="totalReceived"):
        parse_v1(h44_capture("evaluation/dvc-progress-tree", body=broken))


def test_colons_inside_names_are_not_mistaken_for_keys() -> None:
    doc = json.loads(h44_capture("evaluation/transparency").body)
    doc["data"]["evaluation"][0]["departmentName"] = 'Sở "A": 08:30, http://x'
    capture = h44_capture("evaluation/transparency", body=json.dumps(doc, ensure_ascii=False).encode())
    out = normalise(capture, build_id_to_code(h44_batch()))
    assert 'Sở "A": 08:30, http://x' in out["units_seen"].column("unit_name").to_pylist()


def test_a_legacy_row_with_a_key_twice_is_malformed() -> None:
    raw = (PORTAL / "legacy" / "bao_cao_T10_2025__7c5e62b" / "diem_nam.json").read_bytes()
    capture = make_capture(
        duplicate_key(raw, "TONG_SCORE"), RANKING_SERVICE, "national", Period("ytd", 2025, 10), api="legacy"
    )
    with pytest.raises(MalformedBodyError, match="TONG_SCORE"):
        parse_legacy(capture)


# --- end to end: the replica lies, the CLI refuses --------------------------------------------------


@pytest.fixture(scope="module")
def lying_run(
    tmp_path_factory: pytest.TempPathFactory, prefect_harness: None
) -> Iterator[tuple[int, Path, str]]:
    """``dvc766 run --month 2026-09 --provinces H44`` while the replica answers H44's progress tree
    with August's, and its online-service tree with ``channelOnlineSum`` twice; code, folder, output."""
    data = tmp_path_factory.mktemp("lying") / "data"
    spec = "dvc-progress-tree:wrong-period,provide-online-tree:duplicate-key:field=channelOnlineSum"
    with (
        pytest.MonkeyPatch.context() as mp,
        replica_server.start_replica(now="2026-10-05T10:00", faults=spec) as replica,
    ):
        for key, value in replica_env(data, replica.url).items():
            mp.setenv(key, value)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            code = main(["run", "--month", "2026-09", "--provinces", "H44"])
    yield code, data, printed.getvalue()


def _landed_capture_ids(data: Path) -> set[str]:
    ids: set[str] = set()
    for path in (data / "landing").rglob("*.parquet"):
        ids |= set(pq.read_table(path, columns=["capture_id"]).column("capture_id").to_pylist())
    return ids


@pytest.mark.parametrize(
    ("kind", "endpoint"),
    [("wrong_period", "evaluation__dvc-progress-tree"), ("malformed", "evaluation__provide-online-tree")],
)
def test_the_cli_refuses_a_lying_answer_keeps_it_and_lands_nothing_from_it(
    lying_run: tuple[int, Path, str], kind: str, endpoint: str
) -> None:
    code, data, _text = lying_run
    assert code == 1  # the province failed, named
    metas = [
        json.loads(p.read_text())
        for p in (data / "raw" / "v1" / endpoint / "2026-09" / "H44").glob("*.meta.json")
    ]
    assert [m["outcome"] for m in metas] == [f"rejected:{kind}"]
    assert kind in metas[0]["reason"]
    assert metas[0]["capture_id"] not in _landed_capture_ids(data)
    # the other views of the province landed and were published; nothing of the refused ones
    rows = query(
        data / "warehouse.duckdb",
        f"select count(*) filter (where endpoint = '{endpoint.replace('__', '/')}'), count(*) "
        "from fct_indicator_capture where province_code = 'H44' and period_key = '2026-09'",
    )
    assert rows[0][0] == 0 and rows[0][1] > 0


def test_the_run_summary_names_each_refused_answer(lying_run: tuple[int, Path, str]) -> None:
    _code, _data, text = lying_run
    assert (
        "FAILED H44 2026-09: wrong_period: evaluation/dvc-progress-tree 2026-09: the body reports 2026-08"
        in text
    )
    assert "also: malformed: evaluation/provide-online-tree: malformed body: key 'channelOnlineSum'" in text
    assert "captures kept in raw/: 6 ok, 2 rejected" in text
