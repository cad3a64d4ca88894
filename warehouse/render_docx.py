"""The appendix as a Word document, the format attached to the official letter.

A4 portrait with the margins of Decree 30/2020 (top/bottom 20 mm, left 30 mm, right 15 mm), Times New
Roman 13, bold headings, page numbers centred in the top margin from page 2 on (Decree 30's rule), real
Word tables ("Table Grid", header rows repeated on each page, Table I's two-row header merged as the
reference prints it), then the chart page. Cell texts come from ``render_md`` so docx and md print the
same figures. The file's properties say what it is (title, the issuing office as author, today's dates);
the analyst's trace (warehouse, period keys) sits in its comments, not on the page.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from dvc766.text import printable
from warehouse.appendix_model import AppendixData
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
TABLE_PT = 13  # the reference's body size, tables included
HEADER_PT = 12  # header cells hold "Thống kê trên Cổng … ngày 31/10/2023" in the narrow figure columns
NOTE_PT = 11  # the notes under a table and the source lines
# Table I on 165 mm at 13 pt: "Nội dung" as wide as the figures allow, counts wide enough for
# "1.621.010" and "4.139/5.260" (on two lines), rates for "100,00", the change for "Tăng 136.415 hồ sơ"
# on two lines.
SUMMARY_WIDTHS_MM = [10, 55, 24, 15, 24, 15, 22]
CELL_MARGIN_MM = 1.0  # Word's default 1,9 mm each side leaves "100,00" no room in a 17 mm column


def _set_font(style, size: int) -> None:  # type: ignore[no-untyped-def]
    style.font.name = FONT
    style.font.size = Pt(size)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _heading(doc, text: str, *, center: bool = False, size: int = BODY_PT, new_page: bool = False) -> None:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    # a page break before the heading itself, not an empty paragraph holding one: that paragraph can
    # spill onto a page of its own and print a blank page
    p.paragraph_format.page_break_before = new_page
    run = p.add_run(printable(text))
    run.bold = True
    run.font.size = Pt(size)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.keep_with_next = True


def _row_flag(row, tag: str) -> None:  # type: ignore[no-untyped-def]
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement(tag)
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _repeat_header(row) -> None:  # type: ignore[no-untyped-def]
    _row_flag(row, "w:tblHeader")


def _cell_margins(table, mm: float) -> None:  # type: ignore[no-untyped-def]
    """Narrow left/right cell margins for the whole table (tblCellMar, in twentieths of a point)."""
    tbl_pr = table._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(round(mm / 25.4 * 1440)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    tbl_pr.append(mar)


def _add_figure_run(para, text: str):  # type: ignore[no-untyped-def]
    """A figure's run with each "-" as Word's non-breaking hyphen, so "-54.856; -10,89" never wraps
    into a lone "-" at a line end; python-docx and Word read it back as "-"."""
    run = para.add_run()
    for i, piece in enumerate(printable(text).split("-")):
        if i:
            run._r.append(OxmlElement("w:noBreakHyphen"))
        if piece:
            t = OxmlElement("w:t")
            t.text = piece
            t.set(qn("xml:space"), "preserve")
            run._r.append(t)
    return run


def _merge_header(table, rows: list[list[str]]) -> None:  # type: ignore[no-untyped-def]
    """Merge the header cells ``render_md.header_spans`` says span others."""
    for (r, c), (last_r, last_c) in header_spans(rows).items():
        _merge(table.rows[r].cells[c], table.rows[last_r].cells[last_c])


def _merge(a, b) -> None:  # type: ignore[no-untyped-def]
    merged = a.merge(b)
    for extra in merged.paragraphs[1:]:
        if not extra.text:
            extra._p.getparent().remove(extra._p)


def _table(  # type: ignore[no-untyped-def]
    doc,
    rows: list[list[str]],
    widths_mm: list[float],
    merge_rows: frozenset[int] = frozenset(),
    header_rows: int = 1,
    keep_rows: frozenset[int] = frozenset(),
) -> None:
    """A grid table; rows never break across pages; ``merge_rows`` span each figure over its rate column;
    the first ``header_rows`` rows are the header, bold, centred and repeated on every page;
    ``keep_rows`` stay on the page of the row after them (headings of the rows that follow)."""
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _cell_margins(table, CELL_MARGIN_MM)
    # LibreOffice lays a table out from its grid (w:gridCol), Word from the cell widths: set both.
    for c, width in enumerate(widths_mm):
        table.columns[c].width = Mm(width)
    for r, values in enumerate(rows):
        row = table.rows[r]
        for c, text in enumerate(values):
            cell = row.cells[c]
            cell.width = Mm(widths_mm[c])
            para = cell.paragraphs[0]
            head = r < header_rows
            run = _add_figure_run(para, text) if not head and c >= 2 else para.add_run(printable(text))
            run.font.size = Pt(HEADER_PT if head else TABLE_PT)
            if head:
                run.bold = True
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            elif c >= 2 or (c == 0 and len(text) <= 4):
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if not head and values[0] and values[0].isalpha() and values[0].isupper():
                run.bold = True  # group rows (I, II, …) of section I
            if r == len(rows) - 1 and not values[0] and values[1]:
                run.bold = True  # the total row of section II
        _row_flag(row, "w:cantSplit")  # a row split over two pages reads as two rows
        if r >= header_rows and r + 1 < len(rows) and r in keep_rows:
            # a group or heading row ("IV Thanh toán trực tuyến", "4.3 …") never ends a page alone
            for para in row.cells[0].paragraphs + row.cells[1].paragraphs:
                para.paragraph_format.keep_with_next = True
        if r < header_rows:
            _repeat_header(row)
        if r in merge_rows:  # the score row: "Đạt 77,79 điểm; xếp hạng 10/63 …" across figure and rate
            for c in (2, 4):
                assert not values[c + 1], f"merging would drop {values[c + 1]!r}"
                _merge(row.cells[c], row.cells[c + 1])
    _merge_header(table, rows[:header_rows])


def _note(doc, text: str, *, italic: bool = True) -> None:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    run = p.add_run(printable(text))
    run.italic = italic
    run.font.size = Pt(NOTE_PT)
    p.paragraph_format.space_before = Pt(3)


def _field(run, instruction: str) -> None:  # type: ignore[no-untyped-def]
    """A Word field (PAGE) in ``run``: begin, instruction, separate, a placeholder, end."""
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText" if text == instruction else "w:t")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def _page_numbers(sec) -> None:  # type: ignore[no-untyped-def]
    """Page numbers as Decree 30/2020 sets them: centred in the top margin, not on the first page."""
    sec.different_first_page_header_footer = True
    para = sec.header.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = para.add_run()
    run.font.size = Pt(BODY_PT)
    _field(run, "PAGE")


_APP_XML = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>dvc766</Application><Company>{company}</Company><DocSecurity>0</DocSecurity>"
    "</Properties>"
)
_THUMBNAIL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"


def _fit(text: str, limit: int = 255) -> str:
    """python-docx refuses a core property longer than 255 characters (a long --issuer, or the trace of
    a CSV deep in a folder tree): shortened with an ellipsis instead of failing the report."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _properties(doc, data: AppendixData) -> None:  # type: ignore[no-untyped-def]
    """The file's own account of itself (``render_md.document_properties``), in place of python-docx's
    template (2013, "generated by python-docx", "Microsoft Macintosh Word", a stock thumbnail)."""
    props = document_properties(data)
    cp = doc.core_properties
    cp.title, cp.subject, cp.keywords = _fit(props.title), _fit(props.subject), _fit(props.keywords)
    cp.author = cp.last_modified_by = _fit(props.author)
    cp.comments, cp.category = _fit(props.comments), _fit(props.category)
    cp.created = cp.modified = datetime.now(UTC).replace(microsecond=0)
    cp.revision = 1
    package = doc.part.package
    for part in package.iter_parts():
        if str(part.partname) == "/docProps/app.xml":
            part._blob = _APP_XML.format(company=escape(props.author)).encode("utf-8")
    for rid, rel in list(package.rels.items()):
        if rel.reltype == _THUMBNAIL:
            del package.rels[rid]


