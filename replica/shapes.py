"""The portal's body shapes, filled from the generated counts.

Why a module of its own: the shapes are where faithfulness lives (field names, their order, nulls,
the naming switch between a tree's parent and its children, absent ``departmentCode`` on two Shape A
endpoints, all-string legacy rows), while ``generator`` owns only numbers. Each function returns the
``data`` object (v1) or the row list (legacy) as plain Python values; the server serialises them.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import numpy as np

from replica.catalogue import _hash_int, catalogue
from replica.generator import COL, Dataset, Figures, coverage, era_of, month_start, period_months
from replica.scoring import (
    digitized_metrics,
    group_scores,
    group_total,
    online_score,
    payment_score,
    progress_score,
    r2,
    ratio,
    satisfaction_metrics,
    total_score,
    transparency_metrics,
)
from replica.units import ProvinceTree, Unit

GROUP_ENDPOINTS = (
    "evaluation/transparency",
    "evaluation/handling-satisfaction",
    "evaluation/dossier-digitized",
    "evaluation/dvc-progress-tree",
    "evaluation/provide-online-tree",
    "evaluation/formality-online-payment-tree",
)
SHAPE_A = GROUP_ENDPOINTS[:3]
TREES = GROUP_ENDPOINTS[3:]
SOURCES = {
    "evaluation/transparency": "reporting_766_transparency_* and reporting_dvc_calendar Mongo collections",
    "evaluation/handling-satisfaction": "reporting_766_satisfaction_petition_months, reporting_766_satisfaction_dossier_periods",
    "evaluation/dossier-digitized": "reporting_digitized_dossiers_daily Mongo collection",
}
GROUP_OF = {
    "evaluation/transparency": "CKMB",
    "evaluation/handling-satisfaction": "MDHL",
    "evaluation/dossier-digitized": "MDSH",
    "evaluation/dvc-progress-tree": "TDGQ",
    "evaluation/provide-online-tree": "CLGQ",
    "evaluation/formality-online-payment-tree": "TTTT",
}
RADAR = (
    ("CKMB", "Công khai, minh bạch", 18),
    ("TDGQ", "Tiến độ giải quyết", 20),
    ("ONLINE_SERVICE", "Dịch vụ trực tuyến", 22),
    ("MDHL", "Mức độ hài lòng", 18),
    ("MDSH", "Số hóa hồ sơ", 22),
)
NATIONAL_NAME = "Cả nước"


@dataclass(frozen=True)
class PeriodRequest:
    """A period as a request names it: ``month``/``quarter``/``half``/``year`` and its number."""

    period_type: str
    year: int
    number: int = 0
    last: int = 0  # the last month of a ``range`` (handling-satisfaction's fromDate/toDate)
    era: str | None = None  # whose units answer: None = the era of the last month (see unit_era)
    procedure: str | None = None  # a formalityId filter: the figures of that one procedure

    @property
    def unit_era(self) -> str:
        """The v1 API always answers in the 34-province structure it was built on; the legacy gateway
        answers in the structure of the period (63 provinces with districts before July 2025)."""
        return self.era or era_of(self.months)

    @property
    def months(self) -> list[tuple[int, int]]:
        if self.period_type == "range":
            return [(self.year, m) for m in range(self.number, self.last + 1)]
        return period_months(self.period_type, self.year, self.number)

    def previous(self) -> PeriodRequest:
        """The period before, of the same type (for scoreDelta and growthPercent)."""
        if self.period_type == "range":
            return PeriodRequest("range", self.year - 1, self.number, self.last, self.era, self.procedure)
        if self.period_type == "year":
            return PeriodRequest("year", self.year - 1, era=self.era, procedure=self.procedure)
        per_year = {"month": 12, "quarter": 4, "half": 2}[self.period_type]
        if self.number > 1:
            return PeriodRequest(
                self.period_type, self.year, self.number - 1, era=self.era, procedure=self.procedure
            )
        return PeriodRequest(
            self.period_type, self.year - 1, per_year, era=self.era, procedure=self.procedure
        )

    def baseline(self, now: datetime) -> tuple[PeriodRequest, datetime]:
        """What the period's ``scoreDelta`` and ``growthPercent`` compare it with, as (period, clock).

        The previous period of the same type, as it stands now — except for a year still running
        (the year to date): its "previous" figure is the same year as the portal showed it a month
        earlier (at the same hour; a month's last day maps to the previous month's last day), so the
        change is the month's, the one the month-end appendix shows between its two snapshots — not
        the year so far against the whole of last year (49,91 points where the month moved -0,12)."""
        if self.period_type == "year" and month_start(self.year, 1) <= now < month_start(self.year + 1, 1):
            return self, month_earlier(now)
        return self.previous(), now

    @classmethod
    def from_dates(cls, from_date: str, to_date: str) -> PeriodRequest:
        """handling-satisfaction's fromDate/toDate: whole months of one year (a month, a quarter, the
        year, or a year-to-date range such as 2026-01-01..2026-10-31)."""
        try:
            start, end = date.fromisoformat(from_date), date.fromisoformat(to_date)
        except ValueError:
            raise ValueError(f"fromDate/toDate {from_date}..{to_date} are not YYYY-MM-DD dates") from None
        whole = start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1]
        if not whole or start.year != end.year or start > end:
            raise ValueError(
                f"fromDate/toDate {from_date}..{to_date} is not a run of whole months in one year"
            )
        n = end.month - start.month + 1
        if n == 1:
            return cls("month", start.year, start.month)
        if n == 3 and start.month % 3 == 1:
            return cls("quarter", start.year, (start.month + 2) // 3)
        if n == 12:
            return cls("year", start.year)
        return cls("range", start.year, start.month, end.month)


def month_earlier(now: datetime) -> datetime:
    """The same moment a month before ``now``: 15/10 10:00 → 15/9 10:00, 31/10 23:00 → 30/9 23:00,
    31/3 → 28/2 (a last day stays a last day)."""
    y, m = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    days = calendar.monthrange(y, m)[1]
    last = now.day == calendar.monthrange(now.year, now.month)[1]
    return now.replace(year=y, month=m, day=days if last else min(now.day, days))


def _level(u: Unit) -> str:
    return "PROVINCE" if u.kind in ("agency", "province") else "COMMUNE"


def _figures(ds: Dataset, request: PeriodRequest, tree: ProvinceTree, now: datetime) -> Figures | None:
    cover = coverage(request.period_type, request.months, now)
    if not cover:
        return None
    figs = ds.figures(tree, cover)
    return procedure_figures(ds.seed, figs, request.procedure) if request.procedure else figs


@lru_cache(maxsize=4)
def _procedure_weights(seed: int) -> tuple[dict[str, float], float]:
    """Each applied procedure's weight (skewed: a few procedures carry most dossiers) and their sum."""
    weights = {}
    for i, item in enumerate(catalogue(seed)):
        if item["appliedDepartmentIds"]:
            weights[item["id"]] = 1.0 / (1 + _hash_int(seed, "volume", i) % 997) ** 1.2
    return weights, sum(weights.values())


