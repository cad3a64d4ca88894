"""What the monthly appendix prints, as plain values: the rows of each table, the score line, the
history the chart draws, and the wording that depends on the period (``AppendixData``).

Why apart from the queries (:mod:`warehouse.report_data`): the three renderers (md, docx, xlsx) and the
dashboard take these types and the wording helpers, and never the DuckDB connection that fills them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from dvc766.periods import Period
from dvc766.provinces import MERGER_DATE
from warehouse.appendix_lines import LineSpec

DEFAULT_ISSUER = "Sở Nội vụ"  # the department that sends the appendix round, unless --issuer says otherwise
GROUP_SCORES = ("score_ckmb", "score_tdgq", "score_clgq", "score_tttt", "score_mdhl", "score_mdsh")


@dataclass(frozen=True)
class SummaryRow:
    """One row of section I; figures are None when not available."""

    spec: LineSpec
    prev_count: Decimal | None = None
    prev_total: Decimal | None = None
    prev_rate: Decimal | None = None
    curr_count: Decimal | None = None
    curr_total: Decimal | None = None
    curr_rate: Decimal | None = None
    change_count: Decimal | None = None
    change_rate: Decimal | None = None
    supplied: bool = False  # the office's figure (warehouse/office_figures.py), marked as such on the page


@dataclass(frozen=True)
class UnitRow:
    """One unit of sections II–IV (or the total row of II)."""

    unit_code: str
    unit_name: str
    prev: Decimal | None
    curr: Decimal | None
    change: Decimal | None
    part: str = ""  # "agency", "local" or "total", as rpt_unit_month_end_pairs splits the units


@dataclass(frozen=True)
class UnitTable:
    """A per-unit table: its heading, rows in the documented order, optional total row."""

    title: str
    rows: tuple[UnitRow, ...]
    decimals: int
    total: UnitRow | None = None


@dataclass(frozen=True)
class ProcedureRow:
    """One procedure of the optional drill-down section: its overdue dossiers in the month."""

    code: str
    name: str
    overdue: Decimal | None
    received: Decimal | None
    rate: Decimal | None


@dataclass(frozen=True)
class ScoreLine:
    """Total score and national rank at both month ends (the last line of section I)."""

    prev_score: Decimal | None
    prev_rank: int | None
    prev_size: int | None
    curr_score: Decimal | None
    curr_rank: int | None
    curr_size: int | None
    change_score: Decimal | None
    change_rank: int | None


@dataclass(frozen=True)
class ScorePoint:
    """One month end of the chart: the year-to-date total and group scores and rank seen at the end of
    ``month`` (None where that month end was not captured)."""

    month: Period
    total: Decimal | None
    groups: dict[str, Decimal | None]
    rank: int | None
    rank_size: int | None


@dataclass
class AppendixData:
    """All figures of one province's appendix for one month."""

    province_code: str
    province_name: str  # as the warehouse has it: "UBND tỉnh Thái Nguyên"
    month: Period
    current: Period  # ytd at the end of the month
    previous: Period  # ytd at the end of the month before
    summary: list[SummaryRow]
    score: ScoreLine
    overdue: UnitTable
    online_service: list[UnitTable]
    online_payment: list[UnitTable]
    score_history: list[ScorePoint]
    warehouse_path: Path
    captured_at: Any = None
    office: Any = None  # warehouse.office_figures.OfficeFigures, attached by the CLI (None: not given)
    notes: list[str] = field(default_factory=list)
    # The day a month end's figures were seen on, when no capture was taken on the month's last day
    # (a late snapshot, e.g. 2/10 for 30/9): the appendix then names that day instead of the month end.
    current_seen: date | None = None
    previous_seen: date | None = None
    # The drill-down (``dvc766 drilldown``): procedures with most overdue dossiers in the month;
    # empty when no drill-down was run for it, and the section is then left out.
    procedures: tuple[ProcedureRow, ...] = ()
    # The letter the appendix goes with ("Kèm theo Công văn số …"): the CLI's --letter-number,
    # --letter-date and --issuer; left as dotted blanks to fill by hand when not given.
    letter_number: str | None = None
    letter_date: date | None = None
    issuer: str = DEFAULT_ISSUER

    @property
    def province_title(self) -> str:
        """``TỈNH THÁI NGUYÊN`` for the document title (the "UBND" prefix dropped, upper case)."""
        return province_label(self.province_name).upper()

    @property
    def issuing_office(self) -> str:
        """``Sở Nội vụ tỉnh Thái Nguyên``: the issuer with its province, the files' author."""
        return f"{self.issuer} {province_label(self.province_name)}"

    @property
    def chart_points(self) -> list[ScorePoint]:
        """The month ends the chart shows: ``score_history`` from its first captured point on, so the
        axis spans only what was seen (all of it, empty, when nothing was)."""
        points = list(self.score_history)
        while len(points) > 1 and points[0].total is None:
            points.pop(0)
        return points

    @property
    def prev_date(self) -> str:
        return vn_day(self.previous_seen) if self.previous_seen else vn_date(self.previous)

    @property
    def curr_date(self) -> str:
        return vn_day(self.current_seen) if self.current_seen else vn_date(self.current)

    @property
    def certified(self) -> Any:
        """Section V's rows from the office's figures, or None when the office gave none."""
        return self.office if self.office is not None and self.office.certified else None

    def late_notes(self) -> list[str]:
        """One line per month end whose figures come from a capture taken after it (never silently)."""
        out = []
        for period, seen in ((self.previous, self.previous_seen), (self.current, self.current_seen)):
            if seen is not None:
                out.append(
                    f"Số liệu ngày {vn_date(period)} không được thu thập đúng ngày cuối tháng; "
                    f"số liệu lấy ngày {seen.day:02d}/{seen.month:02d}/{seen.year}."
                )
        return out


