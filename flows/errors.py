"""Exceptions raised while talking to the portal; each names its cause in words an engineer can act on."""

from __future__ import annotations


class PortalError(Exception):
    """A request did not yield usable data. ``capture`` holds the body when one was received."""

    kind = "error"

    def __init__(self, message: str, capture: object | None = None) -> None:
        super().__init__(message)
        self.capture = capture


class TransientError(PortalError):
    """5xx, timeout, reset, truncated body: worth retrying."""

    kind = "transient"


class BlockedError(PortalError):
    """403/406/429 or a WAF 'Request Rejected' HTML page: counts toward the circuit breaker."""

    kind = "blocked"


class CircuitOpenError(PortalError):
    """Too many blocks in one run: the run stops instead of hammering the portal."""

    kind = "circuit_open"


class EnvelopeError(PortalError):
    """The v1 envelope is not ``{"code":"OK",...}`` or the body is not the JSON expected."""

    kind = "envelope"


class MalformedBodyError(EnvelopeError):
    """JSON that two parsers may read two ways: a key twice in one object (``totalReceived`` twice,
    ``data`` twice). Which value the portal meant is unknowable, so the body is used for nothing."""

    kind = "malformed"


class SchemaChangeError(PortalError):
    """An unknown or missing field, endpoint or value format: the portal changed shape."""

    kind = "schema_change"


class WrongScopeError(PortalError):
    """The body describes another province than the one asked for."""

    kind = "wrong_scope"


class WrongPeriodError(PortalError):
    """The body reports figures for months outside the period asked for (a tree's ``monthlyChart``,
    service-results' charts): an answer for another period, which must not land as the one asked."""

    kind = "wrong_period"


class NotPublishedError(PortalError):
    """The period answers empty or all-null: not published yet; nothing is landed as zeros."""

    kind = "not_published"


class QuarantineError(SchemaChangeError):
    """A value the portal should never send (unsafe unit code, negative count, NaN, ratio over 100,
    numerator above denominator): the body is kept in the raw store for inspection, nothing built
    from it is landed. A subclass of SchemaChangeError so callers that stop on schema changes stop
    on these too."""

    kind = "quarantine"
