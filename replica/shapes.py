"""The portal's body shapes, filled from the generated counts.

Why a module of its own: the shapes are where faithfulness lives (field names, their order, nulls,
the naming switch between a tree's parent and its children, absent ``departmentCode`` on two Shape A
endpoints, all-string legacy rows), while ``generator`` owns only numbers. Each function returns the
``data`` object (v1) or the row list (legacy) as plain Python values; the server serialises them.
"""

from __future__ import annotations

import calendar
import hashlib
import math
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import numpy as np

from replica.generator import (
    COL,
    GROUPS,
    Dataset,
    Figures,
    ProvinceTree,
    Unit,
    coverage,
    digitized_metrics,
    era_of,
    group_scores,
    group_total,
    month_share,
    online_score,
    payment_score,
    period_months,
    progress_score,
    r2,
    ratio,
    satisfaction_metrics,
    total_score,
    transparency_metrics,
)

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


# --- service-results ------------------------------------------------------------------------------


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
    prev = _province_groups(ds, request.previous(), now)
    out = {}
    for code, g in cur.items():
        if code in prev:
            a = g[group] if group else total_score(g)
            b = prev[code][group] if group else total_score(prev[code])
            out[code] = r2(a - b)
    return out


def _donuts(c: list[int], with_provision: bool) -> dict:
    online, other = c[COL["ch_online"]], c[COL["ch_direct"]] + c[COL["ch_postal"]]
    dossier = [
        {
            "code": "ONLINE",
            "name": "Trực tuyến",
            "value": online,
            "percent": ratio(online, online + other) or 0,
        },
        {
            "code": "OTHER",
            "name": "Trực tiếp, bưu chính",
            "value": other,
            "percent": ratio(other, online + other) or 0,
        },
    ]
    provision = None
    if with_provision:
        full, partial = c[COL["full"]], c[COL["partial"]]
        none = c[COL["authority"]] - full - partial
        tot = c[COL["authority"]]
        provision = [
            {"code": "FULL", "name": "Toàn trình", "value": full, "percent": ratio(full, tot) or 0},
            {"code": "PARTIAL", "name": "Một phần", "value": partial, "percent": ratio(partial, tot) or 0},
            {"code": "NONE", "name": "Chưa cung cấp", "value": none, "percent": ratio(none, tot) or 0},
        ]
    return {"onlineDossier": dossier, "onlineProvision": provision}


def _radar(groups: dict[str, float] | None) -> list[dict]:
    out = []
    for code, name, mx in RADAR:
        if groups is None:
            score = None
        else:
            score = r2(groups["CLGQ"] + groups["TTTT"]) if code == "ONLINE_SERVICE" else groups[code]
        out.append({"code": code, "name": name, "score": score, "maxScore": mx,
                    "ratio": r2(100.0 * score / mx) if score is not None else None})  # fmt: skip
    return out


def _mean(values: list[float]) -> float | int | None:
    return r2(sum(values) / len(values)) if values else None


