"""The v1 API's known response shapes, and the validation every v1 body passes before it is used.

Why so strict: the portal changes without notice, and a renamed or new field silently read as
"missing" would publish wrong figures. So every field of every endpoint is listed here (from
shared/portal/v1-api.md §4 and the real bodies in shared/portal/v1/), and a body with an unknown
field, a missing required field, or a value of the wrong JSON type fails with a SchemaChangeError
naming the endpoint and the field path (``evaluation/dvc-progress-tree: unknown field
children[].totalLate``). A body for another province fails with WrongScopeError; an empty or
all-null period fails with NotPublishedError, so nothing is ever landed as zeros.

Figures are typed as nullable: the portal writes ``null`` for "no data", which is not a change of
shape. Identity and structure fields (IDs, names, codes, lists) are not nullable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, overload

from dvc766.provinces import is_safe_unit_code, province_by_code, provinces
from flows.capture import Capture, parse_body
from flows.errors import EnvelopeError, NotPublishedError, SchemaChangeError, WrongScopeError

# --- a tiny type language for JSON shapes ---------------------------------------------------------


@dataclass(frozen=True)
class Scalar:
    kind: str  # "str" | "int" | "num" | "bool" | "any"


@dataclass(frozen=True)
class Nullable:
    inner: Any


@dataclass(frozen=True)
class Arr:
    item: Any


@dataclass(frozen=True)
class Obj:
    required: dict[str, Any]
    optional: dict[str, Any]

    def merged(self, required: dict[str, Any] | None = None, optional: dict[str, Any] | None = None) -> Obj:
        return Obj({**self.required, **(required or {})}, {**self.optional, **(optional or {})})


STR, INT, NUM, ANY = Scalar("str"), Scalar("int"), Scalar("num"), Scalar("any")
NSTR, NINT, NNUM = Nullable(STR), Nullable(INT), Nullable(NUM)


def obj(required: dict[str, Any] | None = None, optional: dict[str, Any] | None = None) -> Obj:
    return Obj(dict(required or {}), dict(optional or {}))


# --- shared pieces -----------------------------------------------------------------------------------

PAGINATION = obj({"total": INT, "currentPage": INT, "pageSize": INT, "totalPages": INT})

METRIC = obj(
    {
        "code": STR,
        "name": STR,
        "numerator": NINT,
        "denominator": NINT,
        "ratio": NNUM,
        "score": NNUM,
        "maxScore": NINT,
    },
    {"dataQualityStatus": NSTR, "dataQualityMessage": NSTR},
)

# Shape A row (transparency, handling-satisfaction, dossier-digitized): overview and evaluation[].
_SHAPE_A_ROW = obj(
    {
        "stt": NINT,
        "departmentId": STR,
        "departmentName": STR,
        "departmentType": STR,
        "departmentLevel": STR,
        "agencyLevel": STR,
        "totalScore": NNUM,
        "totalMaxScore": NINT,
        "ratio": NNUM,
        "scoreDelta": NNUM,
        "metrics": Arr(METRIC),
    }
)
# The overview's identity fields may be null in national mode ("Cả nước" has no ID or code).
_SHAPE_A_OVERVIEW = _SHAPE_A_ROW.merged(
    {"departmentId": NSTR, "departmentType": NSTR, "departmentLevel": NSTR, "agencyLevel": NSTR}
)

_TRANSPARENCY_EXTRA_OPT = {"departmentCode": NSTR}  # absent in every capture; tolerated if it appears
_SATISFACTION_EXTRA = {
    "totalPetitions": NINT,
    "classifiedPetitions": NINT,
    "totalDossiers": NINT,
    "averageScore": NNUM,
}

TRANSPARENCY = obj(
    {
        "overview": _SHAPE_A_OVERVIEW.merged(optional={**_TRANSPARENCY_EXTRA_OPT, "averageScore": NNUM}),
        "evaluation": Arr(_SHAPE_A_ROW.merged(optional={**_TRANSPARENCY_EXTRA_OPT, "averageScore": NNUM})),
        "pagination": PAGINATION,
        "source": STR,
    },
    # Present ([]) in the month sample; never seen non-empty, so its items are not checked.
    {"monthlyChart": Arr(ANY)},
)

SATISFACTION = obj(
    {
        "overview": _SHAPE_A_OVERVIEW.merged(_SATISFACTION_EXTRA, _TRANSPARENCY_EXTRA_OPT),
        "evaluation": Arr(_SHAPE_A_ROW.merged(_SATISFACTION_EXTRA, _TRANSPARENCY_EXTRA_OPT)),
        "pagination": PAGINATION,
        "source": STR,
    }
)

DIGITIZED = obj(
    {
        "overview": _SHAPE_A_OVERVIEW.merged({"departmentCode": NSTR}),
        "evaluation": Arr(_SHAPE_A_ROW.merged({"departmentCode": STR})),
        "pagination": PAGINATION,
        "source": STR,
    }
)

# Shape B (the three *-tree endpoints): parent + children[].
_TREE_PARENT_ID = {"departmentId": NSTR, "departmentName": STR, "departmentCode": NSTR}
_TREE_CHILD_ID = {
    "departmentId": STR,
    "departmentName": STR,
    "departmentCode": STR,
    "level": STR,
    "scoreDelta": NNUM,
}

PROGRESS_TREE = obj(
    {
        "parent": obj(
            {
                **_TREE_PARENT_ID,
                "totalReceived": NINT,
                "totalOnTime": NINT,
                "totalCompleted": NINT,
                "avgProcessingDays": NNUM,
                "ratio": NNUM,
                "totalScore": NNUM,
                "totalMaxScore": NINT,
            }
        ),
        "children": Arr(
            obj(
                {
                    **_TREE_CHILD_ID,
                    "totalReceived": NINT,
                    "totalOnTime": NINT,
                    "totalOverdue": NINT,
                    "avgProcessingDays": NNUM,
                    "ratio": NNUM,
                    "score": NNUM,
                    "maxScore": NINT,
                }
            )
        ),
    },
    {"monthlyChart": Arr(obj({"month": STR, "onTimePct": NNUM, "overduePct": NNUM}))},
)

_ONLINE_PARENT_COUNTS = {
    k: NINT
    for k in (
        "authorityCount",
        "partialCount",
        "fullCount",
        "onlineDossierCount",
        "onlineServiceTotal",
        "channelOnlineSum",
        "channelDirectSum",
        "channelPostalSum",
        "channelTotalSum",
        "onlineOnTimeSum",
        "onlineOverdueSum",
    )
}
ONLINE_TREE = obj(
    {
        "parent": obj(
            {
                **_TREE_PARENT_ID,
                "totalScore": NNUM,
                "totalMaxScore": NINT,
                "ratio": NNUM,
                **_ONLINE_PARENT_COUNTS,
            }
        ),
        "children": Arr(obj({**_TREE_CHILD_ID, "totalScore": NNUM, "totalMaxScore": NINT, "ratio": NNUM})),
    },
    {"monthlyChart": Arr(obj({"label": STR, "onlineDossierPct": NNUM}))},
)

_PAYMENT_FIGURES = {
    "totalMaxScore": NINT,
    "totalScore": NNUM,
    "ratio": NNUM,
    "totalDossierOnlinePaymentSuccess": NINT,
    "totalDossierFinancialObligation": NINT,
    "totalDossierOnlineFormalityPaymentSuccess": NINT,
    "totalFeeDossierFormalityDistinct": NINT,
    "totalFeeDossierFormality": NINT,
    "totalFeeFormality": NINT,
}
PAYMENT_TREE = obj(
    {
        "parent": obj({**_TREE_PARENT_ID, **_PAYMENT_FIGURES}),
        "children": Arr(obj({**_TREE_CHILD_ID, **_PAYMENT_FIGURES})),
    }
)

# service-results (summary shape).
_DONUT_ITEM = obj({"code": STR, "name": STR, "value": NINT, "percent": NNUM})
_SR_ROW = {
    "departmentId": STR,
    "departmentName": STR,
    "departmentCode": STR,
    "totalScore": NNUM,
    "ratio": NNUM,
    "scoreDelta": NNUM,
}
GROUP_CODES = ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH")


def _service_results(national: bool) -> Obj:
    row = (
        obj({**_SR_ROW, "groupScores": obj({c: NNUM for c in GROUP_CODES})})
        if national
        else obj({**_SR_ROW, "childGroup": STR})
    )
    return obj(
        {
            "overview": obj(
                {
                    "departmentName": STR,
                    "departmentCode": NSTR,
                    "totalScore": NNUM,
                    "ratio": NNUM,
                    "totalMaxScore": NINT,
                }
            ),
            "growthPercent": NNUM,
            "radar": Arr(obj({"code": STR, "name": STR, "score": NNUM, "maxScore": NINT, "ratio": NNUM})),
            "donuts": obj(
                {"onlineDossier": Nullable(Arr(_DONUT_ITEM)), "onlineProvision": Nullable(Arr(_DONUT_ITEM))}
            ),
            "evaluation": Arr(row),
            "monthlyChart": Arr(obj({"month": STR, "averageScore": NNUM})),
            "dossierChart": Arr(obj({"month": STR, "onTimePct": NNUM, "overduePct": NNUM})),
        }
    )


FORMALITIES = obj(
    {
        "items": Arr(
            obj(
                {
                    "id": STR,
                    "code": STR,
                    "name": STR,
                    "state": STR,
                    "departmentId": NSTR,
                    "publishingDepartmentIds": Arr(STR),
                    "appliedDepartmentIds": Arr(STR),
                }
            )
        ),
        "pagination": PAGINATION,
    }
)

ENVELOPE_KEYS = ("code", "data", "message")

# endpoint → (schema of data, key of the province row, key of the unit rows)
_SHAPES: dict[str, tuple[Any, str | None, str | None]] = {
    "evaluation/transparency": (TRANSPARENCY, "overview", "evaluation"),
    "evaluation/handling-satisfaction": (SATISFACTION, "overview", "evaluation"),
    "evaluation/dossier-digitized": (DIGITIZED, "overview", "evaluation"),
    "evaluation/dvc-progress-tree": (PROGRESS_TREE, "parent", "children"),
    "evaluation/provide-online-tree": (ONLINE_TREE, "parent", "children"),
    "evaluation/formality-online-payment-tree": (PAYMENT_TREE, "parent", "children"),
    "evaluation/service-results": (None, "overview", "evaluation"),  # schema depends on the mode
    "formalities": (FORMALITIES, None, "items"),
}
KNOWN_ENDPOINTS = tuple(_SHAPES)
# Constants and counters that are filled even when a period has no data: ignored when deciding
# whether a body is "all null".
_NOT_FIGURES = frozenset({"totalMaxScore", "maxScore", "stt"})


def canonical_endpoint(endpoint: str) -> str:
    """Accept ``dvc-progress-tree`` or ``evaluation/dvc-progress-tree``; return the full name."""
    name = endpoint.strip().strip("/")
    if name in _SHAPES:
        return name
    if f"evaluation/{name}" in _SHAPES:
        return f"evaluation/{name}"
    raise SchemaChangeError(f"unknown v1 endpoint {endpoint!r}; known: {', '.join(KNOWN_ENDPOINTS)}")


# --- the checker --------------------------------------------------------------------------------------


# Exact Python types that certainly fit a scalar kind (bool is not an int here): a cheap first test.
_EXACT_TYPES: dict[str, frozenset[type]] = {
    "str": frozenset({str}),
    "num": frozenset({int, float}),
    "int": frozenset({int}),
    "bool": frozenset({bool}),
}


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "any":
        return True
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "int":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind == "num":
        return isinstance(value, int | float)
    raise AssertionError(f"unknown scalar kind {kind}")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _expected_name(spec: Any) -> str:
    if isinstance(spec, Nullable):
        return f"{_expected_name(spec.inner)} or null"
    if isinstance(spec, Scalar):
        return {"str": "string", "int": "integer", "num": "number", "any": "any", "bool": "boolean"}[
            spec.kind
        ]
    return "array" if isinstance(spec, Arr) else "object"


def check_shape(endpoint: str, spec: Any, value: Any, path: str = "") -> None:
    """Raise SchemaChangeError at the first field of ``value`` that does not fit ``spec``."""
    where = path or "data"
    if isinstance(spec, Nullable):
        if value is None:
            return
        spec = spec.inner
    if isinstance(spec, Scalar):
        if not _type_ok(spec.kind, value):
            raise SchemaChangeError(
                f"{endpoint}: field {where} is {_json_type(value)} ({value!r:.40}), expected {_expected_name(spec)}"
            )
        return
    if isinstance(spec, Arr):
        if not isinstance(value, list):
            raise SchemaChangeError(f"{endpoint}: field {where} is {_json_type(value)}, expected array")
        for item in value:
            check_shape(endpoint, spec.item, item, f"{path}[]")
        return
    if not isinstance(value, dict):
        raise SchemaChangeError(f"{endpoint}: field {where} is {_json_type(value)}, expected object")
    prefix = f"{path}." if path else ""
    for key in value:
        if key not in spec.required and key not in spec.optional:
            raise SchemaChangeError(f"{endpoint}: unknown field {prefix}{key}")
    for key in spec.required:
        if key not in value:
            raise SchemaChangeError(f"{endpoint}: missing field {prefix}{key}")
    for key, item in value.items():
        sub = spec.required.get(key, spec.optional.get(key))
        # Fast path for the leaves (most of a body): a fitting scalar or a null where null is allowed
        # needs no recursion and no path string; anything else recurses and reports the same error.
        leaf = sub.inner if type(sub) is Nullable else sub
        if (item is None and leaf is not sub) or (
            type(leaf) is Scalar
            and (type(item) in _EXACT_TYPES.get(leaf.kind, ()) or _type_ok(leaf.kind, item))
        ):
            continue
        check_shape(endpoint, sub, item, f"{prefix}{key}")


def _all_null(value: Any) -> bool:
    """True when every figure (number) in ``value`` is null; names, codes and constants are ignored."""
    if value is None:
        return True
    if isinstance(value, dict):
        return all(_all_null(v) for k, v in value.items() if k not in _NOT_FIGURES)
    if isinstance(value, list):
        return all(_all_null(v) for v in value)
    return not isinstance(value, int | float) or isinstance(value, bool)


def _decode(endpoint: str, body: bytes | str) -> Any:
    try:
        doc = parse_body(body) if isinstance(body, bytes) else json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        head = (body[:60] if isinstance(body, bytes) else body[:60].encode()).decode("utf-8", "replace")
        raise EnvelopeError(f"{endpoint}: body is not JSON ({exc}); starts with {head!r}") from None
    if not isinstance(doc, dict):
        raise EnvelopeError(
            f"{endpoint}: body is a JSON {_json_type(doc)}, expected the {{code,data,message}} envelope"
        )
    code = doc.get("code")
    if code != "OK":
        raise EnvelopeError(f"{endpoint}: portal answered code={code!r}: {doc.get('message')!r}")
    for key in doc:
        if key not in ENVELOPE_KEYS:
            raise SchemaChangeError(f"{endpoint}: unknown field {key} in the envelope")
    for key in ENVELOPE_KEYS:
        if key not in doc:
            raise SchemaChangeError(f"{endpoint}: missing field {key} in the envelope")
    if not isinstance(doc["message"], str):
        raise SchemaChangeError(f"{endpoint}: field message is {_json_type(doc['message'])}, expected string")
    return doc["data"]


def _check_scope(
    endpoint: str, data: dict[str, Any], head_key: str | None, rows_key: str | None, expected_code: str | None
) -> None:
    rows = (data.get(rows_key) or []) if rows_key else []
    if expected_code is None:
        # National mode: every row must be a province, not a unit below one. After July 2025 these
        # are the 34; a ranking of an earlier year lists the 63 pre-merger provinces, whose codes we
        # only learn from the answer itself, so a province-level code (no dot) is what is required.
        known_ids = {p.department_id for p in provinces()}
        for i, row in enumerate(rows):
            code = row.get("departmentCode")
            if code is not None and ("." in code or not is_safe_unit_code(code)):
                raise WrongScopeError(f"{endpoint}: national row {i + 1} has unknown province code {code!r}")
            if code is None and row.get("departmentId") not in known_ids:
                raise WrongScopeError(
                    f"{endpoint}: national row {i + 1} has unknown province departmentId {row.get('departmentId')!r}"
                )
        return
    province = province_by_code().get(expected_code)
    head = data.get(head_key) if head_key else None
    if head_key and isinstance(head, dict):
        code = head.get("departmentCode")
        if code is not None:
            if code != expected_code:
                raise WrongScopeError(
                    f"{endpoint}: body is for {code!r}, not the province asked for ({expected_code})"
                )
        elif (
            "departmentId" in head
            and province is not None
            and head.get("departmentId") != province.department_id
        ):
            raise WrongScopeError(
                f"{endpoint}: body is for departmentId {head.get('departmentId')!r}, "
                f"not {expected_code} ({province.department_id})"
            )
        elif code is None and "departmentId" not in head:
            raise WrongScopeError(f"{endpoint}: body names no province; expected {expected_code}")
    for row in rows:
        code = row.get("departmentCode")
        if code is not None and not code.startswith(f"{expected_code}."):
            raise WrongScopeError(
                f"{endpoint}: unit {code!r} is not under the province asked for ({expected_code})"
            )


@overload
def validate_v1(capture: Capture, expected_code: str | None = None, /) -> Any: ...
@overload
def validate_v1(
    endpoint: str, body: bytes | str, expected_code: str | None = None, /, *, period: str = ""
) -> Any: ...


def validate_v1(subject: Capture | str, *args: Any, period: str = "") -> Any:
    """Check one v1 body and return its ``data``.

    Two call forms: ``validate_v1(capture, expected_code)`` (the architecture contract; the period
    label comes from the capture) and ``validate_v1(endpoint, body_bytes, expected_code)``.
    ``expected_code`` is the province asked for (``"H44"``), or None for a national request.
    Raises EnvelopeError, SchemaChangeError, WrongScopeError or NotPublishedError.
    """
    if isinstance(subject, Capture):
        endpoint, body = subject.endpoint, subject.body
        expected_code = args[0] if args else (None if subject.scope == "national" else subject.scope)
        period = period or subject.period.key
    else:
        endpoint, body = subject, args[0]
        expected_code = args[1] if len(args) > 1 else None
    endpoint = canonical_endpoint(endpoint)
    schema, head_key, rows_key = _SHAPES[endpoint]
    if schema is None:
        schema = _service_results(national=expected_code is None)
    data = _decode(endpoint, body)
    label = f"{endpoint} {period}".strip()
    if data is None:
        raise NotPublishedError(f"{label}: not published yet (data is null)")
    if not isinstance(data, dict):
        raise SchemaChangeError(f"{endpoint}: field data is {_json_type(data)}, expected object")
    if endpoint != "formalities":
        rows = data.get(rows_key)
        head = data.get(head_key) if head_key else None
        figures_null = _all_null(head) and _all_null(rows)
        if (not rows and (head is None or _all_null(head))) or (rows and figures_null):
            raise NotPublishedError(f"{label}: not published yet (empty or all-null {rows_key})")
    check_shape(endpoint, schema, data)
    if endpoint != "formalities":
        _check_scope(endpoint, data, head_key, rows_key, expected_code)
    return data