def procedure_figures(seed: int, figs: Figures, procedure: str) -> Figures:
    """One procedure's share of a province's counts: every unit's counts scaled by the procedure's
    weight (times a per-unit factor ≤ 1) and rounded down, so the counts of all a unit's procedures
    add up to no more than the unit's own, and parts stay below their wholes. An unknown or
    not-applied procedure has no dossiers (zeros, as the portal answers)."""
    weights, total = _procedure_weights(seed)
    share = weights.get(procedure, 0.0) / total if total else 0.0
    n = figs.matrix.shape[0]
    per_unit = np.array([0.5 + (_hash_int(seed, procedure, k) % 1000) / 2000 for k in range(n)])
    scaled = np.floor(figs.matrix * (share * per_unit)[:, None]).astype(np.int64)
    if _hash_int(seed, procedure, "paper") % 3 == 0:
        # a third of the procedures take their fees at the counter only: none paid online
        scaled[:, [COL["pay_ok"], COL["fee_online_f"]]] = 0
    return Figures(figs.tree, scaled, figs.months)


def _chart_months(ds: Dataset, request: PeriodRequest, tree: ProvinceTree, now: datetime):
    """(month, figures or None) for the 12 months of the request's year; None outside the period."""
    inside = set(request.months)
    cover = {(y, m): (y, m, a, b) for y, m, a, b in coverage(request.period_type, request.months, now)}
    for m in range(1, 13):
        key = (request.year, m)
        figs = ds.figures(tree, [cover[key]]) if key in inside and key in cover else None
        if figs is not None and request.procedure:
            figs = procedure_figures(ds.seed, figs, request.procedure)
        yield m, figs