def service_results(ds: Dataset, request: PeriodRequest, tree: ProvinceTree | None, now: datetime) -> dict:
    """The summary endpoint: overview, radar, donuts, ranking or children, monthly charts."""
    era = request.unit_era
    year_months = [(request.year, m) for m in range(1, 13)]
    # a year view's dossier chart covers the whole year; a month's or a quarter's only its months
    asked = set(year_months) if request.period_type == "year" else set(request.months)
    if tree is None:
        groups = _province_groups(ds, request, now)
        prev = _province_groups(ds, request.previous(), now)
        totals = {code: total_score(g) for code, g in groups.items()}
        total = _mean(list(totals.values()))
        prev_total = _mean([total_score(g) for g in prev.values()])
        mean_groups = {g: _mean([v[g] for v in groups.values()]) for g in GROUPS} if groups else None
        counts = None
        if groups:
            sums = None
            for tr in ds.provinces(era):
                f = _figures(ds, request, tr, now)
                sums = (
                    list(f.parent) if sums is None else [a + b for a, b in zip(sums, f.parent, strict=True)]
                )  # type: ignore[union-attr]
            counts = sums
        evaluation = []
        for tr in ds.provinces(era):
            if tr.unit.code not in groups:
                continue
            g = groups[tr.unit.code]
            delta = (
                r2(totals[tr.unit.code] - total_score(prev[tr.unit.code])) if tr.unit.code in prev else None
            )
            evaluation.append({**_unit_fields(tr.unit), "totalScore": totals[tr.unit.code],
                               "ratio": totals[tr.unit.code], "scoreDelta": delta, "groupScores": g})  # fmt: skip
        overview = {"departmentName": NATIONAL_NAME, "departmentCode": None}
        monthly = []
        dossier_chart = []
        for y, m in year_months:
            share = month_share(y, m, now)
            if share is None:
                monthly.append({"month": f"{m:02d}", "averageScore": None})
                dossier_chart.append({"month": f"{m:02d}", "onTimePct": None, "overduePct": None})
                continue
            month_figs = [ds.figures(tr, [(y, m, *share)]) for tr in ds.provinces(era)]
            if (y, m) not in asked:  # the dossier chart reports the period asked for only
                monthly.append({"month": f"{m:02d}",
                                "averageScore": _mean([total_score(group_scores(f.parent)) for f in month_figs])})  # fmt: skip
                dossier_chart.append({"month": f"{m:02d}", "onTimePct": None, "overduePct": None})
                continue
            monthly.append({"month": f"{m:02d}",
                            "averageScore": _mean([total_score(group_scores(f.parent)) for f in month_figs])})  # fmt: skip
            rec = sum(f.parent[COL["received"]] for f in month_figs)
            on = sum(f.parent[COL["on_time"]] for f in month_figs)
            dossier_chart.append(
                {"month": f"{m:02d}", "onTimePct": ratio(on, rec), "overduePct": ratio(rec - on, rec)}
            )
    else:
        figs = _figures(ds, request, tree, now)
        groups_one = group_scores(figs.parent) if figs else None
        mean_groups = groups_one
        total = total_score(groups_one) if groups_one else None
        prev_figs = (
            _figures(ds, request.previous(), tree, now) if request.previous().unit_era == era else None
        )
        prev_total = total_score(group_scores(prev_figs.parent)) if prev_figs else None
        counts = figs.parent if figs else None
        evaluation = []
        if figs is not None:
            for u, c in zip(tree.children, figs.children, strict=True):
                t = total_score(group_scores(c))
                evaluation.append({**_unit_fields(u), "totalScore": t, "ratio": t, "scoreDelta": None,
                                   "childGroup": "AGENCY" if u.kind == "agency" else "COMMUNE"})  # fmt: skip
            evaluation.sort(key=lambda r: (-r["totalScore"], r["departmentCode"]))
        overview = {"departmentName": tree.unit.name, "departmentCode": tree.unit.code}
        monthly = []
        dossier_chart = []
        for y, m in year_months:
            share = month_share(y, m, now)
            if share is None:
                monthly.append({"month": f"{m:02d}", "averageScore": None})
                dossier_chart.append({"month": f"{m:02d}", "onTimePct": None, "overduePct": None})
                continue
            f = ds.figures(tree, [(y, m, *share)])
            monthly.append({"month": f"{m:02d}", "averageScore": total_score(group_scores(f.parent))})
            if (y, m) not in asked:  # the dossier chart reports the period asked for only
                dossier_chart.append({"month": f"{m:02d}", "onTimePct": None, "overduePct": None})
                continue
            rec, on = f.parent[COL["received"]], f.parent[COL["on_time"]]
            dossier_chart.append(
                {"month": f"{m:02d}", "onTimePct": ratio(on, rec), "overduePct": ratio(rec - on, rec)}
            )
    if tree is None:
        evaluation.sort(key=lambda r: (-r["totalScore"], r["departmentCode"]))
    overview.update({"totalScore": total, "totalMaxScore": 100, "ratio": total})
    growth = r2(100.0 * (total - prev_total) / prev_total) if total is not None and prev_total else None
    donuts = _donuts(counts, request.period_type != "month") if counts is not None else {
        "onlineDossier": [], "onlineProvision": None}  # fmt: skip
    return {"overview": overview, "growthPercent": growth, "radar": _radar(mean_groups), "donuts": donuts,
            "evaluation": evaluation, "monthlyChart": monthly, "dossierChart": dossier_chart}  # fmt: skip


