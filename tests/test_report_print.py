"""The appendix as the receiving official sees it: the docx and the xlsx printed to PDF by LibreOffice.

What is checked is what a reader checks on paper: the pages are few (Table I on about one page, the
workbook not 32 pages of cut columns), pages carry their numbers, the "Kèm theo Công văn số …" line
ties the appendix to its letter, and nothing on the page is program text (file paths, period keys like
"2023-YTD-10", "API", option names). The chart is held against the table it stands beside.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest

from dvc766.cli import main
from dvc766.periods import Period
from tests.test_report_reference import build_warehouse
from warehouse.appendix_model import local_level, unit_display_name
from warehouse.chart import chart_series
from warehouse.report_data import load_appendix

PROGRAM_TEXT = re.compile(r"YTD|\bAPI\b|--[a-z]|warehouse\.duckdb|/tmp/|\bdvc766\b|\.csv\b|data/", re.I)
LETTER = "(Kèm theo Công văn số 2590/SNV-CCHC ngày 01/11/2023 của Sở Nội vụ)"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("print")
    build_warehouse(d / "warehouse.duckdb")
    return d


@pytest.fixture
def env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DVC766_DATA_DIR", str(data_dir))
    return data_dir


def _report(fmt: str, out: Path, *extra: str) -> Path:
    argv = ["report", "--province", "H55", "--month", "2023-10", "--format", fmt, "--out", str(out), *extra]
    assert main(argv) == 0
    return out


def _pdf_pages(src: Path, outdir: Path) -> list[str]:
    """The text of each page of ``src`` printed to PDF by LibreOffice (whitespace collapsed)."""
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if not office or not shutil.which("pdftotext"):
        pytest.skip("LibreOffice and pdftotext are needed to print the appendix (.ci/run installs them)")
    subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(outdir), str(src)],
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    pdf = outdir / (src.stem + ".pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True)
    return [" ".join(page.split()) for page in text.stdout.split("\f") if page.strip()]


def test_docx_prints_as_an_official_appendix(env: Path, tmp_path: Path) -> None:
    src = _report(
        "docx", tmp_path / "appendix.docx", "--letter-number", "2590", "--letter-date", "01/11/2023"
    )
    pages = _pdf_pages(src, tmp_path)
    assert 3 <= len(pages) <= 8, len(pages)
    text = " ".join(pages)
    assert LETTER in text
    # Table I (its last line is the score) ends on the first or second page, not the third
    assert any("Đạt 78,59 điểm" in p for p in pages[:2])
    # Decree 30: numbered from page 2, centred in the top margin
    assert all(p.startswith(f"{n} ") for n, p in enumerate(pages[1:], start=2)), [p[:12] for p in pages]
    assert not PROGRAM_TEXT.search(text), PROGRAM_TEXT.search(text)
    cells = {c.text for row in docx.Document(str(src)).tables[0].rows for c in row.cells}
    assert {"Tăng 120.415 hồ sơ", "Giảm 54.856 hồ sơ", "Tăng 05 TTHC", "+5,28"} <= cells
    assert "Thống kê trên Cổng dịch vụ công quốc gia ngày 30/9/2023" in cells
    assert "UBND CẤP HUYỆN" in text and "CẤP XÃ" not in text  # October 2023: districts still stood
    props = docx.Document(str(src)).core_properties
    assert props.author == "Sở Nội vụ tỉnh Thái Nguyên" and "generated" not in (props.comments or "")
    assert props.created.date() == date.today() and props.title.startswith("SỐ LIỆU BỘ CHỈ SỐ")
    assert "2023-YTD-10" in props.comments  # the analyst's trace is kept, off the page


def test_xlsx_prints_fitted_numbered_and_titled(env: Path, tmp_path: Path) -> None:
    src = _report("xlsx", tmp_path / "appendix.xlsx")
    pages = _pdf_pages(src, tmp_path)
    assert 3 <= len(pages) <= 10, len(pages)  # it printed 32 cut pages before
    text = " ".join(pages)
    assert "(Kèm theo Công văn số …/SNV-CCHC ngày …/…/2023 của Sở Nội vụ)" in text  # blanks to fill in
    assert all(re.search(r"Trang \d+/\d+", p) for p in pages if "BIỂU ĐỒ" not in p)
    assert not PROGRAM_TEXT.search(text), PROGRAM_TEXT.search(text)
    wb = openpyxl.load_workbook(src)
    ws = wb["I. Tổng hợp"]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$5:$6" and ws.freeze_panes == "C7"
    assert "A2:J2" in {str(r) for r in ws.merged_cells.ranges}  # the title spans the table
    assert "C5:E5" in {str(r) for r in ws.merged_cells.ranges}  # "Thống kê … ngày 30/9/2023" over its 3 cells
    for row in ws.iter_rows(min_row=7, max_row=ws.max_row):
        for cell in row:
            assert cell.border.left.style == "thin", cell.coordinate  # no holes in the grid
            assert cell.font.name == "Times New Roman", cell.coordinate
    overdue = wb["II. Hồ sơ quá hạn"]
    numbers = [r[0].value for r in overdue.iter_rows(min_row=6) if r[0].value is not None]
    assert numbers == list(range(1, len(numbers) + 1))  # "Số TT" are numbers, not text
    total = next(r for r in overdue.iter_rows(min_row=6) if r[1].value == "TỔNG SỐ")
    assert all(c.font.bold for c in total)
    assert wb.properties.creator == "Sở Nội vụ tỉnh Thái Nguyên"


def test_chart_plots_the_figures_of_table_i(env: Path) -> None:
    data = load_appendix(env / "warehouse.duckdb", "H55", Period.month(2023, 10))
    series = chart_series(data)
    last, before = series.points[-1], series.points[-2]
    assert (last.total, last.rank) == (data.score.curr_score, data.score.curr_rank)
    assert (before.total, before.rank) == (data.score.prev_score, data.score.prev_rank)
    assert series.labels[-2:] == [data.prev_date, data.curr_date]  # the month ends Table I names
    assert series.points[0].total is not None  # the axis starts at the first month end seen


def test_bad_letter_date_is_one_line_and_writes_nothing(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r" / "a.docx"
    argv = [
        "report",
        "--province",
        "H55",
        "--month",
        "2023-10",
        "--out",
        str(out),
        "--letter-date",
        "31/02/2023",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--letter-date" in err and err.count("\n") == 1
    assert not out.parent.exists()


def test_wording_follows_the_period_and_the_province() -> None:
    assert local_level(Period.month(2025, 6))[0] == "UBND CẤP HUYỆN"
    assert local_level(Period.month(2025, 7)) == ("UBND CẤP XÃ", "BIỂU TỔNG HỢP CỦA UBND CÁC XÃ, PHƯỜNG")
    assert unit_display_name("Sở Tư pháp - tỉnh Thái Nguyên") == "Sở Tư pháp"
    assert unit_display_name("Sở Lao động - Thương binh và Xã hội - tỉnh Thái Nguyên") == (
        "Sở Lao động - Thương binh và Xã hội"
    )
    assert unit_display_name("Sở Xây dựng - thành phố Hà Nội") == "Sở Xây dựng"
    assert unit_display_name("UBND thành phố Thái Nguyên") == "UBND thành phố Thái Nguyên"
