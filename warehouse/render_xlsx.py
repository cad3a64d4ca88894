"""The appendix as an Excel workbook for analysts: numbers stay numbers, and it prints as it should.

One sheet per section plus a chart sheet. Every figure is a number cell (counts, rates, changes in
their own columns) with a number format in the Vietnamese locale (``[$-42A]``: ``1.474.419``, ``86,14``,
zero change as "Giữ nguyên"), so the sheet shows the appendix's look and every cell can be computed
with. A figure that is not available is the text "Không có số liệu".

Print-ready as an official expects: A4, landscape for Table I, fitted to the page width, the header rows
repeated on every page, page numbers in the footer, the title merged across the table, full borders
(no holes where a cell is empty), wrapped labels with row heights that show them, the header rows frozen
on screen, Times New Roman throughout, the total row bold.
"""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dvc766.text import printable
from warehouse.appendix_model import AppendixData, SummaryRow, UnitTable
from warehouse.chart import CHART_WIDTH_MM, chart_png
from warehouse.numbers_vi import NOT_AVAILABLE
from warehouse.render_md import (
    CERTIFIED_NOT_AVAILABLE,
    PORTAL_STAT,
    PROCEDURES_TITLE,
    TITLE_1,
    UNIT_SECTIONS,
    document_properties,
    document_title,
    header_spans,
    letter_line,
    procedure_table,
    provenance_lines,
    section_titles,
)

FONT = "Times New Roman"
BODY_PT = 12
VI = "[$-42A]"  # Vietnamese locale: "." groups thousands, "," marks decimals, whatever the PC's locale
COUNT_FMT = VI + "#,##0"
CHANGE_COUNT_FMT = VI + '+#,##0;-#,##0;"Giữ nguyên"'


def rate_fmt(decimals: int) -> str:
    return VI + ("0." + "0" * decimals if decimals else "0")


def change_rate_fmt(decimals: int) -> str:
    f = "0." + "0" * decimals if decimals else "0"
    return VI + f'+{f};-{f};"Giữ nguyên"'


SHEETS = {
    "I": "I. Tổng hợp",
    "II": "II. Hồ sơ quá hạn",
    "III": "III. DVC trực tuyến",
    "IV": "IV. Thanh toán trực tuyến",
    "V": "V. Chứng thực điện tử",
    "chart": "Biểu đồ",
}
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_LINE_PT = 15.75  # one line of 12 pt Times New Roman
_CHARS_PER_WIDTH = 1.3  # characters of 12 pt Times New Roman per unit of Excel column width


# What an office suite reads as the start of a formula (or a DDE command) when a cell begins with it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _text(cell, text: str) -> None:  # type: ignore[no-untyped-def]
    """Put outside text in a cell as text, never as a formula: printable (dvc766.text), stored as a
    string (openpyxl makes a string starting with "=" a formula), and marked with Excel's quote
    prefix when it starts like one, so editing the cell does not turn it into a formula either."""
    value = printable(text)
    cell.value = value
    if value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True


def _font(bold: bool = False, italic: bool = False, size: int = BODY_PT) -> Font:
    return Font(name=FONT, size=size, bold=bold, italic=italic)