def _unit_fields(u: Unit | None, *, code: bool = True) -> dict:
    if u is None:
        out = {"departmentId": None, "departmentName": NATIONAL_NAME}
        if code:
            out["departmentCode"] = None
        return out
    out = {"departmentId": u.department_id, "departmentName": u.name}
    if code:
        out["departmentCode"] = u.code
    return out


# --- Shape A ------------------------------------------------------------------------------------


def _shape_a_row(endpoint: str, u: Unit | None, c: list[int] | None, stt: int, overview: bool,
                 *, formality: bool = False, delta: float | None = None) -> dict:  # fmt: skip
    group_max = {"evaluation/transparency": 18, "evaluation/handling-satisfaction": 18,
                 "evaluation/dossier-digitized": 22}[endpoint]  # fmt: skip
    if c is None:
        metrics: list[dict] = []
        total = rat = None
    elif endpoint == "evaluation/transparency":
        metrics = transparency_metrics(c)
    elif endpoint == "evaluation/handling-satisfaction":
        metrics = satisfaction_metrics(c)
    else:
        metrics = digitized_metrics(c, with_formality=not formality)
    if c is not None:
        total = group_total(metrics)
        rat = r2(100.0 * total / group_max)
    row: dict = {"stt": stt}
    row.update(_unit_fields(u, code=endpoint == "evaluation/dossier-digitized"))
    national_row = u is not None and u.kind == "province" and not overview
    if u is None:  # the national overview ("Cả nước") has no type, level or ID
        kind = level = agency = None
    elif u.kind == "province":
        kind, level, agency = "PROVINCE", "PROVINCE", "level_1"
    elif u.kind == "agency":
        kind, level, agency = "PROVINCIAL_DEPARTMENT", "PROVINCE", "level_2"
    else:
        kind, level, agency = "COMMUNE_PEOPLE_COMMITTEE", "COMMUNE", "level_2"
    row.update({"departmentType": kind, "departmentLevel": level, "agencyLevel": agency, "totalScore": total,
                "totalMaxScore": group_max, "ratio": rat})  # fmt: skip
    score_delta = delta if national_row else None
    if endpoint == "evaluation/dossier-digitized":
        row["metrics"] = metrics
        row["scoreDelta"] = score_delta
    else:
        row["scoreDelta"] = score_delta
        row["metrics"] = metrics
    if endpoint == "evaluation/handling-satisfaction":
        pet = c[COL["pet_total"]] if c is not None else None
        row["totalPetitions"] = pet
        row["classifiedPetitions"] = pet
        row["totalDossiers"] = c[COL["received"]] if c is not None else None
        row["averageScore"] = None
    return row


def shape_a(ds: Dataset, endpoint: str, request: PeriodRequest, tree: ProvinceTree | None, now: datetime,
            *, page: int = 1, page_size: int = 10, formality: bool = False) -> dict:  # fmt: skip
    """transparency / handling-satisfaction / dossier-digitized: overview, evaluation, pagination."""
    rows: list[dict] = []
    overview: dict | None
    if tree is None:
        deltas = _province_deltas(ds, request, now, GROUP_OF[endpoint])
        sums: list[int] | None = None
        for tr in ds.provinces(request.unit_era):
            figs = _figures(ds, request, tr, now)
            if figs is None:
                rows = []
                break
            sums = (
                list(figs.parent) if sums is None else [a + b for a, b in zip(sums, figs.parent, strict=True)]
            )
            rows.append(_shape_a_row(endpoint, tr.unit, figs.parent, 0, False, formality=formality,
                                     delta=deltas.get(tr.unit.code)))  # fmt: skip
        overview = _shape_a_row(endpoint, None, sums if rows else None, 1, True, formality=formality)
    else:
        figs = _figures(ds, request, tree, now)
        overview = _shape_a_row(
            endpoint, tree.unit, figs.parent if figs else None, 1, True, formality=formality
        )
        if figs is not None:
            rows = [_shape_a_row(endpoint, u, c, 0, False, formality=formality)
                    for u, c in zip(tree.children, figs.children, strict=True)]  # fmt: skip
    for i, row in enumerate(rows, start=1):
        row["stt"] = i
    page, page_size = max(1, page), max(1, page_size)
    body: dict = {"overview": overview}
    if endpoint == "evaluation/transparency":
        if overview is not None:
            scores = [r["totalScore"] for r in rows]
            overview["averageScore"] = r2(sum(scores) / len(scores)) if scores else None
        body["monthlyChart"] = []
    body["evaluation"] = rows[(page - 1) * page_size : page * page_size]
    body["pagination"] = {"total": len(rows), "currentPage": page, "pageSize": page_size,
                          "totalPages": math.ceil(len(rows) / page_size)}  # fmt: skip
    body["source"] = SOURCES[endpoint]
    return body


