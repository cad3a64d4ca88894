"""The legacy ``/jsp/rest.jsp`` gateway as configuration: its services, page sizes, row labels.

Facts from shared/portal/legacy-api.md §2–§3, in one place for the client, contract and normaliser.
"""

from __future__ import annotations

RANKING_SERVICE = "report_tinh_766_service"
MONTH_SUM_SERVICE = "report_by_month_sum_service"
SERVICES: tuple[str, ...] = (RANKING_SERVICE, MONTH_SUM_SERVICE)

PAGE_SIZE = 1000
MAX_PAGES = 20

# LOAI_COQUAN → the unit's level: None province, False agency, True commune (district before 2025-07).
KINDS: dict[str, bool | None] = {"1": None, "2": False, "3": True}
# CAPDONVIID agrees with LOAI_COQUAN: "1" province level (province and agencies), "2" commune level.
LEVEL_OF_KIND: dict[bool | None, str] = {None: "1", False: "1", True: "2"}

MONTH_SUM_PAIRS: tuple[str, ...] = (
    "HTN_TRUCTIEP",
    "HTN_BUUCHINH",
    "HTN_TRUCTUYEN",
    "HTN_TRUCTUYEN_KHONGCHUAN",
    "HTDH",
    "HTQH",
    "DXLTH",
    "DXLQH",
    "GDTTQG",
    "NTTDXLTH",
    "NTTDXLQH",
)


# Numbers (all sent as strings) a legacy row carries that land as something else than a figure, or
# nowhere (every other number lands: tests/test_every_number_lands.py). ``[]`` is any row.
NOT_LANDED: dict[str, str] = {
    "[].ID": "the unit's numeric legacy ID: an identifier, landed as text (units_seen.unit_id, dim_unit)",
    "[].ID_COQUAN": "equal to ID in every captured row: the same identifier, landed once",
    "[].LOAI_COQUAN": "the unit's kind as a number code (1 province, 2 agency, 3 commune): landed as "
    "units_seen.unit_kind",
    "[].CAPDONVIID": "the unit's level as a number code (1 province level, 2 commune level): checked "
    "against LOAI_COQUAN, landed through unit_kind",
}