# --- legacy -------------------------------------------------------------------------------------


def fmt(value: float | int) -> str:
    """A legacy decimal string: ``"19.05"``, ``"10"`` (integers without a decimal point)."""
    v = r2(value)
    return str(v)


def _legacy_row(u: Unit, groups: dict[str, float], loai: str, cap: str) -> dict[str, str]:
    code = "000.00.00.H37" if u.code == "H37" else u.code  # the portal's one unnormalised code
    row = {"ID": u.legacy_id, "TEN": u.name, "TEN_COQUAN": u.name, "MA_COQUAN": code, "LOAI_COQUAN": loai,
           "CAPDONVIID": cap, "ID_COQUAN": u.legacy_id}  # fmt: skip
    for g in ("TDGQ", "MDHL", "MDSH", "TTTT", "CLGQ", "CKMB"):
        row[g] = fmt(groups[g])
    row["TONG_SCORE"] = fmt(total_score(groups))
    return row


def legacy_ranking(ds: Dataset, request: PeriodRequest, tree: ProvinceTree | None, now: datetime,
                   *, page_index: int = 1, page_size: int = 1000) -> list[dict[str, str]]:  # fmt: skip
    """report_tinh_766_service: provinces nationally, or a province's agencies then communes."""
    rows: list[tuple[float, str, dict[str, str], int]] = []
    if tree is None:
        for tr in ds.provinces(request.unit_era):
            figs = _figures(ds, request, tr, now)
            if figs is None:
                return []
            g = group_scores(figs.parent)
            rows.append((total_score(g), tr.unit.code, _legacy_row(tr.unit, g, "1", "1"), 0))
    else:
        figs = _figures(ds, request, tree, now)
        if figs is None:
            return []
        for u, c in zip(tree.children, figs.children, strict=True):
            g = group_scores(c)
            agency = u.kind == "agency"
            rows.append((total_score(g), u.code, _legacy_row(u, g, "2" if agency else "3", "1" if agency else "2"),
                         0 if agency else 1))  # fmt: skip
    ranked = sorted(rows, key=lambda r: (-r[0], r[1]))
    for rank, r in enumerate(ranked, start=1):
        r[2]["ROW_STT"] = str(rank)
    ordered = sorted(ranked, key=lambda r: (r[3], int(r[2]["ROW_STT"])))
    page_index, page_size = max(1, page_index), max(1, page_size)
    return [r[2] for r in ordered][(page_index - 1) * page_size : page_index * page_size]


def legacy_month_sum(ds: Dataset, request: PeriodRequest, tree: ProvinceTree | None, now: datetime,
                     unit_legacy_id: str | None = None) -> list[dict[str, str]]:  # fmt: skip
    """report_by_month_sum_service: one row of counters for a province (or one of its units)."""
    trees = [tree] if tree is not None else list(ds.provinces(request.unit_era))
    sums: list[int] | None = None
    for tr in trees:
        figs = _figures(ds, request, tr, now)
        if figs is None:
            return []
        row = figs.parent
        if unit_legacy_id and tree is not None:
            for u, c in zip(tr.children, figs.children, strict=True):
                if u.legacy_id == unit_legacy_id:
                    row = c
        sums = list(row) if sums is None else [a + b for a, b in zip(sums, row, strict=True)]
    c = sums or []

    def n(col: str) -> int:
        return c[COL[col]]

    national_pay = n("pay_ok") * 3 // 5
    out: dict[str, str] = {
        "HS_TOTAL": str(n("received")), "DB_TOTAL": str(n("sync_num")), "TNTK_TOTAL": str(n("received")),
        "TNKTCS_TOTAL": str(n("received") - n("completed")), "GDTT_TOTAL": str(n("pay_ok")),
        "NTTQG_TOTAL": str(n("pet_total")),
    }  # fmt: skip
    pairs = {
        "HTN_TRUCTIEP": (n("ch_direct"), n("ch_total")), "HTN_BUUCHINH": (n("ch_postal"), n("ch_total")),
        "HTN_TRUCTUYEN": (n("ch_online"), n("ch_total")), "HTN_TRUCTUYEN_KHONGCHUAN": (0, n("ch_total")),
        "HTDH": (n("on_time"), n("completed")), "HTQH": (n("completed") - n("on_time"), n("completed")),
        "DXLTH": (n("on_time"), n("received")), "DXLQH": (n("overdue"), n("received")),
        "GDTTQG": (national_pay, n("pay_ok")), "NTTDXLTH": (n("pet_on_time"), n("pet_total")),
        "NTTDXLQH": (n("pet_total") - n("pet_on_time"), n("pet_total")),
    }  # fmt: skip
    for key, (num, den) in pairs.items():
        out[key] = fmt(ratio(num, den) or 0)
        out[f"{key}_TOTAL"] = str(num)
    out["GDTTDP"] = fmt(ratio(n("pay_ok") - national_pay, n("pay_ok")) or 0)
    out["TILE"] = fmt(ratio(n("on_time"), n("received")) or 0)
    out["TILE_DB"] = fmt(ratio(n("sync_num"), n("sync_den")) or 0)
    return [out]


