"""What every source contract shares: value types with the domain's rules, drift, error translation.

A *contract* is the typed model of one source's answers (``flows.sources.v1``,
``flows.sources.legacy``). A body is parsed into it once; the client's fetch-time check, the
normaliser and ``reland`` all read the same parsed object, so a body is judged the same way
everywhere. Three outcomes, after dlt's schema contracts:

* **schema change** — a known field is missing or has another JSON type, or the envelope/endpoint is
  unknown: :class:`~flows.errors.SchemaChangeError` naming the field path
  (``evaluation/dvc-progress-tree: missing field children[3].totalOnTime``). The body is kept raw and
  nothing is built from it.
* **drift** — a field the contract does not know appears. In ``record`` mode (the default) the known
  fields are used and the new ones are reported (:class:`Drift`, landed as ``schema_drift`` rows and
  printed in the run summary); in ``freeze`` mode drift is a schema change.
* **quarantine** — the shape is right but a value cannot be real (negative count, NaN, a number
  above 1e15, a ratio above 100, a score above its maximum, an unsafe unit code):
  :class:`~flows.errors.QuarantineError`, raised by the value types below.

The parse is strict: a key twice in one object (``totalReceived`` twice, ``data`` twice) makes the
body malformed (:class:`~flows.errors.MalformedBodyError`), where JSON parsers keep the last value
silently (:func:`refuse_duplicate_keys`).

Names are :data:`Text`: control characters (a NUL, a line break, a bidirectional override) are
removed, not quarantined (:mod:`dvc766.text` says why); the raw body keeps them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from dvc766.provinces import is_safe_unit_code, normalise_code
from dvc766.text import printable
from flows.errors import MalformedBodyError, PortalError, QuarantineError, SchemaChangeError

DRIFT_MODES = ("record", "freeze")
# The largest figure a real body can carry (counts of dossiers are below 10^9); beyond 2^53 a count
# is not even exact in a double, beyond 2^63 it does not fit the landing's int64 columns.
NUMBER_LIMIT = 1e15
RATIO_LIMIT = 100.005  # ratios are rounded to two decimals by the portal
SCORE_SLACK = 0.005


class Model(BaseModel):
    """Base of every contract model: strict JSON types (a number sent as a string is a retype, not
    something to coerce) and unknown fields kept aside as drift instead of failing the body."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


def quarantine(message: str, value: Any) -> PydanticCustomError:
    return PydanticCustomError("quarantine", "{value}: {message}", {"message": message, "value": repr(value)})


def _unit_code(v: str) -> str:
    code = normalise_code(v)
    if not is_safe_unit_code(code):
        raise quarantine("not a unit code this project can key on", v)
    return code


# The numeric rules are pydantic-core constraints (checked in Rust, a month's 239 bodies hold ~10^6
# numbers); :func:`translate` names a breach as a quarantine. A count must be a JSON integer: the
# portal writes integers without a decimal point (v1-api.md §1), so ``20.0`` is a retype.
Number = Annotated[float | None, Field(ge=0, le=NUMBER_LIMIT, allow_inf_nan=False)]  # days, points
Ratio = Annotated[float | None, Field(ge=0, le=RATIO_LIMIT, allow_inf_nan=False)]  # a percentage
Signed = Annotated[float | None, Field(allow_inf_nan=False)]  # a change, may be negative
Count = Annotated[int | None, Field(ge=0, le=int(NUMBER_LIMIT))]
MaxScore = Annotated[int | None, Field(ge=0)]
UnitCode = Annotated[str, AfterValidator(_unit_code)]
# A name or label from the portal: printable text only (dvc766.text.printable).
Text = Annotated[str, AfterValidator(printable)]

# pydantic-core's constraint errors that mean "a value the portal should never send".
_QUARANTINE_TYPES = {
    "greater_than_equal": "negative",
    "finite_number": "not a finite number",
}


def _constraint_message(error: dict[str, Any]) -> str | None:
    kind = error["type"]
    value = error.get("input")
    if kind == "int_type" and isinstance(value, float):
        # NaN, infinity, 1.5, -3.0 or 1e300 where a count belongs: the shape is right (a number), the
        # value cannot be real. A whole float in range (20.0) is a retype, left to the caller.
        if not math.isfinite(value):
            return "not a finite number"
        if not value.is_integer():
            return "a count that is not a whole number"
        if value < 0:
            return "negative"
        if value > NUMBER_LIMIT:
            return f"a number too large to be real (above {NUMBER_LIMIT:g})"
    if kind in _QUARANTINE_TYPES:
        return _QUARANTINE_TYPES[kind]
    if kind == "less_than_equal":
        limit = (error.get("ctx") or {}).get("le")
        if limit == RATIO_LIMIT:
            return "a percentage above 100"
        return f"a number too large to be real (above {NUMBER_LIMIT:g})"
    return None


