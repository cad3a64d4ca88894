"""Client for the 2026 v1 reporting API (``POST /api/v1/reporting/...``, JSON in and out).

It builds each request body exactly as the portal's own page does (shared/portal/v1-api.md §3),
sends it through the shared PoliteSession, wraps the answer in a Capture (byte-exact body, request,
status, headers, captured-at from the portal's ``Date`` header) and validates it. A body that fails
validation raises the PortalError subclass with ``.capture`` set, so the raw store can keep the
evidence of what the portal said even though nothing of it is used.

Return convention: ``fetch`` always returns exactly one Capture (one request, one body). Shape A
endpoints are asked for 500 rows, far more than any province has units (the largest has ~190), so
one page holds everything; if the portal ever pages such an answer, ``fetch`` raises
SchemaChangeError (with the first page as ``.capture``) rather than land half a province, and
``fetch_pages`` returns every page as a list. ``fetch_formalities`` always pages and returns a list.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dvc766.periods import Period, now_vn
from dvc766.provinces import Province, procedure_scope
from dvc766.settings import Settings
from flows.capture import Capture, capture_from_response
from flows.errors import BlockedError, EnvelopeError, SchemaChangeError
from flows.portal_http import HttpResult, PoliteSession
from flows.sources.v1 import V1Body, endpoint_name, parse_v1
from flows.sources.v1.settings import (
    ENDPOINTS,
    FORMALITIES_PAGE_SIZE,
    FORMALITY_FILTER,
    MAX_PAGES,
    SATISFACTION,
    SHAPE_A_GROUP,
    SHAPE_A_PAGE_SIZE,
    TREE_PAGE_SIZE,
)

SHAPE_A = frozenset(SHAPE_A_GROUP)
NATIONAL = "national"


def period_fields(endpoint: str, period: Period) -> dict[str, Any]:
    """The period part of a request body: timeType/year/... or, for satisfaction, fromDate/toDate."""
    if endpoint == SATISFACTION:
        # The year-to-date is asked as the portal's own year view asks it (1/1 .. 31/12): "as seen on
        # the portal that day" is what that page shows, and a late snapshot then asks the same thing
        # as an on-time one (docs/appendix-mapping.md, "Year-to-date satisfaction").
        if period.period_type in ("ytd", "year"):
            return {
                "fromDate": date(period.year, 1, 1).isoformat(),
                "toDate": date(period.year, 12, 31).isoformat(),
            }
        return {"fromDate": period.start.isoformat(), "toDate": period.end.isoformat()}
    if period.period_type == "month":
        return {"timeType": "month", "year": period.year, "month": period.number}
    if period.period_type == "quarter":
        return {"timeType": "quarter", "year": period.year, "quarter": period.number}
    # ``year`` and ``ytd``: the portal's year query is year-to-date while the year is running.
    return {"timeType": "year", "year": period.year}


def build_request(
    endpoint: str,
    period: Period,
    province: Province | None,
    *,
    page: int = 1,
    formality_id: str | None = None,
) -> dict[str, Any]:
    """The JSON body for one evaluation request, field for field as in v1-api.md §3.4."""
    endpoint = endpoint_name(endpoint)
    if endpoint not in ENDPOINTS:
        raise ValueError(f"{endpoint} is not an evaluation endpoint")
    paged = endpoint in SHAPE_A
    body: dict[str, Any] = {}
    if province is None:
        body.update(period_fields(endpoint, period))
        body["departmentType"] = "ADMINISTRATIVE_UNIT"
        if paged:
            body.update({"currentPage": page, "pageSize": SHAPE_A_PAGE_SIZE})
    elif endpoint == "evaluation/service-results":
        body.update(period_fields(endpoint, period))
        body["rootDepartmentId"] = province.department_id
    else:
        body["rootDepartmentId"] = province.department_id
        body["currentPage"] = page
        body["pageSize"] = SHAPE_A_PAGE_SIZE if paged else TREE_PAGE_SIZE
        body.update(period_fields(endpoint, period))
    if formality_id is not None:
        if endpoint not in FORMALITY_FILTER:
            raise ValueError(f"{endpoint} has no procedure (formality) filter")
        # The portal spells the filter with a capital ID on dossier-digitized only.
        body[FORMALITY_FILTER[endpoint]] = formality_id
    return body


def catalogue_period() -> Period:
    """The catalogue has no period: its captures carry the year they were taken in (Vietnam time)."""
    return Period("year", now_vn().year)


class V1Client:
    """Fetch and validate v1 API bodies; one instance per run (it shares the run's PoliteSession)."""

    def __init__(self, settings: Settings, session: PoliteSession | None = None) -> None:
        self.settings = settings
        self.session = session or PoliteSession(settings)

    def _capture(
        self,
        endpoint: str,
        request: dict[str, Any],
        result: HttpResult,
        scope: str,
        period: Period,
        run_id: str,
    ) -> Capture:
        return capture_from_response(
            "v1", endpoint, request, result, scope=scope, period=period, run_id=run_id
        )

    def _post(
        self, endpoint: str, request: dict[str, Any], scope: str, period: Period, run_id: str
    ) -> Capture:
        url = self.settings.v1_base + endpoint
        try:
            result = self.session.post_json(url, request)
        except BlockedError as exc:
            blocked = getattr(exc, "result", None)
            if isinstance(blocked, HttpResult):
                exc.capture = self._capture(endpoint, request, blocked, scope, period, run_id)
            raise
        capture = self._capture(endpoint, request, result, scope, period, run_id)
        if result.status not in (200, 201):
            raise EnvelopeError(
                f"{endpoint} {period.key} ({scope}): HTTP {result.status} instead of 201 from {url}", capture
            )
        return capture

    def _validated(self, capture: Capture) -> V1Body:
        """The fetch-time check: the contract's one parse (kept for the landing step to reuse)."""
        return parse_v1(capture, self.settings.schema_drift)

    def fetch_pages(
        self,
        endpoint: str,
        period: Period,
        province: Province | None,
        *,
        run_id: str = "",
        formality_id: str | None = None,
    ) -> list[Capture]:
        """Every page of one evaluation answer (one Capture per page; one page except for Shape A)."""
        endpoint = endpoint_name(endpoint)
        scope = province.code if province else NATIONAL
        captures: list[Capture] = []
        page = 1
        while True:
            request = build_request(endpoint, period, province, page=page, formality_id=formality_id)
            capture = self._post(endpoint, request, scope, period, run_id)
            body = self._validated(capture)
            captures.append(capture)
            pagination = body.pagination if endpoint in SHAPE_A else None
            total_pages = (pagination.totalPages or 1) if pagination else 1
            if page >= total_pages:
                return captures
            if total_pages > MAX_PAGES:
                raise SchemaChangeError(
                    f"{endpoint} {period.key} ({scope}): {total_pages} pages of {SHAPE_A_PAGE_SIZE} rows "
                    f"exceed the {MAX_PAGES}-page limit; the portal's paging changed",
                    capture,
                )
            page += 1

    def fetch(
        self,
        endpoint: str,
        period: Period,
        province: Province | None,
        *,
        run_id: str = "",
        formality_id: str | None = None,
        procedure_code: str | None = None,
    ) -> Capture:
        """One validated Capture of ``endpoint`` for ``period`` and ``province`` (None = national).

        With ``formality_id`` (the procedure's UUID) the answer is that one procedure's figures; its
        capture is scoped ``<province>~<procedure_code>`` so it is kept apart from the province's own.
        Raises a PortalError subclass (with ``.capture`` when a body arrived) on any bad answer, and
        SchemaChangeError when a Shape A answer does not fit on one page (use ``fetch_pages``).
        """
        endpoint = endpoint_name(endpoint)
        scope = province.code if province else NATIONAL
        if formality_id is not None:
            scope = procedure_scope(scope, procedure_code or formality_id)
        request = build_request(endpoint, period, province, formality_id=formality_id)
        capture = self._post(endpoint, request, scope, period, run_id)
        body = self._validated(capture)
        pagination = body.pagination if endpoint in SHAPE_A else None
        if pagination and (pagination.totalPages or 1) > 1:
            raise SchemaChangeError(
                f"{endpoint} {period.key} ({scope}): answer spans {pagination.totalPages} pages "
                f"of {pagination.pageSize} rows ({pagination.total} rows); expected one page",
                capture,
            )
        return capture

    def fetch_formalities(
        self, q: str | None = None, *, page_size: int = FORMALITIES_PAGE_SIZE, run_id: str = ""
    ) -> list[Capture]:
        """The procedure (TTHC) catalogue, every page, optionally filtered by ``q`` (e.g. a code).

        The catalogue has no period; its captures carry the current year so they file under the
        year they were taken in.
        """
        captures: list[Capture] = []
        page = 1
        limit: int | None = None
        while True:
            capture, total_pages = self.fetch_formalities_page(page, q=q, page_size=page_size, run_id=run_id)
            captures.append(capture)
            limit = total_pages if limit is None else limit
            if page >= total_pages or page >= limit:
                return captures
            page += 1

    def fetch_formalities_page(
        self, page: int, *, q: str | None = None, page_size: int = FORMALITIES_PAGE_SIZE, run_id: str = ""
    ) -> tuple[Capture, int]:
        """One page of the catalogue and the number of pages (a budgeted caller pages itself)."""
        period = catalogue_period()
        request: dict[str, Any] = {} if q is None else {"q": q}
        request.update({"currentPage": page, "pageSize": page_size})
        capture = self._post("formalities", request, NATIONAL, period, run_id)
        pagination = self._validated(capture).pagination
        assert pagination is not None  # the formalities model requires it
        if pagination.currentPage != page:
            raise SchemaChangeError(
                f"formalities: asked for page {page}, got page {pagination.currentPage}", capture
            )
        return capture, pagination.totalPages or 0
