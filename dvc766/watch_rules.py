"""The daily watch's rules and their thresholds: the seed file ``dvc766/reference/watch_rules.csv``.

Why a seed and not constants in SQL: the thresholds are the province's choice (766-HaNoi flags a fall of
0.5 points in a day, three days of decline, groups under 50 % and 70 %), so they live in one table an
analyst reads and a province may replace (``DVC766_WATCH_RULES``: a CSV of the same columns; the rules
it leaves out keep the packaged thresholds). The warehouse loads them as ``seed_watch_rule`` and
``rpt_watch_finding`` applies them, so each finding can be traced to the threshold that made it fire.
The rules themselves (what each compares) are documented in docs/watch.md.

Columns: ``rule_code``; ``priority`` (1 first: the digest shows at most three findings, the most
important first); ``threshold`` and its ``threshold_unit``; ``days`` (DECLINE_STREAK: watches in a row)
and ``min_count`` (OVERDUE_RISING: more overdue dossiers at least), empty for the other rules;
``label_vi`` (the finding's title in the digest); ``what`` (the rule in English).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

SEED_FILE = "watch_rules.csv"
RULE_CODES = ("RANK_LOST", "DAILY_FALL", "DECLINE_STREAK", "OVERDUE_RISING", "GROUP_BELOW_MAX")
NEEDS = {"DECLINE_STREAK": "days", "OVERDUE_RISING": "min_count"}


class WatchRulesError(ValueError):
    """A rules file that cannot be used: one line naming the file, row and column."""


@dataclass(frozen=True)
class WatchRule:
    rule_code: str
    priority: int
    threshold: float
    threshold_unit: str
    days: int | None
    min_count: int | None
    label_vi: str
    what: str


def _number(text: str, where: str, kind: type, *, nullable: bool = False) -> float | int | None:
    if nullable and text.strip() == "":
        return None
    try:
        value = kind(text)
    except ValueError:
        raise WatchRulesError(
            f"{where}: {text!r} is not {'a whole number' if kind is int else 'a number'}"
        ) from None
    if not math.isfinite(value) or value < 0:
        raise WatchRulesError(f"{where}: {text!r} must be zero or more")
    return value


def parse_rules(text: str, source: str = SEED_FILE) -> dict[str, WatchRule]:
    """The rows of a rules CSV, checked: known codes, numbers where numbers go, each once."""
    reader = csv.DictReader(io.StringIO(text))
    expected = [f.name for f in fields(WatchRule)]
    if reader.fieldnames is None or [c.strip() for c in reader.fieldnames] != expected:
        raise WatchRulesError(f"{source}: columns {reader.fieldnames} differ from {expected}")
    out: dict[str, WatchRule] = {}
    for line, row in enumerate(reader, start=2):
        code = (row.get("rule_code") or "").strip()
        where = f"{source} line {line} ({code or 'no rule_code'})"
        if code not in RULE_CODES:
            raise WatchRulesError(f"{where}: unknown rule; the rules are {', '.join(RULE_CODES)}")
        if code in out:
            raise WatchRulesError(f"{where}: {code} is listed twice")
        rule = WatchRule(
            rule_code=code,
            priority=int(_number(row["priority"] or "", f"{where} priority", int) or 0),
            threshold=float(_number(row["threshold"] or "", f"{where} threshold", float) or 0.0),
            threshold_unit=(row["threshold_unit"] or "").strip(),
            days=_number(row["days"] or "", f"{where} days", int, nullable=True),  # type: ignore[arg-type]
            min_count=_number(row["min_count"] or "", f"{where} min_count", int, nullable=True),  # type: ignore[arg-type]
            label_vi=(row["label_vi"] or "").strip(),
            what=(row["what"] or "").strip(),
        )
        need = NEEDS.get(code)
        if need and not getattr(rule, need):
            raise WatchRulesError(f"{where}: {need} must be 1 or more for {code}")
        if not rule.label_vi:
            raise WatchRulesError(f"{where}: label_vi is required (the digest prints it)")
        out[code] = rule
    return out


def packaged_rules() -> dict[str, WatchRule]:
    text = resources.files("dvc766").joinpath("reference", SEED_FILE).read_text(encoding="utf-8")
    rules = parse_rules(text)
    missing = set(RULE_CODES) - set(rules)
    if missing:
        raise WatchRulesError(f"{SEED_FILE}: no row for {', '.join(sorted(missing))}")
    return rules


def load_rules(override: str | Path | None = None) -> dict[str, WatchRule]:
    """The packaged rules, with the rows of ``override`` (``DVC766_WATCH_RULES``) in their place."""
    rules = packaged_rules()
    if override:
        path = Path(override)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise WatchRulesError(
                f"DVC766_WATCH_RULES={str(path)!r}: cannot read it ({exc.strerror or exc})"
            ) from None
        rules.update(parse_rules(text, str(path)))
    return rules


def rules_table(override: str | Path | None = None) -> pa.Table:
    """The rules as an Arrow table, for the warehouse's ``seed_watch_rule``."""
    import pyarrow as pa  # the CLI checks a rules file without loading pyarrow

    schema = pa.schema(
        [
            ("rule_code", pa.string()),
            ("priority", pa.int32()),
            ("threshold", pa.float64()),
            ("threshold_unit", pa.string()),
            ("days", pa.int32()),
            ("min_count", pa.int32()),
            ("label_vi", pa.string()),
            ("what", pa.string()),
        ]
    )
    rows = [asdict(r) for r in sorted(load_rules(override).values(), key=lambda r: r.priority)]
    return pa.Table.from_pylist(rows, schema=schema)