# --- Shape B (trees) ------------------------------------------------------------------------------


def _progress(u: Unit | None, c: list[int] | None, parent: bool) -> dict:
    row = _unit_fields(u)
    keys = ("totalReceived", "totalOnTime", "totalCompleted" if parent else "totalOverdue")
    if c is None:
        row.update(dict.fromkeys(keys))
        row.update({"avgProcessingDays": None, "ratio": None})
        row.update({"totalScore": None, "totalMaxScore": 20} if parent else {"score": None, "maxScore": 20})
        return row
    rat, score, avg = progress_score(c)
    row["totalReceived"], row["totalOnTime"] = c[COL["received"]], c[COL["on_time"]]
    if parent:
        row["totalCompleted"] = c[COL["completed"]]
        row.update({"avgProcessingDays": avg, "ratio": rat, "totalScore": score, "totalMaxScore": 20})
    else:
        row["level"] = _level(u) if u else "PROVINCE"
        row = {k: row[k] for k in ("departmentId", "departmentName", "departmentCode", "level", "totalReceived",
                                   "totalOnTime")}  # fmt: skip
        row["totalOverdue"] = c[COL["overdue"]]
        row.update(
            {"avgProcessingDays": avg, "ratio": rat, "score": score, "maxScore": 20, "scoreDelta": None}
        )
    return row


ONLINE_PARENT = (
    ("authorityCount", "authority"), ("partialCount", "partial"), ("fullCount", "full"),
    ("onlineDossierCount", "os_with"), ("onlineServiceTotal", "os_total"), ("channelOnlineSum", "ch_online"),
    ("channelDirectSum", "ch_direct"), ("channelPostalSum", "ch_postal"), ("channelTotalSum", "ch_total"),
    ("onlineOnTimeSum", "online_on_time"), ("onlineOverdueSum", "online_overdue"),
)  # fmt: skip
PAYMENT_FIELDS = (
    ("totalDossierOnlinePaymentSuccess", "pay_ok"), ("totalDossierFinancialObligation", "pay_oblig"),
    ("totalDossierOnlineFormalityPaymentSuccess", "fee_online_f"),
    ("totalFeeDossierFormalityDistinct", "fee_distinct_f"), ("totalFeeDossierFormality", "fee_dossier_f"),
    ("totalFeeFormality", "fee_f"),
)  # fmt: skip


def _online(u: Unit | None, c: list[int] | None, parent: bool) -> dict:
    row = _unit_fields(u)
    if not parent:
        row["level"] = _level(u) if u else "PROVINCE"
    score = online_score(c) if c is not None else None
    row.update(
        {"totalScore": score, "totalMaxScore": 12, "ratio": r2(score / 12 * 100) if c is not None else None}
    )
    if parent:
        for key, col in ONLINE_PARENT:
            row[key] = c[COL[col]] if c is not None else None
    else:
        row["scoreDelta"] = None
    return row