# --- formalities ----------------------------------------------------------------------------------

CATALOGUE_SIZE = 5741  # the real catalogue's size in 2026 (its page 575 at pageSize 10 is a real body)
ACTIONS = ("Cấp", "Cấp lại", "Điều chỉnh", "Gia hạn", "Thu hồi", "Đăng ký", "Thẩm định", "Công nhận", "Xác nhận",
           "Phê duyệt", "Chấp thuận", "Thông báo")  # fmt: skip
OBJECTS = ("giấy phép kinh doanh", "giấy chứng nhận đủ điều kiện", "chứng chỉ hành nghề", "giấy phép xây dựng",
           "giấy phép lái xe", "hộ tịch", "quyền sử dụng đất", "dự án đầu tư", "hợp tác xã", "hộ kinh doanh",
           "thủ tục hải quan", "tài sản kết cấu hạ tầng", "giấy phép môi trường", "cơ sở giáo dục",
           "cơ sở khám bệnh, chữa bệnh", "doanh nghiệp xã hội")  # fmt: skip


def _hash_int(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:12], 16)


@lru_cache(maxsize=4)
def catalogue(seed: int) -> tuple[dict, ...]:
    """The deterministic catalogue of administrative procedures (``formalities``)."""
    from replica.generator import _uuid  # the same ID scheme as units

    ministries = [_uuid(seed, "ministry", i) for i in range(22)]
    province_ids = [tr.unit.department_id for tr in ds_provinces(seed)]
    items = []
    for i in range(CATALOGUE_SIZE):
        h = _hash_int(seed, "formality", i)
        state = "INACTIVE" if h % 20 == 0 else "UPDATED" if h % 10 == 1 else "ACTIVE"
        dep = ministries[h % len(ministries)]
        applied = province_ids if h % 3 == 0 else []
        items.append({
            "id": _uuid(seed, "formality", i), "code": f"{1 + h % 6}.{100000 + i * 7:06d}",
            "name": f"Thủ tục: {ACTIONS[(h >> 8) % len(ACTIONS)]} {OBJECTS[(h >> 16) % len(OBJECTS)]}",
            "state": state, "departmentId": dep, "publishingDepartmentIds": [dep], "appliedDepartmentIds": applied,
        })  # fmt: skip
    return tuple(items)


def ds_provinces(seed: int) -> tuple[ProvinceTree, ...]:
    from replica.generator import province_trees

    return province_trees(seed, "post")


def formalities(seed: int, q: str | None, page: int, page_size: int) -> dict:
    """One page of the catalogue, optionally filtered by ``q`` (code or name, case-insensitive)."""
    items = catalogue(seed)
    if q:
        needle = q.casefold()
        items = tuple(
            it for it in items if needle in it["code"].casefold() or needle in it["name"].casefold()
        )
    page, page_size = max(1, page), max(1, page_size)
    return {"items": list(items[(page - 1) * page_size : page * page_size]),
            "pagination": {"total": len(items), "currentPage": page, "pageSize": page_size,
                           "totalPages": math.ceil(len(items) / page_size)}}  # fmt: skip
