"""The per-procedure drill-down against the replica, as a user runs it (issue 16).

A drill-down with a budget that runs out part-way, then a second run, lands exactly what one
unbudgeted run lands — nothing fetched twice, nothing skipped — and the published warehouse answers
the README's drill-down queries. Bad arguments get one line and exit 2, nothing written.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from dvc766.cli import main
from dvc766.periods import Period
from dvc766.settings import Settings
from flows.drilldown import NOT_PUBLISHED_STOP, VOLUME_ENDPOINT, run_drilldown
from flows.monthly import execute
from tests.published import query

replica_server = pytest.importorskip("replica.server")
ROOT = Path(__file__).resolve().parents[1]
OCT = Period.month(2026, 10)
# Four procedures applied in every province: three that carry many dossiers and one with few.
PROCEDURES = ["1.128273", "1.108183", "4.118949", "4.100014"]
CATALOGUE_PAGES = 58  # 5,741 procedures at 100 a page


@pytest.fixture(scope="module")
def replica() -> Iterator[object]:
    with replica_server.start_replica(now="2026-11-05T10:00") as handle:
        yield handle


@pytest.fixture(scope="module")
def catalogue_raw(replica: object, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This year's catalogue, fetched once (58 requests): later drill-downs find it in raw/."""
    data = tmp_path_factory.mktemp("catalogue")
    summary = run_drilldown(settings_for(replica, data), "H55", OCT, procedures=PROCEDURES[:1], build=False)
    assert summary.catalogue_pages == CATALOGUE_PAGES
    return data / "raw" / "v1" / "formalities"


def with_catalogue(data: Path, catalogue_raw: Path) -> Path:
    shutil.copytree(catalogue_raw, data / "raw" / "v1" / "formalities")
    return data


def settings_for(replica: object, data: Path) -> Settings:
    return Settings(data_dir=data, portal_url=replica.url, pacing_s=0, jitter_s=0)  # type: ignore[attr-defined]


def landed_rows(data: Path) -> dict[str, list[tuple]]:
    """Every landed row of the drill-down datasets, without the columns that name a capture."""
    out: dict[str, list[tuple]] = {}
    for name in ("procedure_unit_scores", "procedure_indicator_values", "formalities"):
        rows: list[tuple] = []
        for p in sorted((data / "landing" / name).rglob("*.parquet")):
            t = pq.read_table(p)
            keep = [c for c in t.column_names if c not in ("capture_id", "captured_at", "raw_sha256")]
            rows += [tuple(str(r[c]) for c in keep) for r in t.select(keep).to_pylist()]
        out[name] = sorted(rows)
    return out


def drill(replica: object, data: Path, **kw: object) -> object:
    return run_drilldown(settings_for(replica, data), "H55", OCT, procedures=PROCEDURES, **kw)


def test_a_budgeted_drilldown_resumed_lands_what_one_unbudgeted_run_lands(
    tmp_path: Path, replica: object
) -> None:
    one = tmp_path / "one"
    whole = drill(replica, one, build=False)
    assert whole.complete and whole.with_dossiers >= 3 and whole.detailed == whole.with_dossiers
    expected = CATALOGUE_PAGES + len(PROCEDURES) + 4 * whole.detailed
    assert whole.requests == expected
    replica.reset_stats()  # type: ignore[attr-defined]

    two = tmp_path / "two"
    first = drill(replica, two, budget=CATALOGUE_PAGES + 2, build=False)  # the catalogue and two volumes
    assert first.requests == CATALOGUE_PAGES + 2 and not first.complete and first.remaining > 0
    assert "run the same command again" in first.text()
    second = drill(replica, two, budget=5, build=False)  # the other two volumes, then 3 detail requests
    assert second.requests == 5 and second.remaining == expected - CATALOGUE_PAGES - 7
    third = drill(replica, two, build=False)
    assert third.complete and third.requests == expected - CATALOGUE_PAGES - 7
    # nothing fetched twice: the replica saw exactly the requests of one run
    assert int(replica.stats()["total"]) == expected  # type: ignore[attr-defined]
    assert landed_rows(two) == landed_rows(one)
    assert drill(replica, two, build=False).requests == 0  # all answered: a fourth run asks nothing


