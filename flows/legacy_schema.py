"""Known row shapes of the legacy ``/jsp/rest.jsp`` services, and their validation.

Why: the legacy gateway answers bare arrays of all-string rows with no envelope, so the only guard
against a changed or wrong answer is checking every row here: every key known, every value a
string, every number-like value parsing as a decimal. An unknown key is a schema change (named in
the error); an empty array is "not published yet", never zeros. Sources: shared/portal/legacy-api.md
§2–§3 and the real rows in shared/portal/legacy/.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from dvc766.provinces import normalise_code
from flows.errors import EnvelopeError, NotPublishedError, SchemaChangeError, WrongScopeError

RANKING_SERVICE = "report_tinh_766_service"
MONTH_SUM_SERVICE = "report_by_month_sum_service"

RANKING_TEXT_KEYS = ("TEN", "TEN_COQUAN", "MA_COQUAN")
RANKING_NUMERIC_KEYS = (
    "ID",
    "LOAI_COQUAN",
    "CAPDONVIID",
    "ID_COQUAN",
    "TDGQ",
    "MDHL",
    "MDSH",
    "TTTT",
    "CLGQ",
    "CKMB",
    "TONG_SCORE",
    "ROW_STT",
)

_MONTH_SUM_PAIRS = (
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
MONTH_SUM_NUMERIC_KEYS = (
    "HS_TOTAL",
    "DB_TOTAL",
    "TNTK_TOTAL",
    "TNKTCS_TOTAL",
    "GDTT_TOTAL",
    "NTTQG_TOTAL",
    *_MONTH_SUM_PAIRS,
    *(f"{k}_TOTAL" for k in _MONTH_SUM_PAIRS),
    "GDTTDP",
    "TILE",
    "TILE_DB",
)

# service → (text keys, numeric keys, keys every row must carry)
SERVICES: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {
    RANKING_SERVICE: (
        frozenset(RANKING_TEXT_KEYS),
        frozenset(RANKING_NUMERIC_KEYS),
        frozenset(RANKING_TEXT_KEYS + RANKING_NUMERIC_KEYS),
    ),
    # Only the keys a public client reads are documented; none is known to be always present, so
    # none is required, but any key outside the list is still a schema change.
    MONTH_SUM_SERVICE: (frozenset(), frozenset(MONTH_SUM_NUMERIC_KEYS), frozenset()),
}


def parse_number(text: str) -> Decimal:
    """Parse one of the gateway's numeric strings (``"19.05"``, ``"10"``) exactly."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    return value


def _decode_rows(service: str, body: bytes | str) -> list[Any]:
    try:
        doc = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
    except (UnicodeDecodeError, ValueError) as exc:
        head = body[:60] if isinstance(body, str) else body[:60].decode("utf-8", "replace")
        raise EnvelopeError(f"{service}: body is not JSON ({exc}); starts with {head!r}") from None
    if isinstance(doc, dict):
        if "data" not in doc:
            raise SchemaChangeError(
                f"{service}: object answer without a data field (keys: {sorted(doc)[:8]})"
            )
        doc = doc["data"]
    if doc is None:
        return []
    if not isinstance(doc, list):
        raise SchemaChangeError(f"{service}: rows are a JSON {type(doc).__name__}, expected an array")
    return doc


def validate_legacy(
    service: str, body: bytes | str, *, scope: str | None = None, period: str = ""
) -> list[dict[str, str]]:
    """Check one legacy answer and return its rows (values kept as the portal's strings).

    ``scope`` is the province code asked for (rows must be that province or its units), or None /
    ``"national"`` for a whole-country answer.
    """
    if service not in SERVICES:
        raise SchemaChangeError(f"unknown legacy service {service!r}; known: {', '.join(SERVICES)}")
    text_keys, numeric_keys, required = SERVICES[service]
    rows = _decode_rows(service, body)
    label = f"{service} {period}".strip()
    if not rows:
        raise NotPublishedError(f"{label}: not published yet (empty answer)")
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise SchemaChangeError(f"{service}: row {i} is a {type(row).__name__}, expected an object")
        for key, value in row.items():
            if key not in text_keys and key not in numeric_keys:
                raise SchemaChangeError(f"{service}: unknown field [].{key} (row {i})")
            if not isinstance(value, str):
                raise SchemaChangeError(
                    f"{service}: field [].{key} is {type(value).__name__} ({value!r:.30}) in row {i}, expected string"
                )
            if key in numeric_keys and value.strip() != "":
                try:
                    parse_number(value)
                except ValueError:
                    raise SchemaChangeError(
                        f"{service}: field [].{key} = {value!r} in row {i} is not a number"
                    ) from None
        missing = required - row.keys()
        if missing:
            raise SchemaChangeError(f"{service}: missing field [].{sorted(missing)[0]} (row {i})")
    if service == RANKING_SERVICE and scope not in (None, "", "national"):
        for i, row in enumerate(rows, start=1):
            code = normalise_code(row["MA_COQUAN"])
            if code != scope and not code.startswith(f"{scope}."):
                raise WrongScopeError(
                    f"{service}: row {i} is unit {code!r}, not in the province asked for ({scope})"
                )
    return rows
