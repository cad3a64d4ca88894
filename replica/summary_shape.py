"""The ``service-results`` body (v1-api.md §4.1): overview, radar, donuts, the national ranking or a
province's children, and the year's month charts, filled from the generated counts.

Apart from :mod:`replica.shapes` (the six group endpoints) because it is the one summary endpoint: it
sums every province (nationally) or every group of one province, rather than shaping one unit list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from replica.generator import COL, GROUPS, Dataset, month_share
from replica.scoring import group_scores, r2, ratio, total_score
from replica.shapes import (
    NATIONAL_NAME,
    RADAR,
    PeriodRequest,
    _figures,
    _province_groups,
    _unit_fields,
)
from replica.units import ProvinceTree

# --- service-results ------------------------------------------------------------------------------


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


def _charts(
    year_months: list[tuple[int, int]],
    asked: set[tuple[int, int]],
    now: datetime,
    month_totals: Callable[[int, int, tuple[int, int]], tuple[float | int | None, int, int]],
) -> tuple[list[dict], list[dict]]:
    """The year's two charts from each begun month's (average score, received, on time): the score
    chart reports every begun month, the dossier chart only the months of the period asked for (the
    others, and months not begun, are null), as the portal does."""
    monthly, dossier_chart = [], []
    for y, m in year_months:
        share = month_share(y, m, now)
        totals = month_totals(y, m, share) if share is not None else None
        monthly.append({"month": f"{m:02d}", "averageScore": totals[0] if totals else None})
        if totals is None or (y, m) not in asked:
            dossier_chart.append({"month": f"{m:02d}", "onTimePct": None, "overduePct": None})
            continue
        _, rec, on = totals
        dossier_chart.append(
            {"month": f"{m:02d}", "onTimePct": ratio(on, rec), "overduePct": ratio(rec - on, rec)}
        )
    return monthly, dossier_chart


def service_results(ds: Dataset, request: PeriodRequest, tree: ProvinceTree | None, now: datetime) -> dict:
    """The summary endpoint: overview, radar, donuts, ranking or children, monthly charts."""
    era = request.unit_era
    year_months = [(request.year, m) for m in range(1, 13)]
    # a year view's dossier chart covers the whole year; a month's or a quarter's only its months
    asked = set(year_months) if request.period_type == "year" else set(request.months)
    if tree is None:
        groups = _province_groups(ds, request, now)
        prev = _province_groups(ds, *request.baseline(now))
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

        def month_totals(y: int, m: int, share: tuple[int, int]) -> tuple[float | int | None, int, int]:
            month_figs = [ds.figures(tr, [(y, m, *share)]) for tr in ds.provinces(era)]
            average = _mean([total_score(group_scores(f.parent)) for f in month_figs])
            received = sum(f.parent[COL["received"]] for f in month_figs)
            return average, received, sum(f.parent[COL["on_time"]] for f in month_figs)

        monthly, dossier_chart = _charts(year_months, asked, now, month_totals)
    else:
        figs = _figures(ds, request, tree, now)
        groups_one = group_scores(figs.parent) if figs else None
        mean_groups = groups_one
        total = total_score(groups_one) if groups_one else None
        before, then = request.baseline(now)
        prev_figs = _figures(ds, before, tree, then) if before.unit_era == era else None
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

        def month_totals(y: int, m: int, share: tuple[int, int]) -> tuple[float | int | None, int, int]:
            f = ds.figures(tree, [(y, m, *share)])
            return total_score(group_scores(f.parent)), f.parent[COL["received"]], f.parent[COL["on_time"]]

        monthly, dossier_chart = _charts(year_months, asked, now, month_totals)
    if tree is None:
        evaluation.sort(key=lambda r: (-r["totalScore"], r["departmentCode"]))
    overview.update({"totalScore": total, "totalMaxScore": 100, "ratio": total})
    growth = r2(100.0 * (total - prev_total) / prev_total) if total is not None and prev_total else None
    donuts = _donuts(counts, request.period_type != "month") if counts is not None else {
        "onlineDossier": [], "onlineProvision": None}  # fmt: skip
    return {"overview": overview, "growthPercent": growth, "radar": _radar(mean_groups), "donuts": donuts,
            "evaluation": evaluation, "monthlyChart": monthly, "dossierChart": dossier_chart}  # fmt: skip
