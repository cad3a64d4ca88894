"""The legacy gateway's rows (``rest.jsp``; legacy-api.md §3): bare arrays of all-string objects, the
2025-era ranking (``report_tinh_766_service``) and the monthly counters (``report_by_month_sum_service``).
"""

from __future__ import annotations

from datetime import datetime

from replica.generator import COL, Dataset
from replica.scoring import group_scores, r2, ratio, total_score
from replica.shapes import PeriodRequest, _figures
from replica.units import ProvinceTree, Unit

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
