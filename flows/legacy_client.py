"""Client for the legacy ``/jsp/rest.jsp`` gateway (the 2025-era dashboard backend).

The gateway takes one form field, ``params``, holding a JSON string (shared/portal/legacy-api.md
§1–§2), and answers bare arrays of all-string rows. Like the v1 client it returns the byte-exact
body as a validated Capture (``request`` = the params dict) through the shared PoliteSession, and
raises with ``.capture`` set when the answer cannot be used.

Return convention: ``fetch_ranking`` and ``fetch_month_sum`` return one Capture. The ranking asks
for 1,000 rows, five times the largest province's unit count; an answer that fills the page might
continue, so ``fetch_ranking`` refuses it (SchemaChangeError) and ``fetch_ranking_pages`` pages on
while a page comes back full.
"""

from __future__ import annotations

import json
from typing import Any

from dvc766.periods import Period
from dvc766.settings import Settings
from flows.capture import Capture, capture_from_response
from flows.errors import BlockedError, EnvelopeError, PortalError, SchemaChangeError
from flows.portal_http import HttpResult, PoliteSession
from flows.sources.legacy import parse_legacy
from flows.sources.legacy.settings import MAX_PAGES, MONTH_SUM_SERVICE, PAGE_SIZE, RANKING_SERVICE

NATIONAL = "national"


def ranking_params(
    period: Period, tinh_id: str = "0", *, page: int = 1, page_size: int = PAGE_SIZE
) -> dict[str, Any]:
    """``params`` for report_tinh_766_service; all of p_6thang/p_quy/p_thang 0 means the whole year."""
    quarter = period.number if period.period_type == "quarter" else 0
    month = period.number if period.period_type == "month" else 0
    return {
        "type": "ref",
        "service": RANKING_SERVICE,
        "p_nam": str(period.year),
        "p_tinh_id": str(tinh_id),
        "p_loaidonvi": 1,
        "loaichitieu": 0,
        "p_6thang": 0,
        "p_quy": quarter,
        "p_thang": month,
        "pageIndex": page,
        "pageSize": page_size,
        "p_default": 0,
        "p_huyen_id": "",
    }


def month_sum_params(period: Period, tinh_id: str = "0") -> dict[str, Any]:
    """``params`` for report_by_month_sum_service: a month, or ``"0"`` for the whole year (year/ytd)."""
    if period.period_type == "quarter":
        raise ValueError("report_by_month_sum_service has no quarter filter; ask for its months")
    month = period.number if period.period_type == "month" else 0
    return {
        "type": "ref",
        "service": MONTH_SUM_SERVICE,
        "p_nam": str(period.year),
        "p_tinh_id": str(tinh_id),
        "p_huyen_id": "",
        "p_thang": str(month),
        "p_linhvuc": 0,
    }


class LegacyClient:
    """Fetch and validate legacy gateway answers; shares the run's PoliteSession."""

    def __init__(self, settings: Settings, session: PoliteSession | None = None) -> None:
        self.settings = settings
        self.session = session or PoliteSession(settings)

    def _capture(
        self,
        service: str,
        params: dict[str, Any],
        result: HttpResult,
        scope: str,
        period: Period,
        run_id: str,
        tinh_id: str,
    ) -> Capture:
        return capture_from_response(
            "legacy",
            service,
            params,
            result,
            scope=scope,
            period=period,
            run_id=run_id,
            extra={"legacy_id": str(tinh_id)},
        )

    def _fetch(
        self, params: dict[str, Any], scope: str, period: Period, run_id: str
    ) -> tuple[Capture, tuple[Any, ...]]:
        service = params["service"]
        tinh_id = str(params["p_tinh_id"])
        url = self.settings.legacy_url
        fields = {"params": json.dumps(params, ensure_ascii=False, separators=(",", ":"))}
        try:
            result = self.session.post_form(url, fields)
        except BlockedError as exc:
            blocked = getattr(exc, "result", None)
            if isinstance(blocked, HttpResult):
                exc.capture = self._capture(service, params, blocked, scope, period, run_id, tinh_id)
            raise
        capture = self._capture(service, params, result, scope, period, run_id, tinh_id)
        if result.status not in (200, 201):
            raise EnvelopeError(f"{service} {period.key} ({scope}): HTTP {result.status} from {url}", capture)
        return capture, parse_legacy(capture, self.settings.schema_drift).rows

    def fetch_ranking_pages(
        self,
        period: Period,
        tinh_id: str = "0",
        scope: str = NATIONAL,
        *,
        run_id: str = "",
        page_size: int = PAGE_SIZE,
    ) -> list[Capture]:
        """Every page of report_tinh_766_service; pages on while a page comes back full."""
        captures: list[Capture] = []
        for page in range(1, MAX_PAGES + 1):
            params = ranking_params(period, tinh_id, page=page, page_size=page_size)
            try:
                capture, rows = self._fetch(params, scope, period, run_id)
            except PortalError as exc:
                # An empty page after a full one is the natural end of the list, not "unpublished".
                if captures and exc.kind == "not_published":
                    return captures
                raise
            captures.append(capture)
            if len(rows) < page_size:
                return captures
        raise SchemaChangeError(
            f"{RANKING_SERVICE} {period.key} ({scope}): still full after {MAX_PAGES} pages of {page_size} rows"
        )

    def fetch_ranking(
        self, period: Period, tinh_id: str = "0", scope: str = NATIONAL, *, run_id: str = ""
    ) -> Capture:
        """The 766 ranking rows: the 34 provinces (``tinh_id`` "0") or one province's units.

        ``tinh_id`` is the legacy numeric ID (Thái Nguyên ``370865``); ``scope`` the code the rows
        must belong to (``"H55"``) or ``"national"``.
        """
        params = ranking_params(period, tinh_id)
        capture, rows = self._fetch(params, scope, period, run_id)
        if len(rows) >= PAGE_SIZE:
            raise SchemaChangeError(
                f"{RANKING_SERVICE} {period.key} ({scope}): {len(rows)} rows fill the {PAGE_SIZE}-row page; "
                "more may follow (use fetch_ranking_pages)",
                capture,
            )
        return capture

    def fetch_month_sum(
        self, period: Period, tinh_id: str = "0", scope: str = NATIONAL, *, run_id: str = ""
    ) -> Capture:
        """Dossier counters of report_by_month_sum_service for one month (or the year)."""
        capture, _rows = self._fetch(month_sum_params(period, tinh_id), scope, period, run_id)
        return capture
