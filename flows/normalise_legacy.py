"""Normalise a legacy gateway capture (``/jsp/rest.jsp``) into landing rows. Pure, no I/O.

``report_tinh_766_service`` answers a bare array of all-string rows: the 34 (or, before July 2025,
63) provinces when asked nationally, or one province's agencies and communes. Each row gives the six
group scores, the total (``TONG_SCORE``) and the rank (``ROW_STT``, which within a province ranks
agencies and communes together). Numbers arrive as decimal strings ("19.05", "10"); an empty string
or null is "no data" and stays null. A number in any other form is a schema change.

Units are keyed on ``MA_COQUAN`` folded with ``normalise_code`` (``000.00.00.H37`` → ``H37``).
Kind from ``LOAI_COQUAN``: 1 province, 2 agency, 3 commune (district for periods ending before the
July 2025 reorganisation). The legacy numeric ``ID`` is kept as ``unit_id``.

``report_by_month_sum_service`` (province counters) is not landed yet: it has no unit code per row
and no agreed indicator mapping, so it yields empty tables (its raw body is still kept).
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa

from flows.capture import Capture
from flows.errors import EnvelopeError, NotPublishedError, SchemaChangeError, WrongScopeError
from flows.landing_schema import GROUP_CODES, GROUP_MAX
from flows.normalise import Checker, Rows, child_kind_for, empty_tables, load_json

DECIMAL_RE = re.compile(r"^-?\d+(\.\d+)?$")
KINDS = {"1": None, "2": False, "3": True}  # None: province; False: agency; True: commune level
# The legacy CLGQ maximum is not stated anywhere (observed ≤ 10, the v1 maximum is 12): unknown.
LEGACY_GROUP_MAX: dict[str, float | None] = {**GROUP_MAX, "CLGQ": None}
REQUIRED = ("MA_COQUAN", "LOAI_COQUAN", "TONG_SCORE", "ROW_STT", *GROUP_CODES)


def normalise_legacy(capture: Capture) -> dict[str, pa.Table]:
    if capture.endpoint == "report_by_month_sum_service":
        return empty_tables()
    if capture.endpoint != "report_tinh_766_service":
        raise SchemaChangeError(f"unknown legacy service {capture.endpoint!r}", capture)
    doc = load_json(capture)
    rows = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(rows, list):
        raise EnvelopeError(
            f"{capture.endpoint}: expected an array of rows, got {type(doc).__name__}", capture
        )
    if not rows or all(isinstance(r, dict) and _blank(r.get("TONG_SCORE")) for r in rows):
        raise NotPublishedError(
            f"{capture.endpoint} {capture.scope} {capture.period.key}: not published yet", capture
        )
    ck = Checker(capture)
    out = Rows(capture)
    national = capture.scope == "national"
    size = len(rows)
    for i, r in enumerate(rows):
        where = f"row[{i}]"
        for f in REQUIRED:
            ck.get(r, f, where)
        code = ck.code(r["MA_COQUAN"], "MA_COQUAN", where)
        kind_key = r["LOAI_COQUAN"]
        if kind_key not in KINDS:
            raise ck.schema(where, "LOAI_COQUAN", f"unknown value {kind_key!r}")
        level = KINDS[kind_key]
        cap = r.get("CAPDONVIID")
        if cap is not None and cap != ("2" if level else "1"):
            raise ck.schema(where, "CAPDONVIID", f"value {cap!r} contradicts LOAI_COQUAN {kind_key!r}")
        if national:
            if level is not None or "." in code:
                raise ck.quarantine(
                    where, "MA_COQUAN", r["MA_COQUAN"], "a national ranking row that is not a province"
                )
            province, kind, parent = code, "province", None
        else:
            if code.split(".")[0] != capture.scope:
                raise WrongScopeError(
                    f"{capture.endpoint} {capture.period.key}: asked for {capture.scope}, row {i} is unit {code}",
                    capture,
                )
            province = capture.scope
            kind = "province" if level is None else child_kind_for(capture.period.end, level)
            parent = None if code == province else province
        total = ck.score(_dec(ck, r, "TONG_SCORE", where), 100.0, "TONG_SCORE", where)
        rank_raw = _dec(ck, r, "ROW_STT", where)
        if rank_raw is not None and not rank_raw.is_integer():
            raise ck.quarantine(where, "ROW_STT", r["ROW_STT"], "a rank that is not a whole number")
        rank = None if rank_raw is None else int(rank_raw)
        out.score(code, province, "TOTAL", total, 100.0, total, rank, size)
        for g in GROUP_CODES:
            gmax = LEGACY_GROUP_MAX[g]
            gs = ck.score(_dec(ck, r, g, where), gmax, g, where)
            ratio = None if gs is None or gmax is None else 100.0 * gs / gmax
            out.score(code, province, g, gs, gmax, ratio)
        name = r.get("TEN_COQUAN") or r.get("TEN")
        uid = r.get("ID")
        out.unit(
            code,
            province,
            kind,
            uid if isinstance(uid, str) else None,
            name if isinstance(name, str) else None,
            parent,
        )
    return out.tables()


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _dec(ck: Checker, row: dict[str, Any], field: str, where: str) -> float | None:
    """Parse the gateway's decimal strings; numbers are accepted too (the client may re-type them)."""
    v = row[field]
    if _blank(v):
        return None
    if isinstance(v, str):
        if not DECIMAL_RE.fullmatch(v.strip()):
            if v.strip().lower() in ("nan", "inf", "-inf", "infinity"):
                raise ck.quarantine(where, field, v, "not a finite number")
            raise ck.schema(where, field, f"value {v!r} is not a decimal string")
        return ck.number(float(v), field, where)
    return ck.number(v, field, where)
