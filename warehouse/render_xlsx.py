"""The appendix as an Excel workbook: the printed sheets read as the docx does on any PC, and every
figure is also there as a number to compute with.

Why text on the printed sheets: a number format cannot make Excel show "1.764" and "86,14" on a PC
set to English. Excel reads "," and "." in a format code as the PC's own group and decimal separators
and ignores the locale tag ``[$-42A]`` for them (the tag sets the language of month and day names);
LibreOffice does apply the tag (1.764 and 86,14 under an English locale, checked by converting with
it), Excel does not. A format of literal dots (``#\\.##0``) cannot write a decimal comma, a sign and
"Giữ nguyên" together. So the section sheets hold each figure as the text the docx prints (from the
same ``render_md`` cell functions: "1.764/1.764", "86,14", "Tăng 120.415 hồ sơ", "Đạt 78,59 điểm;
xếp hạng 9/63 tỉnh, thành phố", "+0,80 điểm; tăng 1 bậc"), identical on every PC, and the sheet
"Số liệu" holds every figure of sections I–V as a number (counts, totals, rates, both changes; the rank
as places gained, +1 for 10 → 9) in the PC's own number format, for analysts.

Print-ready as an official expects: A4 (landscape for Table I and section V), fitted to the page width,
the header rows repeated on every page, "Trang n/N" in the footer inside the bottom margin and clear
of the table, a page break before any heading row that would otherwise end a page alone, the title
merged across the table, full borders, wrapped labels with row heights that show them, Times New
Roman 13 as the reference's body, the total rows bold.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from dvc766.text import printable
from warehouse.appendix_model import AppendixData, SummaryRow, UnitTable
from warehouse.chart import CHART_WIDTH_MM, chart_png
from warehouse.render_md import (
    CERTIFIED_HEADER_ROWS,
    CERTIFIED_NOT_AVAILABLE,
    PROCEDURES_TITLE,
    SUMMARY_HEADER_ROWS,
    TITLE_1,
    UNIT_SECTIONS,
    certified_note,
    certified_table,
    document_properties,
    document_title,
    header_spans,
    letter_line,
    procedure_table,
    provenance_lines,
    section_titles,
    summary_notes,
    summary_table,
    unit_table,
)

FONT = "Times New Roman"
BODY_PT = 13
NOTE_PT = 11
SHEETS = {
    "I": "I. Tổng hợp",
    "II": "II. Hồ sơ quá hạn",
    "III": "III. DVC trực tuyến",
    "IV": "IV. Thanh toán trực tuyến",
    "V": "V. Chứng thực điện tử",
    "data": "Số liệu",
    "chart": "Biểu đồ",
}
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_LINE_PT = 17.0  # one line of 13 pt Times New Roman
# A column width unit is the width of a digit of the workbook's default font, set to Times New Roman 13
# (so Excel and LibreOffice size the columns alike: 6,5–6,75 pt a unit; with Calibri, which LibreOffice
# may lack, the two disagreed by a third).
_UNIT_PT = 6.5
_CELL_PADDING_PT = 5.0  # what a cell keeps clear at its two sides


def _char_em(ch: str) -> float:
    """A character's width in Times New Roman, in em: enough to wrap a label as the printed page does."""
    if ch == " ":
        return 0.25
    if ch.isdigit():
        return 0.5
    if ch.isupper():
        return 0.72 if ch not in "IJ" else 0.4
    if ch.isalpha():
        return 0.3 if ch in "ijlrtf" else (0.72 if ch in "mw" else 0.47)
    return 0.33  # punctuation, brackets, slashes