def test_top_n_takes_the_largest_procedures_first(
    tmp_path: Path, replica: object, catalogue_raw: Path
) -> None:
    data = with_catalogue(tmp_path / "top", catalogue_raw)
    lines: list[str] = []
    summary = drill(replica, data, top=2, build=False, progress=lines.append, progress_every=2)
    assert summary.detailed == 2 and summary.requests == len(PROCEDURES) + 8  # the catalogue was in raw/
    # the summary counts what it says: every procedure with dossiers, then the --top ones detailed
    assert summary.with_dossiers >= 3
    text = summary.text()
    assert f"{summary.with_dossiers} with dossiers; the 2 largest detailed (--top 2)" in text, text
    # progress: each stage says what it will ask, then a line every `progress_every` requests
    assert lines[0] == "drilldown H55 2026-10: volumes: 4 request(s) to make"
    assert "drilldown H55 2026-10: volumes: 2/4; 2 request(s) this run" in lines
    assert "drilldown H55 2026-10: details: 8 request(s) to make" in lines
    assert lines[-1] == "drilldown H55 2026-10: details: 8/8; 12 request(s) this run"
    # a run with nothing left to ask lands nothing and says so (it said "formalities 5741": the
    # catalogue found in raw/, landed again)
    again = drill(replica, data, top=2, build=False, progress=lines.append)
    assert again.requests == 0 and "rows landed: none (nothing new)" in again.text(), again.text()
    folder = data / "raw" / "v1" / "evaluation__transparency" / "2026-10"
    detailed = {p.name.split("~")[1] for p in folder.iterdir()}
    # the largest (1.128273 carries the most dossiers) is detailed, the smallest is not
    assert len(detailed) == 2 and "1.128273" in detailed and "4.100014" not in detailed
    for code in PROCEDURES:  # but every procedure's volume was asked, once
        vol = data / "raw" / "v1" / VOLUME_ENDPOINT.replace("/", "__") / "2026-10" / f"H55~{code}"
        assert len(list(vol.glob("*.json.gz"))) == 1


def readme_drilldown_queries() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.findall(r"^#### (.+?)\n(?:.*?\n)*?```sql\n(.*?)```", text, flags=re.MULTILINE | re.DOTALL)
    return [(t, q) for t, q in found if "fct_procedure_indicator" in q]


