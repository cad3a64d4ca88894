"""The v1 API's contract: one entry point from a capture to typed data, used by fetch, normalise, reland.

``parse_v1(capture, drift_mode)`` decodes the envelope and the body in one pass (pydantic-core reads
the bytes straight into the models of :mod:`flows.sources.v1.models`), then checks what a type
cannot: that no key appears twice in one object (pydantic-core, like most parsers, would silently
keep the last: :func:`flows.sources.contract.refuse_duplicate_keys`), that the period is published
(not empty or all-null), that the body answers the request (the province in ``overview``/``parent``
and every child's code belong to the scope asked for) and that its charts report no month outside
the period asked (:mod:`flows.sources.v1.period`). The result is cached on the body's bytes, so the
client's check at fetch time and the landing step share one parse.

Why pydantic: it is already in the lock (through Prefect), its Rust core parses JSON into strict
models faster than ``json.loads`` plus a Python walk, and its error locations give the field path
a schema change must name. Unknown fields are kept (``extra="allow"``) and reported as drift.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ValidationError, create_model

from dvc766.indicators import BY_CODE
from dvc766.provinces import is_safe_unit_code, province_by_code, provinces, split_scope
from flows.capture import Capture
from flows.errors import EnvelopeError, NotPublishedError, PortalError, SchemaChangeError, WrongScopeError
from flows.gc_policy import gc_paused
from flows.sources.contract import (
    Drift,
    check_mode,
    collect_drift,
    duplicate_key_error,
    json_type,
    refuse_drift,
    refuse_duplicate_keys,
    translate,
)
from flows.sources.v1 import models as m
from flows.sources.v1.period import check_period
from flows.sources.v1.settings import (
    DIGITIZED,
    FORMALITIES,
    FORMALITY_FILTER,
    KNOWN_ENDPOINTS,
    ONLINE_TREE,
    PAYMENT_TREE,
    PROGRESS_TREE,
    SATISFACTION,
    SERVICE_RESULTS,
    TRANSPARENCY,
    canonical_endpoint,
)

# endpoint → (model of data, key of the province row, key of the unit rows)
_SHAPES: dict[str, tuple[type[BaseModel], str | None, str]] = {
    TRANSPARENCY: (m.Transparency, "overview", "evaluation"),
    SATISFACTION: (m.Satisfaction, "overview", "evaluation"),
    DIGITIZED: (m.Digitized, "overview", "evaluation"),
    PROGRESS_TREE: (m.ProgressTree, "parent", "children"),
    ONLINE_TREE: (m.OnlineTree, "parent", "children"),
    PAYMENT_TREE: (m.PaymentTree, "parent", "children"),
    FORMALITIES: (m.Formalities, None, "items"),
}
# Constants filled even when a period has no data: ignored when deciding "all null".
_NOT_FIGURES = frozenset({"totalMaxScore", "maxScore", "stt"})


def _envelope(model: type[BaseModel]) -> type[BaseModel]:
    return create_model(f"{model.__name__}Envelope", __base__=m.Envelope, data=(model | None, ...))


_ENVELOPES: dict[tuple[str, bool], type[BaseModel]] = {
    (ep, False): _envelope(shape[0]) for ep, shape in _SHAPES.items()
}
_ENVELOPES[(SERVICE_RESULTS, True)] = _envelope(m.ServiceResultsNational)
_ENVELOPES[(SERVICE_RESULTS, False)] = _envelope(m.ServiceResultsProvince)
for _ep in _SHAPES:
    _ENVELOPES[(_ep, True)] = _ENVELOPES[(_ep, False)]


@dataclass(frozen=True)
class V1Body:
    """One parsed v1 answer. ``data`` is the endpoint's model; ``head``/``rows`` its province row and
    unit rows; ``drift`` the fields the contract does not know; ``formality_id`` the procedure filter
    of a per-procedure request (None for a unit's own figures)."""

    endpoint: str
    national: bool
    data: Any
    drift: tuple[Drift, ...]
    formality_id: str | None = None

    @property
    def head(self) -> Any:
        key = _SHAPES.get(self.endpoint, (None, "overview", ""))[1]
        return getattr(self.data, key) if key else None

    @property
    def rows(self) -> list[Any]:
        key = _SHAPES.get(self.endpoint, (None, None, "evaluation"))[2]
        return getattr(self.data, key) or []

    @property
    def pagination(self) -> m.Pagination | None:
        return getattr(self.data, "pagination", None)


def endpoint_name(endpoint: str) -> str:
    """The full endpoint name, or SchemaChangeError for one the contract does not know."""
    name = canonical_endpoint(endpoint)
    if name is None:
        raise SchemaChangeError(f"unknown v1 endpoint {endpoint!r}; known: {', '.join(KNOWN_ENDPOINTS)}")
    return name


def formality_of(endpoint: str, request: dict[str, Any]) -> str | None:
    """The procedure filter a request carried (spelled as that endpoint spells it), if any."""
    key = FORMALITY_FILTER.get(endpoint)
    value = request.get(key) if key else None
    return value if isinstance(value, str) and value else None


def parse_v1(capture: Capture, drift_mode: str = "record") -> V1Body:
    """The capture's body as typed data; raises a PortalError (with ``.capture``) when unusable."""
    expected = None if capture.scope == "national" else split_scope(capture.scope)[0]
    try:
        parsed = parse_v1_body(
            capture.endpoint,
            capture.body,
            expected,
            period=capture.period.key,
            formality_id=formality_of(capture.endpoint, capture.request),
            drift_mode=drift_mode,
        )
        if parsed.endpoint != FORMALITIES:
            label = f"{parsed.endpoint} {capture.period.key}"
            check_period(parsed.endpoint, parsed.data, capture.period, capture.captured_at, label)
        return parsed
    except PortalError as exc:
        exc.capture = capture
        raise


def parse_v1_body(
    endpoint: str,
    body: bytes | str,
    expected_code: str | None = None,
    *,
    period: str = "",
    formality_id: str | None = None,
    drift_mode: str = "record",
) -> V1Body:
    """Parse one body; ``expected_code`` is the province asked for (``"H44"``), None for national."""
    raw = body.encode() if isinstance(body, str) else body
    with gc_paused():
        return _parse(
            endpoint_name(endpoint), raw, expected_code, period, formality_id, check_mode(drift_mode)
        )


@lru_cache(maxsize=64)
def _parse(
    endpoint: str, body: bytes, expected: str | None, period: str, formality_id: str | None, mode: str
) -> V1Body:
    national = expected is None
    label = f"{endpoint} {period}".strip()
    try:
        doc = _ENVELOPES[(endpoint, national)].model_validate_json(body)
    except ValidationError as exc:
        raise _explain(exc, endpoint, label, body) from None
    refuse_duplicate_keys(body, doc, endpoint)
    if doc.code != "OK":
        raise EnvelopeError(f"{endpoint}: portal answered code={doc.code!r}: {doc.message!r}")
    drift = sorted(_strip_data(collect_drift(doc) + _unknown_metrics(doc.data)), key=lambda d: d.path)
    if mode == "freeze":
        refuse_drift(drift, endpoint)
    if doc.data is None:
        raise NotPublishedError(f"{label}: not published yet (data is null)")
    parsed = V1Body(endpoint, national, doc.data, tuple(drift), formality_id)
    if endpoint != FORMALITIES:
        _check_published(parsed, label)
        _check_scope(parsed, expected)
    return parsed


def _unknown_metrics(data: Any) -> list[Drift]:
    """A metric code the catalogue does not know is a new field of the body in all but syntax."""
    out: dict[str, Drift] = {}
    for key in ("overview", "evaluation"):
        node = getattr(data, key, None)
        for row in node if isinstance(node, list) else [node]:
            for metric in getattr(row, "metrics", None) or []:
                known = BY_CODE.get(metric.code)
                if known is None or known.is_group:
                    base = "data.overview" if key == "overview" else "data.evaluation[]"
                    path = f"{base}.metrics[code={metric.code}]"
                    out.setdefault(path, Drift(path, repr(metric.score)))
    return list(out.values())


def _strip_data(drift: list[Drift]) -> list[Drift]:
    """Drift paths below ``data`` are named from ``data`` down, as the API documents them."""
    return [Drift(d.path.removeprefix("data."), d.example) for d in drift]


def _explain(exc: ValidationError, endpoint: str, label: str, body: bytes) -> PortalError:
    """Name a failed parse: not JSON, a non-OK envelope, not published, or the field that changed."""
    first = exc.errors(include_url=False)[0]
    duplicated = duplicate_key_error(body, endpoint)
    if duplicated is not None:  # the shape may have failed on the value that came second
        return duplicated
    if first["type"] == "json_invalid" or first["type"] == "json_type":
        head = body[:60].decode("utf-8", "replace")
        return EnvelopeError(f"{endpoint}: body is not JSON ({first['msg']}); starts with {head!r}")
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        return EnvelopeError(f"{endpoint}: body is not UTF-8 JSON ({err})")
    if not isinstance(doc, dict):
        return EnvelopeError(
            f"{endpoint}: body is a JSON {json_type(doc)}, expected the {{code,data,message}} envelope"
        )
    if doc.get("code") != "OK":
        return EnvelopeError(f"{endpoint}: portal answered code={doc.get('code')!r}: {doc.get('message')!r}")
    data = doc.get("data")
    if isinstance(data, dict) and _raw_all_null(data):
        return NotPublishedError(f"{label}: not published yet (empty or all-null)")
    return translate(exc, endpoint, root="data")


def _raw_all_null(value: Any) -> bool:
    """On an unparsed body: True when no figure (number) is set; names and constants are ignored."""
    if value is None:
        return True
    if isinstance(value, dict):
        return all(_raw_all_null(v) for k, v in value.items() if k not in _NOT_FIGURES)
    if isinstance(value, list):
        return all(_raw_all_null(v) for v in value)
    return not isinstance(value, int | float) or isinstance(value, bool)


def _any_figure(node: Any) -> bool:
    """On a parsed body: True when some figure is set (a number, not a constant like maxScore)."""
    if node is None:
        return False
    if isinstance(node, list):
        return any(_any_figure(x) for x in node)
    if isinstance(node, BaseModel):
        for name, value in node.__dict__.items():
            if name in _NOT_FIGURES:
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                return True
            if isinstance(value, BaseModel | list) and _any_figure(value):
                return True
    return False


def _check_published(parsed: V1Body, label: str) -> None:
    head, rows = parsed.head, parsed.rows
    if not _any_figure(head) and not _any_figure(rows):
        raise NotPublishedError(f"{label}: not published yet (empty or all-null)")


def _check_scope(parsed: V1Body, expected: str | None) -> None:
    endpoint, rows, head = parsed.endpoint, parsed.rows, parsed.head
    if expected is None:
        # National mode: every row must be a province, not a unit below one. After July 2025 these
        # are the 34; a ranking of an earlier year lists the 63 pre-merger provinces, whose codes
        # are only learnt from the answer, so a province-level code (no dot) is what is required.
        known_ids = {p.department_id for p in provinces()}
        for i, row in enumerate(rows):
            code = getattr(row, "departmentCode", None)
            if code is not None and ("." in code or not is_safe_unit_code(code)):
                raise WrongScopeError(f"{endpoint}: national row {i + 1} has unknown province code {code!r}")
            if code is None and row.departmentId not in known_ids:
                raise WrongScopeError(
                    f"{endpoint}: national row {i + 1} has unknown province departmentId {row.departmentId!r}"
                )
        return
    province = province_by_code().get(expected)
    if head is not None:
        code = getattr(head, "departmentCode", None)
        uid = getattr(head, "departmentId", None)
        if code is not None:
            if code != expected:
                raise WrongScopeError(
                    f"{endpoint}: body is for {code!r}, not the province asked for ({expected})"
                )
        elif uid is None:
            raise WrongScopeError(f"{endpoint}: body names no province; expected {expected}")
        elif province is not None and uid != province.department_id:
            raise WrongScopeError(
                f"{endpoint}: body is for departmentId {uid!r}, not {expected} ({province.department_id})"
            )
    for row in rows:
        code = getattr(row, "departmentCode", None)
        if code is not None and not code.startswith(f"{expected}."):
            raise WrongScopeError(
                f"{endpoint}: unit {code!r} is not under the province asked for ({expected})"
            )


__all__ = [
    "V1Body",
    "endpoint_name",
    "formality_of",
    "parse_v1",
    "parse_v1_body",
]
