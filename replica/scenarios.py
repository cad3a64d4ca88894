"""Scenario folders: pinned real bodies served byte-for-byte in place of generated data.

Why: generated data is consistent but invented; a scenario pins what the portal really answered (the
captured samples, the Thái Nguyên appendix figures), optionally only between two times on the
replica's clock, so "the same request answered differently on 2026-09-17 and 2026-10-10" can be
replayed.

``scenario.json``: ``{"strict": false, "entries": [{"api": "v1"|"legacy", "endpoint": ...,
"match": {subset of the request's fields}, "status": 201, "body_file": "relative/path.json",
"from": optional time, "until": optional time, "content_type": optional}], "shocks": [...]}``. The
first matching entry of the first folder wins; with ``strict: true`` an unmatched request gets 404.
``shocks`` (optional) change the generated counts from a time on (:mod:`replica.shocks`); the shocks of
every folder apply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from replica.clock import ClockError, parse_now
from replica.shocks import Shock, ShockError, parse_shocks

SCENARIOS_DIR = Path(__file__).resolve().parent / "scenarios"


class ScenarioError(ValueError):
    """A scenario folder or file that cannot be used."""


@dataclass(frozen=True)
class Entry:
    api: str
    endpoint: str
    match: dict
    status: int
    body: bytes
    body_file: Path
    valid_from: datetime | None
    valid_until: datetime | None
    content_type: str

    def applies(self, api: str, endpoint: str, request: dict, now: datetime) -> bool:
        if api != self.api or endpoint != self.endpoint:
            return False
        if self.valid_from is not None and now < self.valid_from:
            return False
        if self.valid_until is not None and now >= self.valid_until:
            return False
        return all(k in request and _same(request[k], v) for k, v in self.match.items())


def _same(a: object, b: object) -> bool:
    """Request values match loosely on type: the legacy gateway sends ``"2025"`` and ``2025`` alike."""
    if a == b:
        return True
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return False
    return str(a) == str(b)


def _time(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_now(str(value))
    except ClockError:
        raise ScenarioError(f"{where}: {value!r} is not a time like 2026-10-01T00:00") from None


@dataclass(frozen=True)
class Scenario:
    folder: Path
    strict: bool
    entries: tuple[Entry, ...]
    shocks: tuple[Shock, ...] = ()


def load_scenario(folder: str | Path) -> Scenario:
    """Load a folder and every body file it names, so a bad scenario fails at start, not mid-test."""
    path = Path(folder)
    if not path.is_dir():
        named = SCENARIOS_DIR / str(folder)
        if named.is_dir():
            path = named
        else:
            raise ScenarioError(f"scenario folder {folder} does not exist")
    doc_path = path / "scenario.json"
    if not doc_path.is_file():
        raise ScenarioError(f"scenario folder {folder} has no scenario.json")
    try:
        doc = json.loads(doc_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{doc_path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
        raise ScenarioError(f"{doc_path} must be an object with an 'entries' list")
    entries = []
    for i, raw in enumerate(doc["entries"]):
        where = f"{doc_path} entry {i}"
        if not isinstance(raw, dict):
            raise ScenarioError(f"{where} is not an object")
        api = raw.get("api")
        if api not in ("v1", "legacy"):
            raise ScenarioError(f"{where}: api must be 'v1' or 'legacy'")
        endpoint = str(raw.get("endpoint", "")).removeprefix("/api/v1/reporting/")
        if not endpoint:
            raise ScenarioError(f"{where}: endpoint is missing")
        body_file = raw.get("body_file")
        if not body_file:
            raise ScenarioError(f"{where}: body_file is missing")
        body_path = (path / body_file).resolve()
        if not body_path.is_file():
            raise ScenarioError(f"{where}: body file {body_file} does not exist in {path}")
        match = raw.get("match", {})
        if not isinstance(match, dict):
            raise ScenarioError(f"{where}: match must be an object")
        status = raw.get("status", 201 if api == "v1" else 200)
        if not isinstance(status, int):
            raise ScenarioError(f"{where}: status must be an integer")
        entries.append(
            Entry(
                api=api,
                endpoint=endpoint,
                match=match,
                status=status,
                body=body_path.read_bytes(),
                body_file=body_path,
                valid_from=_time(raw.get("from"), where),
                valid_until=_time(raw.get("until"), where),
                content_type=raw.get("content_type", "application/json; charset=utf-8"),
            )
        )
    try:
        shocks = parse_shocks(doc.get("shocks"), str(doc_path))
    except ShockError as exc:
        raise ScenarioError(str(exc)) from None
    return Scenario(path, bool(doc.get("strict", False)), tuple(entries), shocks)


class Scenarios:
    """Several scenarios in order; the first match wins."""

    def __init__(self, folders: list[str | Path] | None = None) -> None:
        self.items = [load_scenario(f) for f in folders or []]

    @property
    def strict(self) -> bool:
        return any(s.strict for s in self.items)

    @property
    def shocks(self) -> tuple[Shock, ...]:
        return tuple(shock for s in self.items for shock in s.shocks)

    def find(self, api: str, endpoint: str, request: dict, now: datetime) -> Entry | None:
        for scenario in self.items:
            for entry in scenario.entries:
                if entry.applies(api, endpoint, request, now):
                    return entry
        return None
