"""Section V (electronic certified copies from originals): figures the analyst supplies in a CSV.

The portal's API does not carry these counts, so the appendix accepts them from an optional CSV and
records where they came from (path and sha256) in the rendered report, so a reader can tell portal
figures from hand-supplied ones. Without the CSV, section V says the figures are not available.

CSV format (UTF-8, comma-separated, header row required, one row per district/commune People's Committee,
printed in file order):

    unit_name,deployed_prev,deployed_curr,total,completed_prev,completed_curr
    UBND huyện Võ Nhai,16,16,16,22548,24086

* ``deployed_prev`` / ``deployed_curr``: communes (or units) that had deployed the service at the previous
  and at this month end; ``total``: how many there are ("16/16").
* ``completed_prev`` / ``completed_curr``: certified copies completed, year to date at each month end.

Whole numbers only (``22548`` or ``22.548``); deployed ≤ total. Any problem raises one ``UserError``
naming the row and column. A unit name is text, whatever it starts with: control characters are removed
(:mod:`dvc766.text`), and the xlsx stores a name like ``=HYPERLINK(…)`` as text, never as a formula.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from dvc766.cli import UserError
from dvc766.text import printable

COLUMNS = ("unit_name", "deployed_prev", "deployed_curr", "total", "completed_prev", "completed_curr")
_WHOLE_RE = re.compile(r"^(\d{1,3}(\.\d{3})+|\d+)$")


@dataclass(frozen=True)
class CertifiedRow:
    unit_name: str
    deployed_prev: int
    deployed_curr: int
    total: int
    completed_prev: int
    completed_curr: int

    @property
    def change(self) -> int:
        return self.completed_curr - self.completed_prev


@dataclass(frozen=True)
class CertifiedCopies:
    """The validated CSV and its provenance."""

    path: Path
    sha256: str
    rows: tuple[CertifiedRow, ...]

    @property
    def total_prev(self) -> int:
        return sum(r.completed_prev for r in self.rows)

    @property
    def total_curr(self) -> int:
        return sum(r.completed_curr for r in self.rows)

    @property
    def total_change(self) -> int:
        return self.total_curr - self.total_prev


def _whole(text: str, row: int, column: str) -> int:
    t = (text or "").strip()
    if not _WHOLE_RE.fullmatch(t):
        raise UserError(f"certified-copies CSV row {row}, column {column}: {text!r} is not a whole number")
    return int(t.replace(".", ""))


def load_certified_copies(path: Path | str) -> CertifiedCopies:
    """Read and validate the CSV; row numbers in errors count the header as row 1, as a spreadsheet does."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise UserError(
            f"cannot read the certified-copies CSV {path}: {getattr(exc, 'strerror', None) or exc}"
        ) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"certified-copies CSV {path} is not UTF-8 (byte {exc.start})") from exc
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise UserError(f"certified-copies CSV {path} is empty; expected the header {','.join(COLUMNS)}")
    header = [h.strip() for h in header]
    if tuple(header) != COLUMNS:
        missing = [c for c in COLUMNS if c not in header]
        extra = [c for c in header if c not in COLUMNS]
        detail = (
            f"missing {', '.join(missing)}"
            if missing
            else f"unexpected {', '.join(extra)}"
            if extra
            else "wrong order"
        )
        raise UserError(f"certified-copies CSV row 1 (header): {detail}; expected {','.join(COLUMNS)}")
    rows: list[CertifiedRow] = []
    seen: set[str] = set()
    for lineno, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(COLUMNS):
            raise UserError(
                f"certified-copies CSV row {lineno}: {len(values)} columns, expected {len(COLUMNS)}"
            )
        name = printable(values[0]).strip()  # outside text: control characters removed (dvc766.text)
        if not name:
            raise UserError(f"certified-copies CSV row {lineno}, column unit_name: empty")
        if name in seen:
            raise UserError(f"certified-copies CSV row {lineno}, column unit_name: {name!r} appears twice")
        seen.add(name)
        nums = {c: _whole(v, lineno, c) for c, v in zip(COLUMNS[1:], values[1:], strict=True)}
        for col in ("deployed_prev", "deployed_curr"):
            if nums[col] > nums["total"]:
                raise UserError(
                    f"certified-copies CSV row {lineno}, column {col}: {nums[col]} is more than total {nums['total']}"
                )
        rows.append(CertifiedRow(name, **nums))
    if not rows:
        raise UserError(f"certified-copies CSV {path} has a header but no rows")
    return CertifiedCopies(path=path.resolve(), sha256=hashlib.sha256(raw).hexdigest(), rows=tuple(rows))
