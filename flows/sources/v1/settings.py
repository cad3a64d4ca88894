"""The v1 API as configuration: endpoints (from ``dvc766/endpoints.py``), page sizes, filter spellings,
the labels its rows carry.

One place for these facts (shared/portal/v1-api.md §2–§5 as the project knows it): the client, the
contract, the run plan and the normaliser import them from here.
"""

from __future__ import annotations

from dvc766.endpoints import (
    DIGITIZED,
    ENDPOINT_GROUP,
    ENDPOINTS,
    FORMALITIES,
    KNOWN_ENDPOINTS,
    ONLINE_TREE,
    PAYMENT_TREE,
    PROGRESS_TREE,
    SATISFACTION,
    SERVICE_RESULTS,
    SHAPE_A_GROUP,
    TRANSPARENCY,
    TREE_GROUP,
)

__all__ = [
    "DIGITIZED",
    "ENDPOINT_GROUP",
    "ENDPOINTS",
    "FORMALITIES",
    "KNOWN_ENDPOINTS",
    "ONLINE_TREE",
    "PAYMENT_TREE",
    "PROGRESS_TREE",
    "SATISFACTION",
    "SERVICE_RESULTS",
    "SHAPE_A_GROUP",
    "TRANSPARENCY",
    "TREE_GROUP",
]

# The per-procedure (TTHC) filter: five group endpoints take it, spelled differently on one.
FORMALITY_FILTER: dict[str, str] = {
    TRANSPARENCY: "formalityId",
    DIGITIZED: "formalityID",
    PROGRESS_TREE: "formalityId",
    ONLINE_TREE: "formalityId",
    PAYMENT_TREE: "formalityId",
}
TREE_PAGE_SIZE = 200  # ignored by the tree endpoints; sent because the portal's page sends it
SHAPE_A_PAGE_SIZE = 500  # more than any province has units (~190): one page holds everything
MAX_PAGES = 20
FORMALITIES_PAGE_SIZE = 100

# Row labels → is the unit at commune level (True) or an agency (False).
SHAPE_A_CHILD_TYPES: dict[str, bool] = {"PROVINCIAL_DEPARTMENT": False, "COMMUNE_PEOPLE_COMMITTEE": True}
TREE_CHILD_LEVELS: dict[str, bool] = {"PROVINCE": False, "COMMUNE": True}
CHILD_GROUPS: dict[str, bool] = {"AGENCY": False, "COMMUNE": True}
DONUT_CODES: dict[str, dict[str, str]] = {
    "onlineProvision": {
        "FULL": "ONLINE_PROVISION_FULL",
        "PARTIAL": "ONLINE_PROVISION_PARTIAL",
        "NONE": "ONLINE_PROVISION_NONE",
    },
    "onlineDossier": {"ONLINE": "ONLINE_DOSSIER_CHANNEL", "OTHER": "OTHER_DOSSIER_CHANNEL"},
}


# Numbers a v1 body carries that land nowhere, on purpose (every other number lands, in the landing
# zone and in the published warehouse: tested by tests/test_every_number_lands.py, which walks every
# real body). Paths as in v1-api.md §4, ``[]`` for any array item; an entry with a ``(condition)``
# leaves out only the points it names.
NOT_LANDED: dict[str, str] = {
    "pagination.total": "paging bookkeeping: how many rows the answer has",
    "pagination.currentPage": "paging bookkeeping of the answer's page number",
    "pagination.pageSize": "paging bookkeeping (an echo of the request)",
    "pagination.totalPages": "paging bookkeeping of how many pages there are",
    "overview.stt": "row order in the portal's table, not a figure",
    "evaluation[].stt": "row order in the portal's table, not a figure",
    "monthlyChart[] (months outside the period asked)": (
        "the trees pad every month outside the period asked with 0 (service-results' dossierChart with "
        "null): a pad is not a report, and landing it would let a later capture overwrite that month's "
        "real figure with 0 (flows/normalise_v1.py, _V1._series); a figure there is refused as an "
        "answer for another period (flows/sources/v1/period.py)"
    ),
    "monthlyChart[] (a per-procedure answer)": (
        "one procedure's month chart (a formalityId request): kept in raw/ only; fct_procedure_indicator "
        "holds the procedure's figures for the period asked, and fct_reported_series is the units' own "
        "series, which a procedure's share must not overwrite"
    ),
}


def canonical_endpoint(endpoint: str) -> str | None:
    """``dvc-progress-tree`` or ``evaluation/dvc-progress-tree`` → the full name; None if unknown."""
    name = endpoint.strip().strip("/").removeprefix("api/v1/reporting/")
    if name in KNOWN_ENDPOINTS:
        return name
    if f"evaluation/{name}" in KNOWN_ENDPOINTS:
        return f"evaluation/{name}"
    return None
