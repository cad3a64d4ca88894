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


# Numbers a v1 body carries that land nowhere, on purpose (every other number lands: tested by
# tests/test_every_number_lands.py). Paths as in v1-api.md §4, ``[]`` for any array item.
NOT_LANDED: dict[str, str] = {
    "pagination.total": "paging bookkeeping: how many rows the answer has",
    "pagination.currentPage": "paging bookkeeping",
    "pagination.pageSize": "paging bookkeeping (an echo of the request)",
    "pagination.totalPages": "paging bookkeeping",
    "overview.stt": "row order in the portal's table, not a figure",
    "evaluation[].stt": "row order in the portal's table, not a figure",
}


def canonical_endpoint(endpoint: str) -> str | None:
    """``dvc-progress-tree`` or ``evaluation/dvc-progress-tree`` → the full name; None if unknown."""
    name = endpoint.strip().strip("/").removeprefix("api/v1/reporting/")
    if name in KNOWN_ENDPOINTS:
        return name
    if f"evaluation/{name}" in KNOWN_ENDPOINTS:
        return f"evaluation/{name}"
    return None
