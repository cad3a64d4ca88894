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