def check_score(score: float | None, max_score: float | None, field: str) -> None:
    """Raise (inside a model validator) when a score exceeds its maximum."""
    if score is not None and max_score is not None and score > max_score + SCORE_SLACK:
        raise quarantine(f"{field} above its maximum {max_score:g}", score)


# --- drift -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """A field the contract does not know, seen in one body (path with ``[]`` for array items)."""

    path: str
    example: str  # the first value seen, shortened

    def line(self, endpoint: str) -> str:
        return f"{endpoint}: new field {self.path} (e.g. {self.example})"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def collect_drift(node: Any, path: str = "") -> list[Drift]:
    """Every unknown field under ``node`` (a parsed model, or lists of them), once per path."""
    seen: dict[str, Drift] = {}
    for item in _walk(node, path):
        seen.setdefault(item.path, item)
    return list(seen.values())


_NESTED: dict[type, tuple[str, ...]] = {}


def _nested_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of a model class that can hold models (objects or lists of them): the only ones a
    walk for unknown fields needs to enter. Leaf models (a metric, a tree child) have none."""
    names = _NESTED.get(cls)
    if names is None:
        names = tuple(name for name, f in cls.model_fields.items() if _holds_model(f.annotation))
        _NESTED[cls] = names
    return names


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(a) for a in getattr(annotation, "__args__", ()))


def _walk(node: Any, path: str) -> Iterator[Drift]:
    if isinstance(node, BaseModel):
        extra = node.__pydantic_extra__
        if extra:
            for key, value in extra.items():
                yield Drift(f"{path}.{key}" if path else key, _short(value))
        for name in _nested_fields(type(node)):
            value = getattr(node, name)
            if value is not None:
                yield from _walk(value, f"{path}.{name}" if path else name)
    elif isinstance(node, list):
        sub = f"{path}[]"
        for item in node:
            if not isinstance(item, BaseModel):
                continue
            if _nested_fields(type(item)):
                yield from _walk(item, sub)
            elif item.__pydantic_extra__:  # a leaf model (a tree child, a metric): only its own extras
                for key, value in item.__pydantic_extra__.items():
                    yield Drift(f"{sub}.{key}", _short(value))


# --- strict parse: no key twice in one object --------------------------------------------------------

_FIELDS_SET = attrgetter("__pydantic_fields_set__")
_EXTRA = attrgetter("__pydantic_extra__")
_PLAIN: dict[type, tuple[str, ...]] = {}


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _refuse_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return out


def duplicate_key(body: bytes | str) -> str | None:
    """The first key found twice in one object of the JSON ``body`` (None: none, or not JSON)."""
    try:
        json.loads(body, object_pairs_hook=_refuse_pairs)
    except _Duplicate as dup:
        return dup.key
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return None


def duplicate_key_error(body: bytes | str, label: str) -> MalformedBodyError | None:
    key = duplicate_key(body)
    if key is None:
        return None
    return MalformedBodyError(
        f"{label}: malformed body: key {key!r} appears twice in one object (which value is meant "
        "cannot be known; a parser keeps either)"
    )


def loads_strict(text: str, label: str) -> Any:
    """``json.loads`` that refuses a key twice in one object (:class:`MalformedBodyError`); for the
    bodies parsed in Python anyway (the legacy gateway's rows), where the check costs a dict each."""
    try:
        return json.loads(text, object_pairs_hook=_refuse_pairs)
    except _Duplicate as dup:
        raise MalformedBodyError(
            f"{label}: malformed body: key {dup.key!r} appears twice in one object (which value is "
            "meant cannot be known; a parser keeps either)"
        ) from None


def _plain_keys(value: Any) -> int:
    """Keys of every object in a plain JSON value (dicts and lists, as json/pydantic give them)."""
    if isinstance(value, dict):
        return len(value) + sum(map(_plain_keys, value.values()))
    if isinstance(value, list):
        return sum(map(_plain_keys, value))
    return 0


def _plain_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """Fields that hold untyped JSON (``list[Any]``): their objects are dicts, counted as such."""
    names = _PLAIN.get(cls)
    if names is None:
        names = tuple(
            name
            for name, f in cls.model_fields.items()
            if name not in _nested_fields(cls) and "Any" in str(f.annotation)
        )
        _PLAIN[cls] = names
    return names


def _model_keys(items: list[Any]) -> int:
    """Distinct keys of the objects a list of models of one class was read from, and all below them.

    Level by level with C-speed maps (one Python step per class and field, not per object): a month's
    239 bodies hold ~100,000 objects: walked object by object the count cost 8 % of their parse, level
    by level 4 % (0.03 s of 0.78 s CPU; benchmarks/README.md)."""
    cls = type(items[0])
    n = sum(map(len, map(_FIELDS_SET, items)))
    for extra in filter(None, map(_EXTRA, items)):
        n += len(extra) + sum(map(_plain_keys, extra.values()))
    for name in _plain_fields(cls):
        n += sum(map(_plain_keys, map(attrgetter(name), items)))
    for name in _nested_fields(cls):
        below = list(filter(None, map(attrgetter(name), items)))  # None and [] hold no keys
        if below and isinstance(below[0], list):
            below = list(chain.from_iterable(below))
        if below:
            n += _model_keys(below) if isinstance(below[0], BaseModel) else _plain_keys(below)
    return n


def distinct_keys(parsed: Any) -> int:
    """How many distinct keys the objects of a parsed body hold (a model, a list of them, or JSON)."""
    if isinstance(parsed, BaseModel):
        return _model_keys([parsed])
    if isinstance(parsed, list) and parsed and isinstance(parsed[0], BaseModel):
        return _model_keys(parsed)
    return _plain_keys(parsed)


def refuse_duplicate_keys(body: bytes, parsed: Any, label: str) -> None:
    """Raise :class:`MalformedBodyError` when a key appears twice in one object of ``body``.

    Why not a second parse: every key of a JSON body is followed by exactly one ``:``, and a ``:``
    elsewhere can only sit inside a string, so the body's colons are at least its keys, which are at
    least the distinct keys the parse kept. When the colons equal the distinct keys no key can be
    doubled — a count at C speed (~4 % of the parse). Only when they differ (a key twice, or a colon
    inside a name) is the body read again, exactly, with Python's json.
    """
    if body.count(b":") == distinct_keys(parsed):
        return
    error = duplicate_key_error(body, label)
    if error is not None:
        raise error


# --- errors ------------------------------------------------------------------------------------------


def field_path(loc: tuple[int | str, ...], root: str = "") -> str:
    """``("data", "children", 3, "totalOnTime")`` → ``children[3].totalOnTime`` (below ``root``)."""
    parts = list(loc)
    if root and parts and parts[0] == root:
        parts = parts[1:]
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif p in ("function-after[]", "function-before[]") or str(p).startswith(("function-", "nullable[")):
            continue
        else:
            out += f".{p}" if out else str(p)
    return out or root or "body"


def json_type(value: Any) -> str:
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


_EXPECTED = {
    "int_type": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "list_type": "an array",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "dict_type": "an object",
    "bool_type": "a boolean",
}


def translate(exc: ValidationError, label: str, capture: Any = None, root: str = "") -> PortalError:
    """The first problem of a failed parse as one of our errors, naming the field path."""
    errors = exc.errors(include_url=False)
    bad = [e for e in errors if e["type"] == "quarantine" or _constraint_message(e)]
    first = bad[0] if bad else errors[0]
    path = field_path(first["loc"], root)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    kind = first["type"]
    if kind == "quarantine":
        return QuarantineError(f"{label}: field {path} = {first['msg']}{more}", capture)
    if _constraint_message(first):
        value = first.get("input")
        return QuarantineError(
            f"{label}: field {path} = {value!r}: {_constraint_message(first)}{more}", capture
        )
    if kind == "missing":
        return SchemaChangeError(f"{label}: missing field {path}{more}", capture)
    if kind == "literal_error":
        return SchemaChangeError(
            f"{label}: field {path} has an unknown value {first['input']!r}{more}", capture
        )
    value = first.get("input")
    if kind not in _EXPECTED:  # a rule of a model (a value that contradicts another, a format)
        return SchemaChangeError(f"{label}: field {path}: {first['msg']}{more}", capture)
    return SchemaChangeError(
        f"{label}: field {path} is {json_type(value)} ({_short(value)}), expected {_EXPECTED[kind]}{more}",
        capture,
    )


def check_mode(mode: str) -> str:
    if mode not in DRIFT_MODES:
        raise ValueError(f"schema drift mode {mode!r}: expected one of {', '.join(DRIFT_MODES)}")
    return mode


def refuse_drift(drift: list[Drift], label: str, capture: Any = None) -> None:
    """Freeze mode: a new field is a schema change."""
    if drift:
        names = ", ".join(d.path for d in drift[:5])
        raise SchemaChangeError(
            f"{label}: unknown field {names} (schema drift refused: freeze mode)", capture
        )
