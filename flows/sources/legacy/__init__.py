"""The legacy gateway's contract: one entry point from a capture to typed rows.

The gateway answers a bare JSON array of all-string rows (or, as some clients wrap it, an object holding
``data``), with no envelope. ``parse_legacy`` reads it into :mod:`flows.sources.legacy.models`, and
checks what a type cannot: an empty answer is "not published yet" (never zeros), a province's
answer holds only that province and its units, and no key appears twice in one row (a malformed
body). The rows carry no period (no year, month or date field), so an answer for another period
cannot be told from the one asked by its content. Cached on the body's bytes like the v1 contract, so
the fetch-time check and the normaliser share one parse.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from flows.capture import Capture
from flows.errors import EnvelopeError, NotPublishedError, PortalError, SchemaChangeError, WrongScopeError
from flows.gc_policy import gc_paused
from flows.sources.contract import (
    Drift,
    check_mode,
    collect_drift,
    json_type,
    loads_strict,
    refuse_drift,
    translate,
)
from flows.sources.legacy.models import MonthSumRow, RankingRow
from flows.sources.legacy.settings import MONTH_SUM_SERVICE, RANKING_SERVICE, SERVICES

_ROWS: dict[str, TypeAdapter[Any]] = {
    RANKING_SERVICE: TypeAdapter(list[RankingRow]),
    MONTH_SUM_SERVICE: TypeAdapter(list[MonthSumRow]),
}


@dataclass(frozen=True)
class LegacyBody:
    """One parsed legacy answer: its typed rows and the fields the contract does not know."""

    service: str
    rows: tuple[Any, ...]
    drift: tuple[Drift, ...]


def parse_legacy(capture: Capture, drift_mode: str = "record") -> LegacyBody:
    """The capture's rows as typed data; raises a PortalError (with ``.capture``) when unusable."""
    try:
        return parse_legacy_body(
            capture.endpoint,
            capture.body,
            scope=capture.scope,
            period=capture.period.key,
            drift_mode=drift_mode,
        )
    except PortalError as exc:
        exc.capture = capture
        raise


def parse_legacy_body(
    service: str,
    body: bytes | str,
    *,
    scope: str | None = None,
    period: str = "",
    drift_mode: str = "record",
) -> LegacyBody:
    """``scope`` is the province code asked for, or None / ``"national"`` for the whole country."""
    raw = body.encode() if isinstance(body, str) else body
    national = scope in (None, "", "national")
    with gc_paused():  # acyclic models by the thousand (flows.gc_policy)
        return _parse(service, raw, None if national else scope, period, check_mode(drift_mode))


@lru_cache(maxsize=64)
def _parse(service: str, body: bytes, scope: str | None, period: str, mode: str) -> LegacyBody:
    if service not in SERVICES:
        raise SchemaChangeError(f"unknown legacy service {service!r}; known: {', '.join(SERVICES)}")
    label = f"{service} {period}".strip()
    try:
        doc = loads_strict(body.decode("utf-8"), service)
    except (UnicodeDecodeError, ValueError) as exc:
        head = body[:60].decode("utf-8", "replace")
        raise EnvelopeError(f"{service}: body is not JSON ({exc}); starts with {head!r}") from None
    if isinstance(doc, dict):
        if "data" not in doc:
            raise SchemaChangeError(
                f"{service}: object answer without a data field (keys: {sorted(doc)[:8]})"
            )
        doc = doc["data"]
    if doc is None or doc == []:
        raise NotPublishedError(f"{label}: not published yet (empty answer)")
    if not isinstance(doc, list):
        raise SchemaChangeError(f"{service}: rows are a JSON {json_type(doc)}, expected an array")
    try:
        rows = _ROWS[service].validate_python(doc, strict=True)
    except ValidationError as exc:
        raise translate(exc, service) from None
    drift = sorted(collect_drift(rows), key=lambda d: d.path)
    if mode == "freeze":
        refuse_drift(drift, service)
    if service == RANKING_SERVICE:
        if all(r.TONG_SCORE is None for r in rows):
            raise NotPublishedError(f"{label}: not published yet (every TONG_SCORE is empty)")
        if scope is not None:
            for i, r in enumerate(rows, start=1):
                code = r.MA_COQUAN
                if code != scope and not code.startswith(f"{scope}."):
                    raise WrongScopeError(
                        f"{service}: row {i} is unit {code!r}, not in the province asked for ({scope})"
                    )
    return LegacyBody(service, tuple(rows), tuple(drift))


__all__ = ["LegacyBody", "parse_legacy", "parse_legacy_body"]
