"""Normalise a legacy gateway capture (``/jsp/rest.jsp``) into landing rows. Pure, no I/O.

The rows are read through the legacy contract (:func:`flows.sources.legacy.parse_legacy`, the parse
the client made at fetch time); this module maps them to landing rows.

``report_tinh_766_service`` answers the 34 (or, before July 2025, 63) provinces when asked
nationally, or one province's agencies and communes. Each row gives the six group scores, the total
(``TONG_SCORE``) and the rank (``ROW_STT``, which within a province ranks agencies and communes
together). An empty string is "no data" and stays null.

Units are keyed on ``MA_COQUAN`` folded with ``normalise_code`` (``000.00.00.H37`` → ``H37``).
Kind from ``LOAI_COQUAN``: 1 province, 2 agency, 3 commune (district for periods ending before the
July 2025 reorganisation). The legacy numeric ``ID`` is kept as ``unit_id``.

``report_by_month_sum_service`` (province counters) is not landed yet: it has no unit code per row
and no agreed indicator mapping, so it yields only its drift rows (its raw body is still kept).
"""

from __future__ import annotations

import pyarrow as pa

from dvc766.landing_schema import GROUP_CODES
from flows.capture import Capture
from flows.errors import QuarantineError
from flows.landing_rows import Rows, child_kind_for
from flows.sources.legacy import parse_legacy
from flows.sources.legacy.models import LEGACY_GROUP_MAX
from flows.sources.legacy.settings import RANKING_SERVICE


def normalise_legacy(capture: Capture, drift_mode: str = "record") -> dict[str, pa.Table]:
    body = parse_legacy(capture, drift_mode)
    out = Rows(capture)
    out.drift(body.drift)
    if body.service != RANKING_SERVICE:
        return out.tables()
    national = capture.scope == "national"
    size = len(body.rows)
    for i, r in enumerate(body.rows):
        code, level = r.MA_COQUAN, r.level
        if national:
            if level is not None or "." in code:
                raise QuarantineError(
                    f"legacy {capture.endpoint} ({capture.scope}, {capture.period.key}) row[{i}]: field "
                    f"'MA_COQUAN' = {code!r}: a national ranking row that is not a province",
                    capture,
                )
            province, kind, parent = code, "province", None
        else:
            province = capture.scope
            kind = "province" if level is None else child_kind_for(capture.period.end, level)
            parent = None if code == province else province
        out.score(code, province, "TOTAL", r.TONG_SCORE, 100.0, r.TONG_SCORE, r.rank, size)
        for g in GROUP_CODES:
            gmax = LEGACY_GROUP_MAX[g]
            gs = getattr(r, g)
            out.score(code, province, g, gs, gmax, None if gs is None or gmax is None else 100.0 * gs / gmax)
        out.unit(code, province, kind, r.ID, r.TEN_COQUAN or r.TEN, parent)
    return out.tables()
