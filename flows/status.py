"""``dvc766 status``: what the published warehouse holds, what is late against the schedule, how the
last runs went — read-only, in well under a second, with or without a Prefect server.

Why it exists: the data engineer's first question after a weekend is "did the schedule do its job?".
The answer needs three things no single tool holds: the published file (the latest month and month
end per province, opened read-only), the schedule's windows (:mod:`dvc766.schedule`: a month is due by
the 10th of the next month, a month end on its own day), and the runs (the data folder's run log,
:mod:`flows.run_log`, written wherever a flow ran; and Prefect's own record when its API answers within
a second — a scheduled run Prefect marks *Late* means nothing was serving).

Exit code: 0 when nothing is late; 1 when a month or a month end is late or missed, or nothing is
published yet; 2 on bad input (``--now``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dvc766.periods import VN_TZ, Period
from dvc766.provinces import provinces
from dvc766.schedule import (
    MONTHLY_DEADLINE_DAY,
    MONTHLY_OPENS_DAY,
    SNAPSHOT_STARTS,
    ScheduleError,
    is_last_day,
    month_due,
    month_end_due,
    monthly_deadline,
    parse_now,
)
from dvc766.settings import Settings
from flows import run_log

RUNS_SHOWN = 8
PREFECT_TIMEOUT_S = 1.0
FLOW_NAMES = ["monthly", "month-end-snapshot", "backfill", "backfill-fanout", "drilldown"]


@dataclass
class Holding:
    """The latest month and month end the published warehouse holds for one province."""

    code: str
    name: str
    month: str | None = None
    month_end: str | None = None


@dataclass
class Status:
    now: datetime
    warehouse: Path
    built: str = ""  # when and how the published file was built
    error: str = ""  # why the warehouse could not be read
    holdings: list[Holding] = field(default_factory=list)
    late: list[str] = field(default_factory=list)  # lines: late or missed against the schedule
    notes: list[str] = field(default_factory=list)  # lines: windows open now, due today

    @property
    def ok(self) -> bool:
        return not self.late and not self.error


def read_holdings(path: Path) -> tuple[list[Holding], str]:
    """Per province of the 34: the latest month and the latest captured month end (``ytd``) in the
    published file, opened read-only; and a line on how the file was built.

    A province holds a period when the figures of its own units (agencies, communes) are there: those
    come only from the province's own requests, whereas the national ranking alone gives every
    province a total score even when its own requests failed."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            """
            select province_code, period_type, max(period_end) as last_end
            from fct_unit_score
            where period_type in ('month', 'ytd') and not derived and unit_code <> province_code
            group by province_code, period_type
            """
        ).fetchall()
        try:
            info = con.execute(
                "select built_at, build_mode, checks_passed, checks_run from _build_info"
            ).fetchone()
        except duckdb.Error:
            info = None
    finally:
        con.close()
    latest: dict[tuple[str, str], Any] = {(r[0], r[1]): r[2] for r in rows}
    out = []
    for p in provinces():
        month = latest.get((p.code, "month"))
        ytd = latest.get((p.code, "ytd"))
        out.append(
            Holding(
                p.code,
                p.name.removeprefix("UBND "),
                Period.month(month.year, month.month).key if month else None,
                Period("ytd", ytd.year, ytd.month).key if ytd else None,
            )
        )
    built = ""
    if info:
        at = info[0].astimezone(VN_TZ) if info[0] else None
        built = (
            f"built {at:%Y-%m-%d %H:%M} Vietnam time ({info[1]}; checks {info[2]}/{info[3]} passed)"
            if at
            else ""
        )
    return out, built


def _key_of(period_key: str | None) -> tuple[int, int]:
    if not period_key:
        return (0, 0)
    p = Period.from_key(period_key)
    return (p.year, p.number)


def _codes(holdings: list[Holding]) -> str:
    codes = [h.code for h in holdings]
    return ", ".join(codes) if len(codes) <= 8 else f"{', '.join(codes[:8])} (+{len(codes) - 8})"


def judge(now: datetime, holdings: list[Holding]) -> tuple[list[str], list[str]]:
    """(late lines, notes) against the schedule at ``now`` (Vietnam time)."""
    today = now.astimezone(VN_TZ).date()
    late: list[str] = []
    notes: list[str] = []
    due = month_due(today)
    behind = [h for h in holdings if _key_of(h.month) < (due.year, due.number)]
    if behind:
        last_day = (monthly_deadline(due) - timedelta(seconds=1)).date()
        only = "" if len(behind) == len(holdings) else f" --provinces {','.join(h.code for h in behind)}"
        late.append(
            f"LATE month {due.key} (due by the end of {last_day:%d/%m/%Y}): {len(behind)} of "
            f"{len(holdings)} provinces lack it ({_codes(behind)}) — `dvc766 run --month {due.key}{only}` "
            "(what is landed is skipped)"
        )
    current = Period.month(today.year, today.month).previous_month()
    if current != due and today.day >= MONTHLY_OPENS_DAY:
        waiting = [h for h in holdings if _key_of(h.month) < (current.year, current.number)]
        if waiting:
            notes.append(
                f"month {current.key}: its window is open until the end of the {MONTHLY_DEADLINE_DAY}th "
                f"(the schedule tries every 6 h); {len(waiting)} provinces do not have it yet"
            )
    ytd_due = month_end_due(now)
    missed = [h for h in holdings if _key_of(h.month_end) < (ytd_due.year, ytd_due.number)]
    if missed:
        late.append(
            f"MISSED month end {ytd_due.key} (its day, {ytd_due.end:%d/%m/%Y}, has ended): {len(missed)} of "
            f"{len(holdings)} provinces lack it ({_codes(missed)}) — it can never be taken later; the "
            "warehouse derives the additive figures from the months (marked derived)"
        )
    if is_last_day(today):
        notes.append(
            f"today is a month end: the snapshot {Period('ytd', today.year, today.month).key} is due at "
            f"{SNAPSHOT_STARTS:%H:%M} and retried until midnight"
        )
    return late, notes


def status(settings: Settings, now: datetime) -> Status:
    st = Status(now=now, warehouse=settings.warehouse_path)
    if not st.warehouse.is_file():
        st.error = f"no published warehouse at {st.warehouse}: run `dvc766 run` (or `make demo`)"
        return st
    try:
        st.holdings, st.built = read_holdings(st.warehouse)
    except Exception as exc:  # a file that is not a warehouse, or one being replaced
        st.error = f"the published warehouse {st.warehouse} cannot be read: {type(exc).__name__}: {exc}"
        return st
    st.late, st.notes = judge(now, st.holdings)
    return st


def _prefect_api() -> str | None:
    """PREFECT_API_URL, else the local server ``dvc766 prefect-server`` started (its state file) —
    found without importing Prefect, which would cost seconds."""
    url = os.environ.get("PREFECT_API_URL")
    if url:
        return url.rstrip("/")
    home = Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser()
    try:
        return str(json.loads((home / "dvc766-server.json").read_text(encoding="utf-8"))["url"]).rstrip("/")
    except (OSError, ValueError, KeyError, TypeError):
        return None


def prefect_runs(api: str, limit: int = RUNS_SHOWN) -> list[str]:
    """The last flow runs of dvc766's flows that Prefect holds (Late ones included; the upcoming ones
    the schedule has created are not runs yet), newest first."""
    headers = {"Content-Type": "application/json"}
    key = os.environ.get("PREFECT_API_KEY")
    if key:
        headers["Authorization"] = f"Bearer {key}"

    def post(path: str, body: dict[str, Any]) -> Any:
        req = urllib.request.Request(api + path, json.dumps(body).encode(), headers, method="POST")
        with urllib.request.urlopen(req, timeout=PREFECT_TIMEOUT_S) as r:
            return json.loads(r.read())

    flows = post("/flows/filter", {"flows": {"name": {"any_": FLOW_NAMES}}, "limit": 50})
    names = {f["id"]: f["name"] for f in flows}
    if not names:
        return []
    runs = post(
        "/flow_runs/filter",
        {
            "flows": {"id": {"any_": list(names)}},
            "flow_runs": {"expected_start_time": {"before_": datetime.now(UTC).isoformat()}},
            "sort": "EXPECTED_START_TIME_DESC",
            "limit": limit,
        },
    )
    out = []
    for run in runs:
        when = run.get("start_time") or run.get("expected_start_time") or ""
        with contextlib.suppress(ValueError):
            when = f"{datetime.fromisoformat(when).astimezone(VN_TZ):%Y-%m-%d %H:%M}"
        state = (run.get("state") or {}).get("name") or run.get("state_name") or "?"
        out.append(f"  {when}  {names.get(run.get('flow_id'), '?')}/{run.get('name')}: {state}")
    return out


def run_lines(settings: Settings, limit: int = RUNS_SHOWN) -> list[str]:
    out = []
    for rec in reversed(run_log.read(settings)[-limit:]):
        try:
            when = f"{datetime.fromisoformat(rec['logged_at']).astimezone(VN_TZ):%Y-%m-%d %H:%M}"
        except (KeyError, ValueError, TypeError):
            when = "?"
        periods = ", ".join(rec.get("periods") or [])
        line = f"  {when}  {rec.get('flow', '?')} {periods}: {rec.get('outcome', '?')}".rstrip()
        why = (
            rec.get("missed")
            or rec.get("stopped")
            or "; ".join(rec.get("failed") or [])
            or rec.get("waiting")
        )
        if why:
            line += f" — {why[:160]}"
        if rec.get("alert"):
            sent, failed = len(rec.get("notified") or []), len(rec.get("notify_failed") or [])
            if sent or failed:
                line += f" [alert {rec['alert']}: sent to {sent} channel(s)" + (
                    f", {failed} failed]" if failed else "]"
                )
            else:
                line += f" [alert {rec['alert']}: not sent — {rec.get('notify_skipped') or 'no channel'}]"
        out.append(line)
    return out


def render(st: Status, settings: Settings, prefect: list[str] | None, prefect_note: str) -> list[str]:
    out = [f"dvc766 status at {st.now:%Y-%m-%d %H:%M} (Vietnam time)"]
    if st.error:
        out.append(st.error)
    else:
        out.append(f"warehouse: {st.warehouse}" + (f", {st.built}" if st.built else ""))
        months = {h.month for h in st.holdings if h.month}
        ends = {h.month_end for h in st.holdings if h.month_end}
        out.append(
            f"latest month: {max(months, key=_key_of) if months else 'none'}; "
            f"latest month end: {max(ends, key=_key_of) if ends else 'none'}"
        )
        out.append(f"  {'province':<26} {'month':<8} month end")
        for h in st.holdings:
            out.append(f"  {h.code + ' ' + h.name:<26.26} {h.month or '-':<8} {h.month_end or '-'}")
        out.extend(st.late or ["nothing is late against the schedule"])
        out.extend(st.notes)
    runs = run_lines(settings)
    out.append(
        f"last runs ({run_log.log_path(settings)}):"
        if runs
        else "last runs: none recorded in the data folder yet"
    )
    out.extend(runs)
    if prefect is not None:
        out.append(prefect_note)
        out.extend(prefect or ["  no dvc766 flow runs recorded there"])
    elif prefect_note:
        out.append(prefect_note)
    return out


def cmd_status(args: argparse.Namespace) -> int:
    """``dvc766 status [--now YYYY-MM-DDTHH:MM]``."""
    from dvc766.cli import UserError

    settings = Settings.from_env()
    try:
        now = parse_now(getattr(args, "now", None))
    except ScheduleError as exc:
        raise UserError(str(exc)) from None
    st = status(settings, now)
    prefect: list[str] | None = None
    note = ""
    api = None if getattr(args, "no_prefect", False) else _prefect_api()
    if api:
        try:
            prefect = prefect_runs(api)
            note = f"Prefect ({api}), last runs:"
        except Exception as exc:  # unreachable, slow or refusing: the rest of the status stands
            note = f"Prefect ({api}) not reachable within {PREFECT_TIMEOUT_S:.0f} s: {type(exc).__name__}"
    print("\n".join(render(st, settings, prefect, note)))
    return 0 if st.ok else 1
