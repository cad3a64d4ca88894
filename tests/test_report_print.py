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
from openpyxl.cell.cell import MergedCell

from dvc766.cli import main
from dvc766.periods import Period
from tests.test_report_reference import build_warehouse
from warehouse.appendix_lines import SUMMARY_LINES
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


def _office() -> str:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if not office or not shutil.which("pdftotext"):
        pytest.skip("LibreOffice and pdftotext are needed to print the appendix (.ci/run installs them)")
    return office


def _print(srcs: list[Path], outdir: Path, *, profile: Path | None = None) -> list[Path]:
    """``srcs`` printed to PDF by LibreOffice in one run (with its own profile when given)."""
    argv = [_office(), "--headless"]
    if profile is not None:
        argv.append(f"-env:UserInstallation={profile.as_uri()}")
    subprocess.run([*argv, "--convert-to", "pdf", "--outdir", str(outdir), *map(str, srcs)],
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    return [outdir / (src.stem + ".pdf") for src in srcs]


def _pages(pdf: Path, *, layout: bool = False) -> list[str]:
    """The text of each page (whitespace collapsed, or as laid out)."""
    argv = ["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]
    text = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    return pages if layout else [" ".join(page.split()) for page in pages]


def _pdf_pages(src: Path, outdir: Path) -> list[str]:
    """The text of each page of ``src`` printed to PDF by LibreOffice (whitespace collapsed)."""
    return _pages(_print([src], outdir)[0])


# A row of Table I as a printed page's text line begins: its number ("VII", "4.3", "a)").
ROW_NUMBER = re.compile(r"^\s*(VII|VI|IV|V|III|II|I|\d\.\d|[a-e]\))\s+\S")
HEADING_NUMBERS = {s.number for s in SUMMARY_LINES if s.kind in ("group", "heading")}
SUBTITLE = re.compile(r"^\s*\d\.\d\. BIỂU TỔNG HỢP")


def orphaned_headings(pdf: Path) -> list[tuple[int, str]]:
    """(page, row) for each page whose last row is a heading ("IV Thanh toán trực tuyến", "4.3 …") or
    whose last line is a table's subtitle ("3.2. BIỂU TỔNG HỢP …"): a heading alone at the foot."""
    out = []
    for n, page in enumerate(_pages(pdf, layout=True), start=1):
        lines = [
            ln
            for ln in page.splitlines()
            if ln.strip() and not re.fullmatch(r"\s*(Trang \d+/\d+|\d+)\s*", ln)
        ]
        numbers = [m[1] for m in map(ROW_NUMBER.match, lines) if m]
        if numbers and numbers[-1] in HEADING_NUMBERS:
            out.append((n, numbers[-1]))
        if lines and SUBTITLE.match(lines[-1]):
            out.append((n, lines[-1].strip()))
    return out


def words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Each page's words with their boxes (xMin, yMin, xMax, yMax, text), and the page height last."""
    xml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = []
    for page in xml.split("<page ")[1:]:
        height = float(re.search(r'height="([\d.]+)"', page)[1])  # type: ignore[index]
        boxes = re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page
        )
        pages.append(
            [(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in boxes]
            + [(0, height, 0, height, "")]
        )
    return pages


def test_docx_prints_as_an_official_appendix(env: Path, tmp_path: Path) -> None:
    src = _report(
        "docx", tmp_path / "appendix.docx", "--letter-number", "2590", "--letter-date", "01/11/2023"
    )
    pages = _pdf_pages(src, tmp_path)
    assert 4 <= len(pages) <= 9, len(pages)
    text = " ".join(pages)
    assert LETTER in text
    # Table I (its last line is the score) ends by the third page, printed at the reference's 13 pt
    assert any("Đạt 78,59 điểm" in p for p in pages[:3])
    document = docx.Document(str(src))
    sizes = {r.font.size.pt for t in document.tables for row in t.rows[2:] for c in row.cells
             for p in c.paragraphs for r in p.runs if r.text.strip()}  # fmt: skip
    assert sizes == {13.0}, sizes
    # Decree 30: numbered from page 2, centred in the top margin
    assert all(p.startswith(f"{n} ") for n, p in enumerate(pages[1:], start=2)), [p[:12] for p in pages]
    assert not PROGRAM_TEXT.search(text), PROGRAM_TEXT.search(text)
    cells = {c.text for row in document.tables[0].rows for c in row.cells}
    assert {"Tăng 120.415 hồ sơ", "Giảm 54.856 hồ sơ", "Tăng 05 TTHC", "+5,28"} <= cells
    assert "Thống kê trên Cổng dịch vụ công quốc gia ngày 30/9/2023" in cells
    # 3.3's change is a count ("Tăng 05 TTHC"), III and IV point to their detail sections, 4.3 says its base
    row33 = next(r for r in document.tables[0].rows if r.cells[0].text == "3.3")
    assert row33.cells[6].text == "Tăng 05 TTHC"
    assert "Dịch vụ công trực tuyến (chi tiết tại Phụ lục số III)" in cells
    assert "Thanh toán trực tuyến (chi tiết tại Phụ lục số IV)" in cells
    assert "Tỷ lệ TTHC có giao dịch thanh toán trực tuyến (*)" in cells
    assert "(*) Dòng 4.3 tính trên tổng số TTHC có yêu cầu nghĩa vụ tài chính" in text
    assert "UBND CẤP HUYỆN" in text and "CẤP XÃ" not in text  # October 2023: districts still stood
    props = document.core_properties
    assert props.author == "Sở Nội vụ tỉnh Thái Nguyên" and "generated" not in (props.comments or "")
    assert props.created.date() == date.today() and props.title.startswith("SỐ LIỆU BỘ CHỈ SỐ")
    assert "2023-YTD-10" in props.comments  # the analyst's trace is kept, off the page
    assert str(env) not in props.comments and "kho dữ liệu warehouse.duckdb;" in props.comments


def test_no_heading_row_ends_a_docx_page(env: Path, tmp_path: Path) -> None:
    """Wherever the page breaks fall (the title block pushed down line by line, as a longer letter line
    or issuer would), a group or heading row of Table I goes over with the rows it heads."""
    src = _report("docx", tmp_path / "a.docx")
    variants = []
    for n in range(0, 10, 2):  # without keep-with-next, such shifts left one at a page foot (11 of 14 tried)
        document = docx.Document(str(src))
        table = document.tables[0]._tbl
        for _ in range(n):
            spacer = document.add_paragraph("·")
            table.addprevious(spacer._p)
        variants.append(tmp_path / f"shift{n}.docx")
        document.save(str(variants[-1]))
    for pdf in _print(variants, tmp_path):
        assert orphaned_headings(pdf) == [], pdf.name


def test_xlsx_prints_fitted_numbered_and_titled(env: Path, tmp_path: Path) -> None:
    src = _report("xlsx", tmp_path / "appendix.xlsx")
    (pdf,) = _print([src], tmp_path)
    pages = _pages(pdf)
    appendix = [p for p in pages if "Mã đơn vị" not in p]  # the numbers sheet ("Số liệu") prints last
    assert 4 <= len(appendix) <= 14, len(pages)
    text = " ".join(pages)
    assert "(Kèm theo Công văn số …/SNV-CCHC ngày …/…/2023 của Sở Nội vụ)" in text  # blanks to fill in
    assert all(re.search(r"Trang \d+/\d+", p) for p in pages if "BIỂU ĐỒ" not in p)
    assert not PROGRAM_TEXT.search(text), PROGRAM_TEXT.search(text)
    # the rank line reads as the docx's: 10 → 9 is "tăng 1 bậc", never "-1"
    assert "+0,80 điểm; tăng 1" in text and "Tăng 05 TTHC" in text
    # the footer is whole, inside the page, and clear of the table above it
    for n, page in enumerate(words(pdf), start=1):
        height = page[-1][3]
        footer = [w for w in page if w[4] == "Trang"]
        if not footer:
            continue
        (x0, top, x1, bottom, _), *_ = footer
        assert bottom < height - 12, (n, bottom, height)
        body = [w[3] for w in page[:-1] if w[1] < top - 1]
        assert body and max(body) < top - 10, (n, max(body), top)
    assert orphaned_headings(pdf) == [] or all(p > len(appendix) for p, _ in orphaned_headings(pdf))
    wb = openpyxl.load_workbook(src)
    ws = wb["I. Tổng hợp"]
    score = next(r for r in ws.iter_rows() if r[0].value == "VII")
    assert score[6].value == "+0,80 điểm; tăng 1 bậc"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$5:$6" and ws.freeze_panes == "C7"
    assert ws.page_margins.bottom - ws.page_margins.footer >= 0.4  # room for the footer's line
    assert "A2:G2" in {str(r) for r in ws.merged_cells.ranges}  # the title spans the table
    assert "C5:D5" in {str(r) for r in ws.merged_cells.ranges}  # "Thống kê … ngày 30/9/2023" over its 2 cells
    for row in ws.iter_rows(min_row=7, max_row=ws.max_row):
        for cell in row:
            if cell.row < 7 + len(SUMMARY_LINES) and not isinstance(cell, MergedCell):
                assert cell.border.left.style == "thin", cell.coordinate  # no holes in the grid
            assert cell.font.name == "Times New Roman", cell.coordinate
    overdue = wb["II. Hồ sơ quá hạn"]
    numbers = [r[0].value for r in overdue.iter_rows(min_row=6) if isinstance(r[0].value, int)]
    assert numbers == list(range(1, len(numbers) + 1))  # "Số TT" are numbers, not text
    total = next(r for r in overdue.iter_rows(min_row=6) if r[1].value == "TỔNG SỐ")
    assert all(c.font.bold for c in total)
    assert wb.properties.creator == "Sở Nội vụ tỉnh Thái Nguyên"
    assert str(env) not in (wb.properties.description or "")


def test_xlsx_reads_vietnamese_on_an_english_pc(env: Path, tmp_path: Path) -> None:
    """The printed sheets read 1.764 and 86,14 whatever the PC's locale: LibreOffice with an English
    (en-US) profile prints the same figures, and no cell holds a number a locale could re-format."""
    src = _report("xlsx", tmp_path / "appendix.xlsx")
    profile = tmp_path / "en-profile"
    registry = profile / "user" / "registrymodifications.xcu"
    registry.parent.mkdir(parents=True)
    registry.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse">'
        "<value>en-US</value></prop></item>"
        '<item oor:path="/org.openoffice.Office.Linguistic/General"><prop oor:name="DefaultLocale" '
        'oor:op="fuse"><value>en-US</value></prop></item></oor:items>',
        encoding="utf-8",
    )
    (pdf,) = _print([src], tmp_path, profile=profile)
    text = " ".join(p for p in _pages(pdf) if "Mã đơn vị" not in p)  # the numbers sheet is the PC's own
    for figure in (
        "1.764/1.764",
        "448.887",
        "86,14",
        "Tăng 120.415 hồ sơ",
        "-5,28",
        "4.045",
        "-2.945",
        "-3,07",
    ):
        assert figure in text, figure
    assert not re.search(r"\b\d{1,3},\d{3}\b|\b\d+\.\d{2}\b", text), "a figure printed the English way"
    wb = openpyxl.load_workbook(src)
    for name in ("I. Tổng hợp", "II. Hồ sơ quá hạn", "III. DVC trực tuyến", "IV. Thanh toán trực tuyến"):
        figures = [c for row in wb[name].iter_rows(min_row=5) for c in row[2:] if c.value is not None]
        assert figures and all(isinstance(c.value, str) for c in figures), name


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


def test_xlsx_pages_break_before_a_heading_that_would_end_a_page() -> None:
    """The page breaks the workbook carries: every page filled to what fits, a heading row (and a note's
    table row) moved to the next page rather than left at the foot alone."""
    from openpyxl import Workbook

    from warehouse.render_xlsx import MARGINS, Sheet

    ws = Workbook().active
    sheet = Sheet(ws, [10, 60], landscape=False)  # 70 units: portrait at full size
    page = (11.69 - MARGINS["top"] - MARGINS["bottom"]) * 72 * 0.94  # points of rows a page holds
    per_page = int(page // 20)
    for r in range(1, 3 * per_page):
        ws.cell(row=r, column=1, value=str(r))
        ws.row_dimensions[r].height = 20
    heading = per_page - 1  # would be the page's last row but one: it and two rows after do not fit
    sheet.keep.add(heading)
    sheet.paginate()
    breaks = [b.id for b in ws.row_breaks.brk]
    assert breaks[0] == heading - 1  # the heading starts page 2
    assert breaks[1] - breaks[0] == per_page  # page 2 is full again
