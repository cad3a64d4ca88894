"""Normalise one capture into the landing datasets: a pure function, no I/O.

``normalise(capture, id_to_code=None, drift_mode="record") -> {dataset: pyarrow.Table}`` with
exactly the schemas of :mod:`dvc766.landing_schema` (an empty table where a capture has no rows of
that kind). Each body is read through its source's contract (:mod:`flows.sources`), the same parse
the client made at fetch time: a missing or retyped field is a SchemaChangeError naming its path, an
impossible value a QuarantineError, a new field drift (``schema_drift`` rows; refused in ``freeze``
mode). ``null`` stays ``None`` (never 0).

``id_to_code``: the transparency and handling-satisfaction endpoints do not return
``departmentCode`` on their rows, only the ``departmentId`` UUID. Units are keyed on codes, never on
names, and a pure function cannot look codes up elsewhere, so the caller passes a UUID → code map;
:func:`build_id_to_code` builds it from the other captures of the same batch (the tree endpoints and
dossier-digitized carry both). ``flows.landing.write_batch`` and ``reland`` do this. Rows whose code
cannot be resolved are dropped and counted in one warning per capture.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pyarrow as pa

from dvc766.provinces import province_by_code
from flows.capture import Capture
from flows.errors import PortalError, SchemaChangeError
from flows.normalise_legacy import normalise_legacy
from flows.normalise_v1 import normalise_v1
from flows.sources.legacy import parse_legacy
from flows.sources.v1 import parse_v1


def normalise(
    capture: Capture, id_to_code: Mapping[str, str] | None = None, drift_mode: str = "record"
) -> dict[str, pa.Table]:
    """The landing rows one capture yields; raises a PortalError subclass for a body we cannot trust."""
    if capture.api == "v1":
        return normalise_v1(capture, id_to_code, drift_mode)
    if capture.api == "legacy":
        return normalise_legacy(capture, drift_mode)
    raise SchemaChangeError(f"unknown api {capture.api!r} in capture {capture.capture_id}", capture)


def drift_of(capture: Capture, drift_mode: str = "record") -> list[str]:
    """The fields of a capture's body its contract does not know, as summary lines (none when the
    body does not parse: its rejection says why)."""
    try:
        body = parse_v1(capture, drift_mode) if capture.api == "v1" else parse_legacy(capture, drift_mode)
    except PortalError:
        return []
    return [d.line(capture.endpoint) for d in body.drift]


def build_id_to_code(captures: Iterable[Capture]) -> dict[str, str]:
    """UUID → unit code from every row in the captures that carries both, plus the 34 provinces.

    Bodies that do not parse are skipped here: their own normalisation reports them.
    """
    out = {p.department_id: p.code for p in province_by_code().values()}
    for c in captures:
        if c.api != "v1":
            continue
        try:
            body = parse_v1(c)
        except PortalError:
            continue
        for row in (body.head, *body.rows):
            uid, code = getattr(row, "departmentId", None), getattr(row, "departmentCode", None)
            if isinstance(uid, str) and isinstance(code, str):
                out.setdefault(uid, code)
    return out
