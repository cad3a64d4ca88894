"""Figures the portal's API does not carry, supplied by the office in one CSV (``report --office-figures``).

Why one file for all of them: the appendix the province sends has figures no API answers — line 3.7
(growth of online services), line 6.3 (portal accounts verified against the population database),
section V (electronic certified copies, reported by the communes) — and the office lists its units in
its own order, not the portal's. The office has these in hand every month; one validated CSV lets it
give every one of them the same way, and the appendix marks each as supplied by the office, so a reader
tells portal figures from hand-supplied ones. Without the file those cells say "Không có số liệu".

CSV format (UTF-8, comma-separated, header row required; ``docs/office-figures.md`` is the office's guide):

    line,unit,figure,prev,curr
    3.7,,count,0,0
    6.3,,count,714.661,754.830
    V,UBND huyện Võ Nhai,deployed,16,16
    V,UBND huyện Võ Nhai,units,16,16
    V,UBND huyện Võ Nhai,completed,22.548,24.086
    order,Sở Nông nghiệp và Phát triển Nông thôn,,,

* ``line``: a Table I line the office supplies (``OFFICE_LINES``: 3.7, 6.3; ``3,7`` is read as 3.7),
  ``V`` (section V, one row per figure of each local People's Committee, printed in file order), or
  ``order`` (the order the office lists its units in sections II–IV: departments first, then local
  People's Committees, each as listed; units not listed follow in code order).
* ``unit``: empty for a Table I line; the commune or district for V; a unit's code (``H55.05``) or name
  (as the appendix prints it) for ``order``.
* ``figure``: ``count`` (or empty) for a Table I line; ``deployed`` (units that deployed the service),
  ``units`` (how many there are: "16/16") and ``completed`` (copies completed, year to date) for V.
* ``prev`` / ``curr``: the figure at the previous and at this month end, whole numbers (``22548`` or
  ``22.548``); a Table I line may leave one empty (printed "Không có số liệu").

The section-V file of earlier versions (``unit_name,deployed_prev,deployed_curr,total,completed_prev,
completed_curr``) is read too, as its V rows. Any problem raises one ``UserError`` naming the row and
column (the CLI's one line, exit 2), before anything is rendered.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dvc766.cli import UserError
from dvc766.text import printable
from warehouse.appendix_lines import SUMMARY_LINES

if TYPE_CHECKING:
    from warehouse.appendix_model import AppendixData, UnitTable

COLUMNS = ("line", "unit", "figure", "prev", "curr")
LEGACY_COLUMNS = ("unit_name", "deployed_prev", "deployed_curr", "total", "completed_prev", "completed_curr")
OFFICE_LINES = tuple(spec.key for spec in SUMMARY_LINES if spec.kind == "office")
CERTIFIED_FIGURES = ("deployed", "units", "completed")
_WHOLE_RE = re.compile(r"^(\d{1,3}(\.\d{3})+|\d+)$")


@dataclass(frozen=True)
class LineFigures:
    """A Table I line's count at the two month ends (None: the office did not give it)."""

    prev: int | None
    curr: int | None

    @property
    def change(self) -> int | None:
        return None if self.prev is None or self.curr is None else self.curr - self.prev


@dataclass(frozen=True)
class CertifiedRow:
    """Section V: one local People's Committee's electronic certified copies."""

    unit_name: str
    deployed_prev: int
    deployed_curr: int
    units_prev: int
    units_curr: int
    completed_prev: int
    completed_curr: int

    @property
    def change(self) -> int:
        return self.completed_curr - self.completed_prev


@dataclass(frozen=True)
class OfficeFigures:
    """The validated file: what it supplies, and its name and sha256 for the document's properties (the
    name only: a file's properties must not carry the analyst's local paths)."""

    name: str
    sha256: str
    lines: dict[str, LineFigures] = field(default_factory=dict)
    certified: tuple[CertifiedRow, ...] = ()
    unit_order: tuple[str, ...] = ()

    @property
    def total_prev(self) -> int:
        return sum(r.completed_prev for r in self.certified)

    @property
    def total_curr(self) -> int:
        return sum(r.completed_curr for r in self.certified)

    @property
    def total_change(self) -> int:
        return self.total_curr - self.total_prev

    def supplies(self) -> list[str]:
        """What the file fills, in the appendix's words: ["3.7", "6.3", "V"]."""
        return [k for k in OFFICE_LINES if k in self.lines] + (["V"] if self.certified else [])