def before_reform(month: Period) -> bool:
    """Whether ``month`` ends before 1/7/2025, when the district level of local government ended."""
    return month.end < date.fromisoformat(MERGER_DATE)


def local_level(month: Period) -> tuple[str, str]:
    """How the appendix names the local People's Committees in ``month``: (level, table heading).

    Until June 2025 the reference's "UBND cấp huyện" and "UBND các huyện, thành phố"; from July 2025, when
    districts ended, "UBND cấp xã" and "UBND các xã, phường"."""
    if before_reform(month):
        return "UBND CẤP HUYỆN", "BIỂU TỔNG HỢP CỦA UBND CÁC HUYỆN, THÀNH PHỐ"
    return "UBND CẤP XÃ", "BIỂU TỔNG HỢP CỦA UBND CÁC XÃ, PHƯỜNG"


_PROVINCE_SUFFIX_RE = re.compile(r"\s+[-–]\s+(tỉnh|thành phố|tp\.?)\s+[^-–]+$", flags=re.I)


def unit_display_name(unit_name: str) -> str:
    """A unit as the province writes it in its own appendix: the portal's " - tỉnh Thái Nguyên" dropped
    (``Sở Tư pháp - tỉnh Thái Nguyên`` → ``Sở Tư pháp``); the warehouse keeps the portal's name."""
    return _PROVINCE_SUFFIX_RE.sub("", unit_name.strip())


def province_label(unit_name: str) -> str:
    """``UBND tỉnh Thái Nguyên`` → ``tỉnh Thái Nguyên``; ``UBND Thành phố Hà Nội`` → ``thành phố Hà Nội``."""
    name = re.sub(r"^\s*(UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+", "", unit_name.strip(), flags=re.I)
    m = re.match(r"^(tỉnh|thành phố)\s+(.*)$", name, flags=re.I)
    if m:
        return f"{m[1].lower()} {m[2]}"
    return f"tỉnh {name}"


def vn_date(period: Period) -> str:
    """The month-end date the way the appendix writes it: ``30/9/2023``."""
    return vn_day(period.end)


def vn_day(day: date) -> str:
    return f"{day.day}/{day.month}/{day.year}"