def text_lines(text: str, width_units: float, size: float = BODY_PT, bold: bool = False) -> int:
    """How many lines ``text`` wraps to in a column ``width_units`` wide (word by word, as Excel and
    LibreOffice wrap), so each row is as tall as its longest cell and no label is cut."""
    room = max(width_units * _UNIT_PT - _CELL_PADDING_PT, 1.0)
    # 12 % in hand: a row a line too tall costs a little paper, a line too short hides words
    scale = size * (1.06 if bold else 1.0) * 1.12
    lines = 0
    for part in str(text).split("\n"):
        used, count = 0.0, 1
        for word in part.split(" "):
            w = sum(_char_em(c) for c in word) * scale
            gap = 0.25 * scale if used else 0.0
            if used and used + gap + w > room:
                count += 1 + int(w // room)
                used = w % room
            else:
                used += gap + w
                count += int(used // room) if used > room else 0
                used = used % room if used > room else used
        lines += count
    return max(lines, 1)


# The page (inches). The footer sits 0.3″ from the paper's edge and is one 10 pt line high, so a bottom
# margin of 0.75″ keeps it whole and a third of an inch below the table (it was cut at 0.5″ / 0.6″).
MARGINS = {"left": 0.6, "right": 0.4, "top": 0.6, "bottom": 0.75, "header": 0.3, "footer": 0.3}
A4_IN = (8.27, 11.69)


# What an office suite reads as the start of a formula (or a DDE command) when a cell begins with it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _put_text(cell, value: object):  # type: ignore[no-untyped-def]
    """Put a value in a cell; text from anywhere is text, never a formula: printable (dvc766.text),
    stored as a string (openpyxl makes a string starting with "=" a formula) and marked with Excel's
    quote prefix when it starts like one, so editing the cell does not turn it into a formula either."""
    if not isinstance(value, str):
        cell.value = value
        return cell
    text = printable(value)
    cell.value = text
    if text.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _font(bold: bool = False, italic: bool = False, size: int = BODY_PT) -> Font:
    return Font(name=FONT, size=size, bold=bold, italic=italic)


@dataclass
class Sheet:
    """One section's sheet: writes cells in the document's font, then lays it out for print."""

    ws: Worksheet
    widths: list[float]
    landscape: bool = False
    header_rows: tuple[int, int] | None = None
    # rows that must not end a page: headings of the rows after them (Table I's groups, 3.1. …)
    keep: set[int] = field(default_factory=set)
    # rows that must not begin a page: the notes under a table (a page of them alone would print under
    # the table's repeated header rows)
    glue: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        ws = self.ws
        for c, w in enumerate(self.widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = w
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if self.landscape else "portrait"
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages down as it takes
        ws.print_options.horizontalCentered = True
        for side, inches in MARGINS.items():
            setattr(ws.page_margins, side, inches)
        ws.oddFooter.center.text = "Trang &P/&N"
        ws.oddFooter.center.font = FONT
        ws.oddFooter.center.size = 10

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
        self.keep.add(len(lines))
        return len(lines) + 1

    def note(self, r: int, text: str, font: Font | None = None, *, center: bool = False) -> None:
        """A line of text merged across the table's width, wrapped, its row tall enough to show it."""
        ws = self.ws
        cell = _put_text(ws.cell(row=r, column=1), text)
        cell.font = font or _font()
        cell.alignment = Alignment(
            wrap_text=True, horizontal="center" if center else "left", vertical="center"
        )
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=self.ncols)
        size = cell.font.sz or BODY_PT
        self.fit_height(r, [(text, sum(self.widths))], size=size, bold=bool(cell.font.b))

    def fit_height(
        self, r: int, texts: list[tuple[str, float]], *, size: float = BODY_PT, bold: bool = False
    ) -> None:
        """Row height for the longest wrapped text among ``(text, column width)``."""
        lines = max((text_lines(text, width, size, bold) for text, width in texts), default=1)
        self.ws.row_dimensions[r].height = lines * _LINE_PT * size / BODY_PT + 3

    def table(self, r: int, rows: list[list[str]], header_rows: int = 1, *,
              merge: Iterable[tuple[int, int]] = (), keep: Iterable[int] = ()) -> int:  # fmt: skip
        """A table of printed texts: header rows (a blank cell below a filled one spans down, blanks to its
        right over filled cells below span across), then body rows, every cell bordered; ``merge`` joins
        body cells ``(row index, column)`` with the cell to their right (the score line); ``keep`` are
        body row indices that head the rows after them. Returns the first free row."""
        ws = self.ws
        head = rows[:header_rows]
        spans = header_spans(head)
        merged = set(merge)
        for i, values in enumerate(rows):
            is_head = i < header_rows
            texts = []
            for c, text in enumerate(values):
                number = not is_head and c == 0 and text.isdigit()  # "Số TT" 1, 2, …: a number on any PC
                cell = _put_text(ws.cell(row=r + i, column=c + 1), int(text) if number else (text or None))
                cell.border = _BORDER
                total_row = not is_head and i == len(rows) - 1 and not values[0] and bool(values[1])
                group_row = not is_head and values[0][:1].isalpha() and values[0].isupper()
                cell.font = _font(bold=is_head or total_row or group_row)
                figure = c >= 2 and not is_head
                cell.alignment = Alignment(
                    wrap_text=True,
                    vertical="center",
                    horizontal="center" if is_head or c == 0 else ("right" if figure else "left"),
                )
                width = self.widths[c]
                if is_head:
                    last_row, last_col = spans.get((i, c), (i, c))
                    if last_row != i:  # a cell spanning down shares its height with the row below
                        continue
                    width = sum(self.widths[c : last_col + 1])
                elif (i, c) in merged:
                    width += self.widths[c + 1]
                if text:
                    texts.append((text, width))
            bold_row = is_head or (not is_head and values[0][:1].isalpha() and values[0].isupper())
            self.fit_height(r + i, texts, bold=bold_row)
        for (i, c), (last_row, last_col) in spans.items():
            ws.merge_cells(start_row=r + i, start_column=c + 1, end_row=r + last_row, end_column=last_col + 1)
        for i, c in merged:
            ws.merge_cells(start_row=r + i, start_column=c + 1, end_row=r + i, end_column=c + 2)
        if self.header_rows is None:
            self.header_rows = (r, r + header_rows - 1)
            ws.print_title_rows = f"{r}:{r + header_rows - 1}"
            ws.freeze_panes = ws.cell(row=r + header_rows, column=3)
        self.keep.update(r + i for i in keep)
        return r + len(rows)

    def paginate(self) -> None:
        """Every page break, chosen so that no heading row ends a page alone.

        The sheet prints fitted to the width, so a page holds (paper height − margins) / scale points of
        rows, the repeated header rows included from page 2 on. Each page is filled to 94 % of that (the
        rest in hand for what a printing program lays out differently) and ended by a manual break, so
        the program breaks where these breaks are and nowhere else; a heading row goes to the next page
        when it and the two rows after it would not fit."""
        ws = self.ws
        paper_w, paper_h = A4_IN if not self.landscape else A4_IN[::-1]
        width_pt = sum(w * _UNIT_PT for w in self.widths)
        usable_w = (paper_w - MARGINS["left"] - MARGINS["right"]) * 72
        scale = min(1.0, usable_w / width_pt)
        page = (paper_h - MARGINS["top"] - MARGINS["bottom"]) * 72 / scale * 0.94
        heights = {r: ws.row_dimensions[r].height or 15.0 for r in range(1, ws.max_row + 1)}
        repeat = 0.0
        if self.header_rows:
            repeat = sum(heights[r] for r in range(self.header_rows[0], self.header_rows[1] + 1))
        used = 0.0
        for r in range(1, ws.max_row + 1):
            need = heights[r]
            if r in self.keep:
                need += sum(heights.get(r + k, 0.0) for k in (1, 2))
            if used + need > page and used > repeat:
                start = r
                while start in self.glue and start > 2:
                    start -= 1  # a note goes over with the table's last row, never alone
                ws.row_breaks.append(Break(id=start - 1))
                used = repeat if self.header_rows and start > self.header_rows[1] else 0.0
                used += sum(heights[k] for k in range(start, r))
            used += heights[r]


def _summary_sheet(sheet: Sheet, data: AppendixData, heading: str) -> None:
    r = sheet.title(data, heading)
    rows = summary_table(data)
    body = list(enumerate(data.summary, start=SUMMARY_HEADER_ROWS))
    merge = [(i, c) for i, row in body if row.spec.kind == "score" for c in (2, 4)]
    keep = [i for i, row in body if row.spec.kind in ("group", "heading")]
    r = sheet.table(r, rows, SUMMARY_HEADER_ROWS, merge=merge, keep=keep)
    for note in summary_notes(data):
        sheet.note(r, note, _font(italic=True, size=NOTE_PT))
        sheet.glue.add(r)
        r += 1


def _unit_blocks(
    sheet: Sheet, r: int, data: AppendixData, tables: list[UnitTable], what: str, num: str
) -> int:
    for i, table in enumerate(tables, start=1):
        sheet.note(r, f"{num}.{i}. {table.title}", _font(bold=True))
        sheet.keep.add(r)
        r = sheet.table(r + 1, unit_table(data, table, what, " (%)")) + 1
    return r


def _certified_sheet(sheet: Sheet, data: AppendixData, heading: str) -> int:
    r = sheet.title(data, heading)
    cert = certified_table(data)
    if cert is None:
        sheet.note(r, CERTIFIED_NOT_AVAILABLE)
        return r + 2
    r = sheet.table(r, cert, CERTIFIED_HEADER_ROWS)
    sheet.note(r, certified_note(data), _font(italic=True, size=NOTE_PT))
    sheet.glue.add(r)
    return r + 2


# --- the numbers, for analysts -----------------------------------------------------------------------

DATA_COLUMNS = [
    ("Mục", 7),
    ("Số TT", 7),
    ("Nội dung / đơn vị", 46),
    ("Mã đơn vị", 11),
    ("Số liệu ngày trước", 14),
    ("Tổng số ngày trước", 14),
    ("Tỷ lệ (%) ngày trước", 12),
    ("Số liệu ngày này", 14),
    ("Tổng số ngày này", 14),
    ("Tỷ lệ (%) ngày này", 12),
    ("Tăng/giảm số liệu", 14),
    ("Tăng/giảm tỷ lệ (điểm %)", 13),
]


def _num(value: object) -> int | float | None:
    if value is None:
        return None
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    return int(d) if d == d.to_integral_value() else float(d)


def _data_rows(data: AppendixData) -> list[list[object]]:
    """Every figure of sections I–V as numbers: one row per Table I line (score and rank included) and
    per unit of II–V, with both month ends and both changes."""
    out: list[list[object]] = []
    for row in data.summary:
        spec = row.spec
        if spec.kind == "score":
            s = data.score
            out.append(["I", spec.number, "Điểm tổng hợp", data.province_code, s.prev_score, None, None,
                        s.curr_score, None, None, s.change_score, None])  # fmt: skip
            gained = None if s.change_rank is None else -s.change_rank
            out.append(["I", "", "Xếp hạng (số bậc tăng +/giảm -)", data.province_code, s.prev_rank, s.prev_size,
                        None, s.curr_rank, s.curr_size, None, gained, None])  # fmt: skip
        elif spec.kind in ("figure", "office"):
            out.append(_summary_data(row))
    for section, tables in (
        ("II", [data.overdue]),
        ("III", data.online_service),
        ("IV", data.online_payment),
    ):
        for table in tables:
            rate = section != "II"
            for i, u in enumerate(table.rows, start=1):
                out.append([section, i, u.unit_name, u.unit_code,
                            None if rate else u.prev, None, u.prev if rate else None,
                            None if rate else u.curr, None, u.curr if rate else None,
                            None if rate else u.change, u.change if rate else None])  # fmt: skip
            if table.total is not None:
                t = table.total
                out.append([section, "", t.unit_name, t.unit_code, t.prev, None, None, t.curr, None, None,
                            t.change, None])  # fmt: skip
    cc = data.certified
    if cc is not None:
        for i, c in enumerate(cc.certified, start=1):
            out.append(["V", i, f"{c.unit_name}: đã triển khai", "", c.deployed_prev, c.units_prev, None,
                        c.deployed_curr, c.units_curr, None, c.deployed_curr - c.deployed_prev, None])  # fmt: skip
            out.append(["V", i, f"{c.unit_name}: số lượng hoàn thành", "", c.completed_prev, None, None,
                        c.completed_curr, None, None, c.change, None])  # fmt: skip
        out.append(["V", "", "TỔNG CỘNG TOÀN TỈNH: số lượng hoàn thành", "", cc.total_prev, None, None,
                    cc.total_curr, None, None, cc.total_change, None])  # fmt: skip
    return out


def _summary_data(row: SummaryRow) -> list[object]:
    spec = row.spec
    label = spec.label + (" (số liệu của cơ quan)" if row.supplied else "")
    return ["I", spec.number, label, "", row.prev_count, row.prev_total, row.prev_rate, row.curr_count,
            row.curr_total, row.curr_rate, row.change_count, row.change_rate]  # fmt: skip


def _data_sheet(ws: Worksheet, data: AppendixData) -> None:
    widths = [w for _, w in DATA_COLUMNS]
    sheet = Sheet(ws, widths, landscape=True)
    sheet.note(
        1,
        f"Số liệu của phụ lục tháng {data.month.number}/{data.month.year} dạng số để tính toán (ngày trước: "
        f"{data.prev_date}; ngày này: {data.curr_date}); ô trống: không có số liệu. Số hiển thị theo cài "
        "đặt của máy; các trang phụ lục in số theo cách viết tiếng Việt trên mọi máy.",
        _font(italic=True, size=NOTE_PT),
    )
    head = [name for name, _ in DATA_COLUMNS]
    r = sheet.table(2, [head])
    for values in _data_rows(data):
        for c, value in enumerate(values, start=1):
            cell = _put_text(ws.cell(row=r, column=c), _num(value) if c >= 5 else value)
            cell.font = _font(size=NOTE_PT)
            cell.border = _BORDER
            if c >= 5 and cell.value is not None:
                cell.number_format = "0.00" if c in (7, 10, 12) or isinstance(cell.value, float) else "#,##0"
        ws.row_dimensions[r].height = 16
        r += 1
    ws.auto_filter.ref = f"A2:{get_column_letter(len(DATA_COLUMNS))}{r - 1}"


def render_xlsx(data: AppendixData) -> bytes:
    """The appendix as .xlsx bytes."""
    t = section_titles(data)
    wb = Workbook()
    default = _font()  # the workbook's default font, which column widths are measured in
    wb._fonts = IndexedList([default])  # type: ignore[attr-defined]
    wb._named_styles["Normal"].font = default  # type: ignore[attr-defined]
    sheets: list[Sheet] = []
    sheet = Sheet(wb.active, [6, 48, 15, 9, 15, 9, 21], landscape=True)
    sheet.ws.title = SHEETS["I"]
    _summary_sheet(sheet, data, t["I"])
    sheets.append(sheet)

    unit_widths = [6, 38, 13, 13, 13]  # 83 units: A4 portrait at about full size
    sheet = Sheet(wb.create_sheet(SHEETS["II"]), unit_widths)
    sheet.table(sheet.title(data, t["II"]), unit_table(data, data.overdue, "Số lượng hồ sơ quá hạn"))
    sheets.append(sheet)
    for key, attr, what, num in UNIT_SECTIONS:
        sheet = Sheet(wb.create_sheet(SHEETS[key]), unit_widths)
        _unit_blocks(sheet, sheet.title(data, t[key]), data, getattr(data, attr), what, num)
        sheets.append(sheet)

    sheet = Sheet(wb.create_sheet(SHEETS["V"]), [6, 40, 16, 16, 16, 16, 16], landscape=True)
    r = _certified_sheet(sheet, data, t["V"])
    for line in provenance_lines(data):
        sheet.note(r, line, _font(italic=True, size=NOTE_PT))
        r += 1
    sheets.append(sheet)

    if data.procedures:
        sheet = Sheet(wb.create_sheet("VI. Thủ tục"), [8, 14, 56, 14, 14, 14])
        sheet.table(sheet.title(data, PROCEDURES_TITLE), procedure_table(data))
        sheets.append(sheet)

    ws = wb.create_sheet(SHEETS["chart"])
    chart = Sheet(ws, [12] * 8)
    chart.note(1, t["chart"], _font(bold=True), center=True)
    img = Image(io.BytesIO(chart_png(data)))
    scale = CHART_WIDTH_MM / 25.4 * 96 / img.width  # place it at its printed width (96 px per inch)
    img.width, img.height = round(img.width * scale), round(img.height * scale)
    ws.add_image(img, "A3")

    _data_sheet(wb.create_sheet(SHEETS["data"]), data)
    for sheet in sheets:
        sheet.paginate()
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