def _payment(u: Unit | None, c: list[int] | None, parent: bool) -> dict:
    row = _unit_fields(u)
    score = payment_score(c) if c is not None else None
    rat = r2(score * 10) if score is not None else None
    if parent:
        row.update({"totalMaxScore": 10, "totalScore": score})
        for key, col in PAYMENT_FIELDS:
            row[key] = c[COL[col]] if c is not None else None
        row["ratio"] = rat
    else:
        row.update(
            {"level": _level(u) if u else "PROVINCE", "totalMaxScore": 10, "ratio": rat, "totalScore": score}
        )
        for key, col in PAYMENT_FIELDS:
            row[key] = c[COL[col]] if c is not None else None
        row["scoreDelta"] = None
    return row


ROW_BUILDERS = {
    "evaluation/dvc-progress-tree": _progress,
    "evaluation/provide-online-tree": _online,
    "evaluation/formality-online-payment-tree": _payment,
}


def tree_body(ds: Dataset, endpoint: str, request: PeriodRequest, tree: ProvinceTree | None,
              now: datetime) -> dict:  # fmt: skip
    """The three ``*-tree`` endpoints: parent, every child (pageSize is ignored), and a chart."""
    build = ROW_BUILDERS[endpoint]
    if tree is None:
        trees = ds.provinces(request.unit_era)
        figs_all = [_figures(ds, request, tr, now) for tr in trees]
        if any(f is None for f in figs_all):
            parent, children = build(None, None, True), []
        else:
            sums = [sum(col) for col in zip(*(f.parent for f in figs_all), strict=True)]  # type: ignore[union-attr]
            parent = build(None, sums, True)
            children = [build(tr.unit, f.parent, False) for tr, f in zip(trees, figs_all, strict=True)]  # type: ignore[union-attr]
            for ch in children:
                ch["level"] = "PROVINCE"
        return {"parent": parent, "children": children}
    figs = _figures(ds, request, tree, now)
    if figs is None:
        parent, children = build(tree.unit, None, True), []
    else:
        parent = build(tree.unit, figs.parent, True)
        children = [build(u, c, False) for u, c in zip(tree.children, figs.children, strict=True)]
    body = {"parent": parent, "children": children}
    if endpoint == "evaluation/dvc-progress-tree":
        chart = []
        for m, f in _chart_months(ds, request, tree, now):
            rec = f.parent[COL["received"]] if f else 0
            on = f.parent[COL["on_time"]] if f else 0
            chart.append({"month": f"{m:02d}", "onTimePct": ratio(on, rec) if rec else 0,
                          "overduePct": ratio(rec - on, rec) if rec else 0})  # fmt: skip
        body["monthlyChart"] = chart
    elif endpoint == "evaluation/provide-online-tree":
        chart = []
        for m, f in _chart_months(ds, request, tree, now):
            tot = f.parent[COL["os_total"]] if f else 0
            pct = ratio(f.parent[COL["os_with"]], tot) if f and tot else 0
            chart.append({"label": f"{m:02d}", "onlineDossierPct": pct})
        body["monthlyChart"] = chart
    return body


def v1_body(ds: Dataset, endpoint: str, request: PeriodRequest, tree: ProvinceTree | None, now: datetime,
            *, page: int = 1, page_size: int = 10, formality: bool = False) -> dict:  # fmt: skip
    """The ``data`` object of one of the six group endpoints."""
    if endpoint in SHAPE_A:
        return shape_a(ds, endpoint, request, tree, now, page=page, page_size=page_size, formality=formality)
    return tree_body(ds, endpoint, request, tree, now)


# --- national mode: every province's group scores ------------------------------------------------


def _province_groups(ds: Dataset, request: PeriodRequest, now: datetime) -> dict[str, dict[str, float]]:
    out = {}
    for tr in ds.provinces(request.unit_era):
        figs = _figures(ds, request, tr, now)
        if figs is not None:
            out[tr.unit.code] = group_scores(figs.parent)
    return out


def _province_deltas(
    ds: Dataset, request: PeriodRequest, now: datetime, group: str | None
) -> dict[str, float]:
    """Change of each province's total (or one group) against the previous period of the same type."""
    cur = _province_groups(ds, request, now)
    prev = _province_groups(ds, *request.baseline(now))
    out = {}
    for code, g in cur.items():
        if code in prev:
            a = g[group] if group else total_score(g)
            b = prev[code][group] if group else total_score(prev[code])
            out[code] = r2(a - b)
    return out