def render_docx(data: AppendixData) -> bytes:
    """The appendix as .docx bytes."""
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin = sec.bottom_margin = Mm(20)
    sec.left_margin, sec.right_margin = Mm(30), Mm(15)
    _set_font(doc.styles["Normal"], BODY_PT)
    _page_numbers(sec)
    _properties(doc, data)

    t = section_titles(data)
    _heading(doc, TITLE_1, center=True, size=14)
    _heading(doc, document_title(data), center=True)
    letter = doc.add_paragraph()
    letter.alignment = WD_ALIGN_PARAGRAPH.CENTER
    letter.add_run(printable(letter_line(data))).italic = True
    _heading(doc, t["I"])
    rows = list(enumerate(data.summary, start=SUMMARY_HEADER_ROWS))
    score_rows = frozenset(i for i, row in rows if row.spec.kind == "score")
    heading_rows = frozenset(i for i, row in rows if row.spec.kind in ("group", "heading"))
    _table(doc, summary_table(data), SUMMARY_WIDTHS_MM, score_rows, header_rows=SUMMARY_HEADER_ROWS,
           keep_rows=heading_rows)  # fmt: skip
    for note in summary_notes(data):
        _note(doc, note)
    doc.add_paragraph()
    unit_widths = [13, 68, 28, 28, 28]
    _heading(doc, t["II"])
    _table(doc, unit_table(data, data.overdue, "Số lượng hồ sơ quá hạn"), unit_widths)
    doc.add_paragraph()
    for key, attr, what, num in UNIT_SECTIONS:
        _heading(doc, t[key])
        for i, table in enumerate(getattr(data, attr), start=1):
            _heading(doc, f"{num}.{i}. {table.title}")
            _table(doc, unit_table(data, table, what, " (%)"), unit_widths)
            doc.add_paragraph()
    _heading(doc, t["V"])
    cert = certified_table(data)
    if cert:
        _table(doc, cert, [11, 41, 24, 24, 24, 24, 17], header_rows=CERTIFIED_HEADER_ROWS)
        _note(doc, certified_note(data))
    else:
        doc.add_paragraph(CERTIFIED_NOT_AVAILABLE)
    if data.procedures:
        _heading(doc, PROCEDURES_TITLE)
        _table(doc, procedure_table(data), [10, 22, 70, 22, 22, 19])
    doc.add_paragraph()
    for line in provenance_lines(data):
        _note(doc, line)

    _heading(doc, t["chart"], center=True, new_page=True)
    doc.add_picture(io.BytesIO(chart_png(data)), width=Mm(CHART_WIDTH_MM))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER

    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
