"""``report`` and ``dashboard`` write report files only (issue 28).

``--format md --out data/warehouse.duckdb`` used to replace the published warehouse and exit 0. Now a
target must carry the format's extension, lie outside the data folder's managed parts (also through
``..`` and symlinks), and, when it exists, be a report of the same kind dvc766 wrote; files get the
umask's mode and every file written (the md's chart too) is named in the output.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

from dvc766.cli import main
from tests.test_report_reference import build_warehouse


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("reports") / "data"
    d.mkdir()
    build_warehouse(d / "warehouse.duckdb")
    for part in ("raw", "landing", "compact"):
        (d / part).mkdir()
    (d / ".writer.lock").touch()
    return d


@pytest.fixture
def env(data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DVC766_DATA_DIR", str(data))
    yield data


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(root.rglob("*"))
    }


def report(fmt: str, out: Path | str) -> list[str]:
    return ["report", "--province", "H55", "--month", "2023-10", "--format", fmt, "--out", str(out)]


@pytest.mark.parametrize(
    ("fmt", "target", "words"),
    [
        ("md", "{data}/warehouse.duckdb", "an md report is written to a .md file"),
        ("docx", "{data}/warehouse.duckdb", "a docx report is written to a .docx file"),
        ("md", "{data}/warehouse.duckdb.md", "the published warehouse"),
        ("md", "{data}/raw/x.md", "/raw, which dvc766 manages"),
        ("xlsx", "{data}/landing/p/x.xlsx", "/landing, which dvc766 manages"),
        ("docx", "{data}/compact/x.docx", "/compact, which dvc766 manages"),
        ("md", "{data}/.writer.lock", "an md report is written to a .md file"),
        ("md", "{tmp}/../{tmp_name}/../{tmp_name}/x/../../{data_rel}/raw/y.md", "/raw, which dvc766 manages"),
        ("md", "{tmp}/link_to_raw/z.md", "/raw, which dvc766 manages"),
        ("md", "{tmp}/wh.md", "the published warehouse"),  # a symlink to the warehouse
        ("md", "{tmp}/notes.md", "exists and is not an md report dvc766 wrote"),
        ("docx", "{tmp}/letter.docx", "exists and is not a docx report dvc766 wrote"),
        ("md", "{tmp}/photo.md", "exists and is not an md report's chart dvc766 wrote"),  # photo.png beside
        ("md", "{tmp}/folder.md", "exists and is not an md report dvc766 wrote"),
        ("md", "{tmp}/nul\x00.md", "not a usable path"),
    ],
)
def test_a_target_that_is_not_a_report_file_is_refused_and_nothing_changes(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, target: str, words: str
) -> None:
    (tmp_path / "link_to_raw").symlink_to(env / "raw")
    (tmp_path / "wh.md").symlink_to(env / "warehouse.duckdb")
    (tmp_path / "notes.md").write_text("my own notes\n", encoding="utf-8")
    docx.Document().save(str(tmp_path / "letter.docx"))  # a Word file dvc766 did not write
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n holiday")
    (tmp_path / "folder.md").mkdir()
    before, outside = snapshot(env), snapshot(tmp_path)
    data_rel = os.path.relpath(env, tmp_path.parent)
    out = target.format(data=env, tmp=tmp_path, tmp_name=tmp_path.name, data_rel=data_rel)
    assert main(report(fmt, out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err
    assert snapshot(env) == before and snapshot(tmp_path) == outside


def test_the_md_report_and_its_chart_are_both_named_written_with_the_umask_mode_and_rewritable(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = os.umask(0o022)
    try:
        out = tmp_path / "out" / "appendix.md"
        assert main(report("md", out)) == 0
        printed = capsys.readouterr().out.split()
        assert printed == [str(out.with_suffix(".png")), str(out)]
        for path in map(Path, printed):
            assert stat.S_IMODE(path.stat().st_mode) == 0o644
        assert main(report("md", out)) == 0  # its own report and chart: rewritten
        assert capsys.readouterr().out.split() == printed
        assert main(report("docx", tmp_path / "out" / "appendix.docx")) == 0
        assert main(report("docx", tmp_path / "out" / "appendix.docx")) == 0  # recognised as its own
        assert main(report("xlsx", tmp_path / "out" / "appendix.xlsx")) == 0
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
            "appendix.docx",
            "appendix.md",
            "appendix.png",
            "appendix.xlsx",
        ]
    finally:
        os.umask(old)


def test_the_dashboard_refuses_the_same_targets_before_building_anything(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(env)
    (tmp_path / "page.html").write_text("<html>mine</html>", encoding="utf-8")
    for out, words in (
        (env / "warehouse.duckdb", "a dashboard is written to a .html file"),
        (env / "raw" / "d.html", "/raw, which dvc766 manages"),
        (tmp_path / "page.html", "exists and is not a dashboard dvc766 wrote"),
    ):
        argv = ["dashboard", "--province", "H55", "--month", "2023-10", "--out", str(out)]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err, err
    assert (
        snapshot(env) == before
        and (tmp_path / "page.html").read_text(encoding="utf-8") == "<html>mine</html>"
    )
