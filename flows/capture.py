"""One portal response as it came: the byte-exact body plus what was asked and when.

This is the hand-off between the clients (which produce captures) and the raw store and normaliser
(which keep and read them). Nothing here touches the network or the disk.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cached_property, lru_cache
from typing import Any

from dvc766.periods import Period

APIS = ("v1", "legacy")


@dataclass(frozen=True)
class Capture:
    api: str  # "v1" | "legacy"
    endpoint: str  # "evaluation/dvc-progress-tree", "formalities", "report_tinh_766_service", ...
    request: dict[str, Any]  # JSON body sent (v1) or the decoded ``params`` JSON (legacy)
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    captured_at: datetime  # timezone-aware UTC: the response's Date header, else the local clock
    scope: str  # "national" or a unit code such as "H55" (legacy pre-merger: the old province's code)
    period: Period  # the period the request asked for (ytd for month-end snapshots)
    run_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def sha256(self) -> str:
        """Hashed once per capture (the raw store, the capture id and every landing row use it); the
        body of a frozen capture never changes, and ``dataclasses.replace`` makes a new one."""
        return hashlib.sha256(self.body).hexdigest()

    @property
    def capture_id(self) -> str:
        """Unique and sortable: capture time then a hash prefix; safe as a file name."""
        return f"{self.captured_at.astimezone(UTC):%Y%m%dT%H%M%SZ}_{self.sha256[:12]}"

    def json(self) -> Any:
        return parse_body(self.body)

    def meta(self) -> dict[str, Any]:
        """The manifest record for this capture (everything but the body)."""
        return {
            "capture_id": self.capture_id,
            "api": self.api,
            "endpoint": self.endpoint,
            "request": self.request,
            "url": self.url,
            "status": self.status,
            "headers": self.headers,
            "captured_at": self.captured_at.astimezone(UTC).isoformat(),
            "scope": self.scope,
            "period_type": self.period.period_type,
            "period_key": self.period.key,
            "sha256": self.sha256,
            "size": len(self.body),
            "run_id": self.run_id,
            "extra": self.extra,
        }


def captured_time(headers: dict[str, str], fallback: datetime | None = None) -> datetime:
    """Capture time from the HTTP ``Date`` header (the portal's clock), else the local clock."""
    for k, v in headers.items():
        if k.lower() == "date":
            try:
                return parsedate_to_datetime(v).astimezone(UTC)
            except (TypeError, ValueError):
                break
    return (fallback or datetime.now(UTC)).astimezone(UTC)


def capture_from_response(
    api: str,
    endpoint: str,
    request: dict[str, Any],
    result: Any,
    *,
    scope: str,
    period: Period,
    run_id: str,
    extra: dict[str, Any] | None = None,
) -> Capture:
    """The Capture of one HTTP answer (``result``: a ``flows.portal_http.HttpResult``), timed by its
    ``Date`` header. One constructor for both clients, so v1 and legacy captures cannot drift apart."""
    return Capture(
        api=api,
        endpoint=endpoint,
        request=request,
        url=result.url,
        status=result.status,
        headers=dict(result.headers),
        body=result.body,
        captured_at=captured_time(result.headers),
        scope=scope,
        period=period,
        run_id=run_id,
        extra={**(extra or {}), "attempts": result.attempts},
    )


@lru_cache(maxsize=32)
def parse_body(body: bytes) -> Any:
    """The body's JSON, parsed once: the client validates it, then the landing step resolves unit
    IDs and normalises it, all from the same bytes object (bytes cache their hash, so a hit costs an
    identity check). Callers must treat the result as read-only. Invalid UTF-8 or JSON raises
    ``UnicodeDecodeError`` / ``ValueError`` and is not cached."""
    return json.loads(body.decode("utf-8"))