def _whole(text: str, row: int, column: str, *, optional: bool = False) -> int | None:
    t = (text or "").strip()
    if optional and not t:
        return None
    if not _WHOLE_RE.fullmatch(t):
        raise UserError(f"office figures row {row}, column {column}: {text!r} is not a whole number")
    return int(t.replace(".", ""))


def _read(path: Path) -> tuple[bytes, list[list[str]]]:
    try:
        raw = path.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise UserError(
            f"cannot read the office figures {path.name!r}: {getattr(exc, 'strerror', None) or exc}"
        ) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"office figures {path.name} is not UTF-8 text (byte {exc.start})") from exc
    try:
        # every cell is outside text: control characters removed (dvc766.text), as from the portal
        return raw, [[printable(c) for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise UserError(f"office figures {path.name} is not a CSV file: {exc}") from exc


def load_office_figures(path: Path | str) -> OfficeFigures:
    """Read and validate the CSV; rows are counted as a spreadsheet does (the header is row 1)."""
    path = Path(path)
    raw, rows = _read(path)
    if not rows:
        raise UserError(f"office figures {path.name} is empty; expected the header {','.join(COLUMNS)}")
    header = tuple(h.strip() for h in rows[0])
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(c.strip() for c in r)]
    if header == LEGACY_COLUMNS:
        certified = _legacy_certified(body)
        lines: dict[str, LineFigures] = {}
        order: tuple[str, ...] = ()
    elif header == COLUMNS:
        lines, certified, order = _long(body)
    else:
        missing = [c for c in COLUMNS if c not in header]
        detail = f"missing {', '.join(missing)}" if missing else "unexpected columns or order"
        raise UserError(f"office figures row 1 (header): {detail}; expected {','.join(COLUMNS)}")
    if not (lines or certified or order):
        raise UserError(f"office figures {path.name} has a header but no rows")
    return OfficeFigures(path.name, hashlib.sha256(raw).hexdigest(), lines, certified, order)


def _legacy_certified(body: list[tuple[int, list[str]]]) -> tuple[CertifiedRow, ...]:
    out: list[CertifiedRow] = []
    seen: set[str] = set()
    for n, values in body:
        if len(values) != len(LEGACY_COLUMNS):
            raise UserError(f"office figures row {n}: {len(values)} columns, expected {len(LEGACY_COLUMNS)}")
        name = values[0].strip()
        if not name:
            raise UserError(f"office figures row {n}, column unit_name: empty")
        if name in seen:
            raise UserError(f"office figures row {n}, column unit_name: {name!r} appears twice")
        seen.add(name)
        nums = {c: _whole(v, n, c) for c, v in zip(LEGACY_COLUMNS[1:], values[1:], strict=True)}
        total = nums["total"]
        for col in ("deployed_prev", "deployed_curr"):
            if nums[col] > total:  # type: ignore[operator]
                raise UserError(
                    f"office figures row {n}, column {col}: {nums[col]} is more than total {total}"
                )
        out.append(
            CertifiedRow(name, nums["deployed_prev"], nums["deployed_curr"], total, total,  # type: ignore[arg-type]
                         nums["completed_prev"], nums["completed_curr"])  # type: ignore[arg-type]
        )  # fmt: skip
    return tuple(out)


def _line_key(text: str) -> str:
    t = text.strip()
    return t.replace(",", ".") if re.fullmatch(r"\d+,\d+", t) else t


def _long(
    body: list[tuple[int, list[str]]],
) -> tuple[dict[str, LineFigures], tuple[CertifiedRow, ...], tuple[str, ...]]:
    lines: dict[str, LineFigures] = {}
    cert: dict[str, dict[str, tuple[int, int, int]]] = {}  # unit → figure → (prev, curr, row)
    order: list[str] = []
    known = ", ".join((*OFFICE_LINES, "V", "order"))
    for n, values in body:
        if len(values) != len(COLUMNS):
            raise UserError(f"office figures row {n}: {len(values)} columns, expected {len(COLUMNS)}")
        key, unit, fig, prev, curr = (v.strip() for v in values)
        key = _line_key(key)
        if key in OFFICE_LINES:
            if unit:
                raise UserError(
                    f"office figures row {n}, column unit: line {key} is the province's own, leave it empty"
                )
            if fig not in ("", "count"):
                raise UserError(
                    f"office figures row {n}, column figure: line {key} has one figure, count (not {fig!r})"
                )
            if key in lines:
                raise UserError(f"office figures row {n}, column line: line {key} appears twice")
            p, c = _whole(prev, n, "prev", optional=True), _whole(curr, n, "curr", optional=True)
            if p is None and c is None:
                raise UserError(f"office figures row {n}: line {key} has neither prev nor curr")
            lines[key] = LineFigures(p, c)
        elif key == "V":
            if not unit:
                raise UserError(f"office figures row {n}, column unit: section V needs the unit's name")
            if fig not in CERTIFIED_FIGURES:
                raise UserError(
                    f"office figures row {n}, column figure: {fig!r} is not one of {', '.join(CERTIFIED_FIGURES)}"
                )
            figures = cert.setdefault(unit, {})
            if fig in figures:
                raise UserError(f"office figures row {n}: {unit!r} {fig} appears twice")
            figures[fig] = (_whole(prev, n, "prev"), _whole(curr, n, "curr"), n)  # type: ignore[assignment]
        elif key == "order":
            if not unit:
                raise UserError(
                    f"office figures row {n}, column unit: an order row needs a unit code or name"
                )
            if fig or prev or curr:
                raise UserError(
                    f"office figures row {n}: an order row has only a unit (figure, prev, curr empty)"
                )
            if unit in order:
                raise UserError(f"office figures row {n}, column unit: {unit!r} is listed twice")
            order.append(unit)
        else:
            raise UserError(f"office figures row {n}, column line: {key!r} is not one of {known}")
    return lines, tuple(_certified_row(u, f) for u, f in cert.items()), tuple(order)


def _certified_row(unit: str, figures: dict[str, tuple[int, int, int]]) -> CertifiedRow:
    missing = [f for f in CERTIFIED_FIGURES if f not in figures]
    if missing:
        first = min(row for *_, row in figures.values())
        raise UserError(f"office figures row {first}: section V {unit!r} has no {', '.join(missing)} row")
    (dp, dc, row), (up, uc, _), (cp, cc, _) = (figures[f] for f in CERTIFIED_FIGURES)
    for value, total in ((dp, up), (dc, uc)):
        if value > total:
            raise UserError(
                f"office figures row {row}: section V {unit!r} deployed {value} is more than units {total}"
            )
    return CertifiedRow(unit, dp, dc, up, uc, cp, cc)


# --- onto the appendix ------------------------------------------------------------------------------


def attach(data: AppendixData, office: OfficeFigures | None) -> None:
    """Put the office's figures into ``data``: the Table I lines it supplies (marked as the office's)
    and its unit order in sections II–IV. An order naming a unit the appendix does not list is a
    typo the office must hear about: UserError."""
    from warehouse.appendix_model import SummaryRow

    data.office = office
    if office is None:
        return
    for i, row in enumerate(data.summary):
        figs = office.lines.get(row.spec.key)
        if figs is not None and row.spec.kind == "office":
            data.summary[i] = SummaryRow(
                row.spec,
                prev_count=_dec(figs.prev),
                curr_count=_dec(figs.curr),
                change_count=_dec(figs.change),
                supplied=True,
            )
    if office.unit_order:
        tables = [data.overdue, *data.online_service, *data.online_payment]
        listed = {key for t in tables for r in t.rows for key in (r.unit_code, r.unit_name)}
        unknown = [u for u in office.unit_order if u not in listed]
        if unknown:
            raise UserError(
                f"office figures: order lists {', '.join(repr(u) for u in unknown[:3])}, "
                f"not a unit of {data.province_code} in sections II–IV of {data.month.number}/{data.month.year}"
            )
        data.overdue = _ordered(data.overdue, office.unit_order)
        data.online_service = [_ordered(t, office.unit_order) for t in data.online_service]
        data.online_payment = [_ordered(t, office.unit_order) for t in data.online_payment]


def _dec(value: int | None):  # type: ignore[no-untyped-def]
    from decimal import Decimal

    return None if value is None else Decimal(value)


def _ordered(table: UnitTable, order: tuple[str, ...]) -> UnitTable:
    """The table's rows in the office's order within each part (departments, then local People's
    Committees, as the rows came); units it does not list keep their place after the listed ones."""
    rank = {u: i for i, u in enumerate(order)}

    def key(item: tuple[int, object]) -> tuple[int, int, int]:
        i, r = item
        pos = min(rank.get(r.unit_code, len(order)), rank.get(r.unit_name, len(order)))  # type: ignore[attr-defined]
        return (0 if r.part == "agency" else 1, pos, i)  # type: ignore[attr-defined]

    rows = [r for _, r in sorted(enumerate(table.rows), key=key)]
    return replace(table, rows=tuple(rows))