@pytest.mark.usefixtures("prefect_harness")
def test_the_command_lands_builds_and_answers_the_readme_queries(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    replica: object,
    capsys: pytest.CaptureFixture[str],
    catalogue_raw: Path,
) -> None:
    data = with_catalogue(tmp_path / "data", catalogue_raw)
    for k, v in {"DVC766_DATA_DIR": str(data), "DVC766_PORTAL_URL": replica.url,  # type: ignore[attr-defined]
                 "DVC766_PACING_S": "0", "DVC766_JITTER_S": "0"}.items():  # fmt: skip
        monkeypatch.setenv(k, v)
    execute("monthly", Settings.from_env(), [OCT], ["H55"], use_prefect=False)  # the unit's own figures
    for month in (9, 10):  # two months, so "whose on-time rate fell most" has a before and after
        code = main(["drilldown", "--province", "H55", "--month", f"2026-{month:02d}",
                     "--procedures", ",".join(PROCEDURES)])  # fmt: skip
        assert code == 0
    out = capsys.readouterr().out
    assert "done: every planned request is answered" in out and "checks" in out
    db = data / "warehouse.duckdb"
    queries = readme_drilldown_queries()
    assert len(queries) >= 3
    for title, sql in queries:
        assert query(db, sql), title
    (name,) = query(
        db, "select formality_name from dim_formality where formality_code = '1.128273' and is_current"
    )[0:1]
    assert name[0].startswith("Thủ tục")
    # the appendix gets its optional drill-down section (md, xlsx, docx) once the month end is captured
    execute("snapshot", Settings.from_env(), [Period("ytd", 2026, 10)], ["H55"], use_prefect=False)
    top = query(
        db,
        "select formality_code, numerator from fct_procedure_indicator where unit_code = 'H55' "
        "and period_key = '2026-10' and indicator_code = 'PROGRESS_OVERDUE' and is_current "
        "order by numerator desc, formality_code limit 1",
    )[0]
    for fmt in ("md", "xlsx", "docx"):
        out = tmp_path / f"appendix.{fmt}"
        assert (
            main(["report", "--province", "H55", "--month", "2026-10", "--format", fmt, "--out", str(out)])
            == 0
        )
    md = (tmp_path / "appendix.md").read_text(encoding="utf-8")
    section = md.split("VI. THỦ TỤC HÀNH CHÍNH CÓ NHIỀU HỒ SƠ QUÁ HẠN NHẤT", 1)[1]
    first = next(ln for ln in section.splitlines() if ln.startswith("| 1 |"))
    assert f"| {top[0]} |" in first and f"| {top[1]:,} |".replace(",", ".") in first
    wb = openpyxl.load_workbook(tmp_path / "appendix.xlsx")
    assert "VI. Thủ tục" in wb.sheetnames and wb["VI. Thủ tục"].cell(row=6, column=2).value == top[0]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--procedures", "2.000815;x"], "is not a code"),
        (["--budget", "0"], "at least 1 request"),
        (["--top", "0"], "at least 1"),
        (["--province", "H99"], "H99"),
    ],
)
def test_bad_arguments_one_line_exit_2_nothing_written(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    words: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("DVC766_DATA_DIR", str(data))
    base = {"--province": "H55", "--month": "2026-10"}
    args = ["drilldown"]
    for flag, value in base.items():
        if flag not in argv:
            args += [flag, value]
    assert main(args + argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err
    assert not data.exists()


def test_an_unknown_procedure_code_is_one_line(tmp_path: Path, replica: object, catalogue_raw: Path) -> None:
    from flows.drilldown import DrilldownError

    data = with_catalogue(tmp_path / "d", catalogue_raw)
    with pytest.raises(DrilldownError, match="unknown procedure code.*9.999999"):
        run_drilldown(settings_for(replica, data), "H55", OCT, procedures=["9.999999"], build=False)


# --- a month not published yet, and --refresh (issue 27) ------------------------------------------------


def test_a_month_not_published_stops_early_says_so_and_is_asked_again_later(
    tmp_path: Path, replica: object, catalogue_raw: Path
) -> None:
    """October as the portal answers it on 2/11, before it publishes the month (the 3rd): every
    per-procedure request answers "not published yet". The run stops after a few, never says done,
    counts none of them as answered; once October is out the same command asks again and lands."""
    data = with_catalogue(tmp_path / "early", catalogue_raw)
    replica.set_now("2026-11-02T10:00")  # type: ignore[attr-defined]
    try:  # every procedure the province applies: thousands of requests, were each asked
        early = run_drilldown(settings_for(replica, data), "H55", OCT, build=False)
    finally:
        replica.set_now("2026-11-05T10:00")  # type: ignore[attr-defined]
    assert early.month_not_published and not early.complete
    assert early.procedures_applied > 100
    assert early.requests == NOT_PUBLISHED_STOP  # not one request per procedure
    text = early.text()
    assert "not published yet" in text and "done: every planned request" not in text
    assert early.ok  # a planned stop, as a monthly run's "not published yet"
    folder = data / "raw" / "v1" / VOLUME_ENDPOINT.replace("/", "__") / "2026-10"
    kept = [json.loads(p.read_text())["outcome"] for p in folder.rglob("*.meta.json")]
    assert kept == ["rejected:not_published"] * NOT_PUBLISHED_STOP  # the refusals are kept in raw/
    later = run_drilldown(settings_for(replica, data), "H55", OCT, procedures=PROCEDURES, build=False)
    assert later.complete and not later.month_not_published
    # the procedures answered "not published" on 2/11 were asked again and now have their volume
    assert later.volumes_known == len(PROCEDURES) and later.requests >= len(PROCEDURES)


def test_refresh_asks_again_what_was_answered(tmp_path: Path, replica: object, catalogue_raw: Path) -> None:
    data = with_catalogue(tmp_path / "refresh", catalogue_raw)
    first = drill(replica, data, build=False)
    assert first.complete and drill(replica, data, build=False).requests == 0
    replica.set_now("2026-11-06T10:00")  # type: ignore[attr-defined]
    try:  # a day later (the portal revises past months)
        again = drill(replica, data, build=False, refresh=True)
    finally:
        replica.set_now("2026-11-05T10:00")  # type: ignore[attr-defined]
    assert again.complete and again.requests == first.requests  # every request again, the catalogue aside
    assert "refresh" in again.text()
    # the same answers again within the same second (a frozen clock): the captures already kept
    same = drill(replica, data, build=False, refresh=True)
    assert same.complete and same.requests == first.requests and not same.failed


@pytest.mark.usefixtures("prefect_harness")
def test_the_command_takes_refresh(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    replica: object,
    capsys: pytest.CaptureFixture[str],
    catalogue_raw: Path,
) -> None:
    data = with_catalogue(tmp_path / "cli", catalogue_raw)
    for k, v in {"DVC766_DATA_DIR": str(data), "DVC766_PORTAL_URL": replica.url,  # type: ignore[attr-defined]
                 "DVC766_PACING_S": "0", "DVC766_JITTER_S": "0"}.items():  # fmt: skip
        monkeypatch.setenv(k, v)
    args = [
        "drilldown",
        "--province",
        "H55",
        "--month",
        "2026-10",
        "--procedures",
        PROCEDURES[0],
        "--no-build",
    ]
    assert main(args) == 0
    replica.set_now("2026-11-06T10:00")  # type: ignore[attr-defined]
    try:
        assert main([*args, "--refresh"]) == 0
    finally:
        replica.set_now("2026-11-05T10:00")  # type: ignore[attr-defined]
    out = capsys.readouterr().out
    assert "refresh: what earlier runs answered was asked again" in out
    assert out.count("requests: 0 made") == 0  # the refresh asked