class Sheet:
    """One section's sheet: writes cells in the document's font, then lays it out for print."""

    def __init__(self, ws: Worksheet, widths: list[float], *, landscape: bool = False) -> None:
        self.ws = ws
        self.widths = widths
        for c, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = w
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages down as it takes
        ws.print_options.horizontalCentered = True
        ws.page_margins.left, ws.page_margins.right = 0.6, 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.oddFooter.center.text = "Trang &P/&N"
        ws.oddFooter.center.font = FONT
        self.header_rows: tuple[int, int] | None = None

    @property
    def ncols(self) -> int:
        return len(self.widths)

    def title(self, data: AppendixData, heading: str) -> int:
        """The four title lines, merged across the table; returns the first free row."""
        lines = [
            (TITLE_1, _font(bold=True, size=14), True),
            (document_title(data), _font(bold=True), True),
            (letter_line(data), _font(italic=True), True),
            (heading, _font(bold=True), False),
        ]
        for r, (text, font, center) in enumerate(lines, start=1):
            self.note(r, text, font, center=center)
        return len(lines) + 1

    def note(self, r: int, text: str, font: Font | None = None, *, center: bool = False) -> None:
        """A line of text merged across the table's width, wrapped, its row tall enough to show it."""
        ws = self.ws
        cell = ws.cell(row=r, column=1)
        _text(cell, text)
        cell.font = font or _font()
        cell.alignment = Alignment(
            wrap_text=True, horizontal="center" if center else "left", vertical="center"
        )
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=self.ncols)
        # bold and merged text wraps earlier than the plain-cell estimate: count on 85 % of the width
        self.fit_height(r, [(text, 0.85 * sum(self.widths))])

    def fit_height(self, r: int, texts: list[tuple[str, float]]) -> None:
        """Row height for the longest wrapped text among ``(text, column width)``."""
        lines = 1
        for text, width in texts:
            per_line = max(width * _CHARS_PER_WIDTH - 1, 1)
            lines = max(lines, sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n")))
        self.ws.row_dimensions[r].height = lines * _LINE_PT

    def header(self, r: int, rows: list[list[str]]) -> int:
        """Header rows; a blank cell below a filled one spans down, blanks to its right (over filled cells
        below) span across, as the reference draws Table I's two-row header."""
        ws = self.ws
        spans = header_spans(rows)
        for i, names in enumerate(rows):
            texts = []
            for c, name in enumerate(names):
                cell = ws.cell(row=r + i, column=c + 1)
                if name:
                    _text(cell, name)
                cell.font = _font(bold=True)
                cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
                cell.border = _BORDER
                last_row, last_col = spans.get((i, c), (i, c))
                if name and last_row == i:  # a cell spanning down shares its height with the row below
                    texts.append((name, sum(self.widths[c : last_col + 1])))
            self.fit_height(r + i, texts)
        for (i, c), (last_row, last_col) in spans.items():
            ws.merge_cells(start_row=r + i, start_column=c + 1, end_row=r + last_row, end_column=last_col + 1)
        if self.header_rows is None:
            self.header_rows = (r, r + len(rows) - 1)
            ws.print_title_rows = f"{r}:{r + len(rows) - 1}"
            ws.freeze_panes = ws.cell(row=r + len(rows), column=3)
        return r + len(rows)

    def row(self, r: int, values: list[tuple[object, str | None]], *, bold: bool = False) -> None:
        """A table row: every cell bordered (blank ones too), labels wrapped, figures right-aligned."""
        texts = []
        for c, (value, fmt) in enumerate(values, start=1):
            cell = self.ws.cell(row=r, column=c)
            _put(cell, value, fmt)
            cell.font = _font(bold=bold)
            cell.border = _BORDER
            if isinstance(cell.value, str) and fmt is None:
                cell.alignment = Alignment(wrap_text=True, vertical="center",
                                           horizontal="center" if c == 1 else "left")  # fmt: skip
                texts.append((cell.value, self.widths[c - 1]))
            elif isinstance(cell.value, str):  # "Không có số liệu" in a figure column
                cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
                texts.append((cell.value, self.widths[c - 1]))
            else:
                cell.alignment = Alignment(vertical="center", horizontal="center" if c == 1 else "right")
        self.fit_height(r, texts)


def _put(cell, value: object, fmt: str | None) -> None:  # type: ignore[no-untyped-def]
    """A figure: Decimal → int/float with its number format; None in a figure column → not available."""
    if value is None:
        cell.value = NOT_AVAILABLE if fmt else None
    elif isinstance(value, Decimal):
        integral = value == value.to_integral_value() and fmt in (COUNT_FMT, CHANGE_COUNT_FMT)
        cell.value = int(value) if integral else float(value)
        if fmt:
            cell.number_format = fmt
    elif isinstance(value, str):
        _text(cell, value)
    else:
        cell.value = value
        if fmt and isinstance(value, int | float):
            cell.number_format = fmt


def _summary_sheet(sheet: Sheet, data: AppendixData, heading: str) -> None:
    r = sheet.title(data, heading)
    p, c = data.prev_date, data.curr_date
    r = sheet.header(
        r,
        [
            ["Số TT", "Nội dung", f"{PORTAL_STAT} {p}", "", "", f"{PORTAL_STAT} {c}", "", "",
             f"Tăng (+)/Giảm (-) so với ngày {p}", ""],
            ["", "", "Số liệu", "Tổng số", "Tỷ lệ (%)", "Số liệu", "Tổng số", "Tỷ lệ (%)", "Số liệu",
             "Tỷ lệ (điểm %)"],
        ],
    )  # fmt: skip
    rate, drate = rate_fmt(2), change_rate_fmt(2)
    for row in data.summary:
        spec = row.spec
        cells: list[tuple[object, str | None]] = [(spec.number, None), (spec.label, None)] + [
            (None, None)
        ] * 8
        bold = spec.kind in ("group", "score")
        if spec.kind == "not_available":
            for col in (2, 5, 8):
                cells[col] = (None, COUNT_FMT)
        elif spec.kind == "score":
            s = data.score
            cells[2], cells[5], cells[8] = (s.prev_score, rate), (s.curr_score, rate), (s.change_score, drate)
            sheet.row(r, cells, bold=True)
            r += 1
            cells = [(None, None), ("Xếp hạng (trên số tỉnh, thành phố)", None)] + [(None, None)] * 8
            cells[2], cells[3] = (s.prev_rank, COUNT_FMT), (s.prev_size, COUNT_FMT)
            cells[5], cells[6] = (s.curr_rank, COUNT_FMT), (s.curr_size, COUNT_FMT)
            cells[8] = (s.change_rank, CHANGE_COUNT_FMT)
        elif spec.kind == "figure":
            _figure_cells(cells, row, rate, drate)
        sheet.row(r, cells, bold=bold)
        r += 1


def _figure_cells(cells: list[tuple[object, str | None]], row: SummaryRow, rate: str, drate: str) -> None:
    spec = row.spec
    if spec.count_style:
        cells[2], cells[5] = (row.prev_count, COUNT_FMT), (row.curr_count, COUNT_FMT)
        cells[8] = (row.change_count, CHANGE_COUNT_FMT)
        if spec.count_style == "fraction":
            cells[3], cells[6] = (row.prev_total, COUNT_FMT), (row.curr_total, COUNT_FMT)
    if spec.show_rate:
        cells[4], cells[7], cells[9] = (row.prev_rate, rate), (row.curr_rate, rate), (row.change_rate, drate)


UNIT_WIDTHS = [7, 48, 20, 20, 20]


def _unit_block(
    sheet: Sheet, r: int, data: AppendixData, table: UnitTable, what: str, subtitle: str | None
) -> int:
    if subtitle:
        sheet.note(r, subtitle, _font(bold=True))
        r += 1
    p, c = data.prev_date, data.curr_date
    r = sheet.header(
        r, [["Số TT", "Đơn vị", f"{what} ngày {p}", f"{what} ngày {c}", f"Tăng (+)/Giảm (-) so với ngày {p}"]]
    )
    value_fmt = COUNT_FMT if table.decimals == 0 else rate_fmt(table.decimals)
    change_fmt = CHANGE_COUNT_FMT if table.decimals == 0 else change_rate_fmt(table.decimals)
    for i, u in enumerate(table.rows, start=1):
        sheet.row(
            r,
            [
                (i, None),
                (u.unit_name, None),
                (u.prev, value_fmt),
                (u.curr, value_fmt),
                (u.change, change_fmt),
            ],
        )
        r += 1
    if table.total is not None:
        t = table.total
        sheet.row(r, [(None, None), (t.unit_name, None), (t.prev, value_fmt), (t.curr, value_fmt),
                      (t.change, change_fmt)], bold=True)  # fmt: skip
        r += 1
    return r + 1


def _certified_sheet(sheet: Sheet, data: AppendixData, heading: str) -> int:
    r = sheet.title(data, heading)
    cc = data.certified
    if cc is None:
        sheet.note(r, CERTIFIED_NOT_AVAILABLE)
        return r + 2
    p, c = data.prev_date, data.curr_date
    r = sheet.header(
        r,
        [
            ["Số TT", "Địa phương", f"Ngày {p}", "", "", f"Ngày {c}", "", "", f"Tăng (+)/Giảm (-) so với ngày {p}"],
            ["", "", "Đã triển khai", "Tổng số", "Số lượng hoàn thành", "Đã triển khai", "Tổng số",
             "Số lượng hoàn thành", ""],
        ],
    )  # fmt: skip
    for i, row in enumerate(cc.rows, start=1):
        values = [
            row.deployed_prev,
            row.total,
            row.completed_prev,
            row.deployed_curr,
            row.total,
            row.completed_curr,
        ]
        sheet.row(r, [(i, None), (row.unit_name, None), *((v, COUNT_FMT) for v in values),
                      (row.change, CHANGE_COUNT_FMT)])  # fmt: skip
        r += 1
    sheet.row(r, [(None, None), ("TỔNG CỘNG TOÀN TỈNH", None), (None, None), (None, None),
                  (cc.total_prev, COUNT_FMT), (None, None), (None, None), (cc.total_curr, COUNT_FMT),
                  (cc.total_change, CHANGE_COUNT_FMT)], bold=True)  # fmt: skip
    return r + 2


def render_xlsx(data: AppendixData) -> bytes:
    """The appendix as .xlsx bytes."""
    t = section_titles(data)
    wb = Workbook()
    sheet = Sheet(wb.active, [7, 44, 13, 10, 10, 13, 10, 10, 13, 12], landscape=True)
    sheet.ws.title = SHEETS["I"]
    _summary_sheet(sheet, data, t["I"])

    sheet = Sheet(wb.create_sheet(SHEETS["II"]), UNIT_WIDTHS)
    _unit_block(sheet, sheet.title(data, t["II"]), data, data.overdue, "Số lượng hồ sơ quá hạn", None)
    for key, attr, what, num in UNIT_SECTIONS:
        sheet = Sheet(wb.create_sheet(SHEETS[key]), UNIT_WIDTHS)
        r = sheet.title(data, t[key])
        for i, table in enumerate(getattr(data, attr), start=1):
            r = _unit_block(sheet, r, data, table, what + " (%)", f"{num}.{i}. {table.title}")

    sheet = Sheet(wb.create_sheet(SHEETS["V"]), [7, 34, 12, 10, 14, 12, 10, 14, 16], landscape=True)
    r = _certified_sheet(sheet, data, t["V"])
    for line in provenance_lines(data):
        sheet.note(r, line, _font(italic=True, size=11))
        r += 1

    if data.procedures:
        sheet = Sheet(wb.create_sheet("VI. Thủ tục"), [7, 14, 56, 14, 14, 14])
        r = sheet.header(sheet.title(data, PROCEDURES_TITLE), [procedure_table(data)[0]])
        for i, proc in enumerate(data.procedures, start=1):
            sheet.row(r, [(i, None), (proc.code, None), (proc.name, None), (proc.overdue, COUNT_FMT),
                          (proc.received, COUNT_FMT), (proc.rate, rate_fmt(2))])  # fmt: skip
            r += 1

    ws = wb.create_sheet(SHEETS["chart"])
    chart = Sheet(ws, [12] * 8)
    chart.note(1, t["chart"], _font(bold=True), center=True)
    img = Image(io.BytesIO(chart_png(data)))
    scale = CHART_WIDTH_MM / 25.4 * 96 / img.width  # place it at its printed width (96 px per inch)
    img.width, img.height = round(img.width * scale), round(img.height * scale)
    ws.add_image(img, "A3")

    _properties(wb, data)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _properties(wb: Workbook, data: AppendixData) -> None:
    """The workbook's account of itself (``render_md.document_properties``), created today."""
    props = document_properties(data)
    wp = wb.properties
    wp.title, wp.subject, wp.keywords = props.title, props.subject, props.keywords
    wp.creator = wp.lastModifiedBy = props.author
    wp.description, wp.category = props.comments, props.category
    wp.created = wp.modified = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
