"""The batch logic of the flows, without Prefect and without a network: fake clients, real raw store.

The fakes answer like the real clients (a Capture, or a PortalError carrying the rejected Capture);
the landing function is a fake that writes a file where write_batch would, so resumability is
judged on the same evidence as in production.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dvc766.periods import Period
from dvc766.provinces import merger_table
from dvc766.settings import Settings
from dvc766.storage import Store
from flows import tasks
from flows.capture import Capture
from flows.errors import (
    CircuitOpenError,
    NotPublishedError,
    SchemaChangeError,
    TransientError,
    WrongScopeError,
)
from flows.monthly import execute
from flows.plan import V1_PROVINCE_ENDPOINTS, request_count
from flows.raw_store import RawStore
from flows.snapshot import PortalClockLabel, snapshot_label, take_snapshot
from flows.summary import FAILED, NOT_PUBLISHED, OK, RELANDED, SKIPPED

VN = timedelta(hours=7)


class Portal:
    """Fake v1 + legacy clients sharing one request log and a programmable failure table."""

    def __init__(self, now: datetime | None = None) -> None:
        self.calls: list[tuple[str, str, str, str]] = []
        self.fail: dict[tuple[str, str], type[Exception]] = {}  # (endpoint, scope) -> error class
        self.now = now or datetime(2026, 11, 3, 6, 0, tzinfo=UTC)
        self.stats = {"requests": 0, "retries": 0, "blocks": 0, "bytes": 0}

    def _capture(self, api: str, endpoint: str, period: Period, scope: str, body: Any) -> Capture:
        self.stats["requests"] += 1
        n = len(self.calls)
        # legacy answers are bare arrays of rows; v1 bodies only need to differ from each other here
        raw = json.dumps(body if api == "legacy" else {"n": n, "body": body}).encode()
        when = self.now + timedelta(seconds=n)
        return Capture(
            api=api,
            endpoint=endpoint,
            request={"period": period.key},
            url=f"http://portal/{endpoint}",
            status=201,
            headers={"Date": when.strftime("%a, %d %b %Y %H:%M:%S GMT")},
            body=raw,
            captured_at=when,
            scope=scope,
            period=period,
        )

    def _answer(self, api: str, endpoint: str, period: Period, scope: str, body: Any) -> Capture:
        self.calls.append((api, endpoint, period.key, scope))
        cap = self._capture(api, endpoint, period, scope, body)
        err = self.fail.get((endpoint, scope)) or self.fail.get((endpoint, "*"))
        if err is CircuitOpenError:
            raise CircuitOpenError("circuit breaker open after 3 blocks")
        if err is TransientError:
            raise TransientError(f"{endpoint}: 503 after 4 attempts")
        if err is not None:
            raise err(f"{endpoint} {period.key} ({scope}): bad body", cap)
        return cap

    # V1Client interface
    def fetch(self, endpoint: str, period: Period, province: Any, *, run_id: str = "") -> Capture:
        scope = province.code if province else "national"
        return self._answer("v1", endpoint, period, scope, {"endpoint": endpoint})

    # LegacyClient interface
    def fetch_ranking(
        self, period: Period, tinh_id: str = "0", scope: str = "national", *, run_id: str = ""
    ) -> Capture:
        if tinh_id == "0":
            rows = legacy_national_rows(period)
        else:
            rows = [{"ID": "9" + tinh_id, "MA_COQUAN": f"{scope}.01", "TEN": "Sở X"}]
        return self._answer("legacy", "report_tinh_766_service", period, scope, rows)


def legacy_national_rows(period: Period) -> list[dict[str, str]]:
    """Old provinces before July 2025 (absorbed ones with codes of their own), the 34 after."""
    rows = []
    pre = (period.year, period.number) < (2025, 7)
    for i, m in enumerate(merger_table()):
        if pre:
            code = m.new_code if m.old_province == m.new_province else f"Z{i:02d}"
            rows.append({"ID": str(1000 + i), "MA_COQUAN": code, "TEN": f"UBND tỉnh {m.old_province}"})
        elif m.old_province == m.new_province:
            rows.append({"ID": str(1000 + i), "MA_COQUAN": m.new_code, "TEN": f"UBND tỉnh {m.new_province}"})
    return rows


class Landing:
    """Fake write_batch: records batches and writes a file where write_batch would."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[str]]] = []

    def __call__(self, settings: Settings, captures: list[Capture], batch_id: str) -> dict[str, int]:
        assert all(c.extra.get("batch_id") == batch_id for c in captures)
        store = Store(settings.data_dir)
        for rel in self.expected_files(captures, batch_id):
            store.write_bytes(rel, hashlib.sha256(batch_id.encode()).digest())
        self.batches.append((batch_id, [c.endpoint for c in captures]))
        return {"units_seen": len(captures)}

    @staticmethod
    def expected_files(captures: list[Capture], batch_id: str) -> set[str]:
        """The files this fake writes for a batch, so the 'fully landed' check can be asked."""
        return {
            f"landing/units_seen/period_type={c.period.period_type}/period_key={c.period.key}/"
            f"{c.scope}__{batch_id}.parquet"
            for c in captures
        }


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", pacing_s=0, jitter_s=0, v1_cutover="2026-01")


def make_ctx(settings: Settings, portal: Portal, landing: Landing) -> tasks.RunContext:
    return tasks.RunContext(
        settings, flow="test", session=portal, v1=portal, legacy=portal, raw=RawStore(settings), land=landing
    )


def run(settings: Settings, portal: Portal, periods: list[Period], codes: list[str], **kw: Any):
    landing = kw.pop("landing", None) or Landing()
    ctx = make_ctx(settings, portal, landing)
    return execute(
        "backfill", settings, periods, codes, build=False, use_prefect=False, ctx=ctx, **kw
    ), landing


JAN = Period.month(2026, 1)


def test_v1_month_asks_national_once_and_seven_views_per_province(settings: Settings) -> None:
    portal = Portal()
    summary, landing = run(settings, portal, [JAN], ["H55", "H44"])
    assert summary.ok
    national = [c for c in portal.calls if c[3] == "national"]
    assert national == [("v1", "evaluation/service-results", "2026-01", "national")]
    for code in ("H55", "H44"):
        assert [c[1] for c in portal.calls if c[3] == code] == list(V1_PROVINCE_ENDPOINTS)
    assert len(portal.calls) == request_count([JAN], ["H55", "H44"], settings) == 15
    assert len(landing.batches) == 3
    assert summary.requests == 15
    assert summary.rows_landed()["units_seen"] == 15
    # every capture is in the raw store with the batch it was landed in
    records = RawStore(settings).manifest()
    assert len(records) == 15
    landed = {b for b, _ in landing.batches}
    assert {r["extra"]["batch_id"] for r in records} == landed


def test_second_run_fetches_nothing_and_refresh_fetches_again(settings: Settings) -> None:
    portal = Portal()
    run(settings, portal, [JAN], ["H55"])
    first = len(portal.calls)
    summary, landing = run(settings, portal, [JAN], ["H55"])
    assert len(portal.calls) == first
    assert [b.status for b in summary.batches] == [SKIPPED, SKIPPED]
    assert landing.batches == []
    summary, landing = run(settings, portal, [JAN], ["H55"], refresh=True)
    assert len(portal.calls) == 2 * first
    assert [b.status for b in summary.batches] == [OK, OK]


def test_batch_captured_but_not_landed_is_landed_from_raw_without_fetching(settings: Settings) -> None:
    portal = Portal()

    class Killed(Exception):
        pass

    def die(*_a: Any) -> dict[str, int]:
        raise Killed("killed between raw and landing")

    ctx = make_ctx(settings, portal, die)  # type: ignore[arg-type]
    with pytest.raises(Killed):
        tasks.fetch_and_land_province(ctx, JAN, "H55")
    calls = len(portal.calls)
    landing = Landing()
    ctx = make_ctx(settings, portal, landing)
    out = tasks.fetch_and_land_province(ctx, JAN, "H55")
    assert out.status == RELANDED
    assert len(portal.calls) == calls
    assert landing.batches[0][1] == list(V1_PROVINCE_ENDPOINTS)


def test_batch_cut_off_mid_way_is_finished_under_its_own_id(settings: Settings) -> None:
    class Killed(BaseException):  # like SIGKILL: nothing in the batch gets to clean up
        pass

    portal = Portal()
    original = portal.fetch

    def dying_fetch(endpoint: str, period: Period, province: Any, *, run_id: str = "") -> Capture:
        if len(portal.calls) == 3:
            raise Killed()
        return original(endpoint, period, province, run_id=run_id)

    portal.fetch = dying_fetch  # type: ignore[method-assign]
    landing = Landing()
    with pytest.raises(Killed):
        tasks.fetch_and_land_province(make_ctx(settings, portal, landing), JAN, "H55")
    assert landing.batches == []
    first_batch = {r["extra"]["batch_id"] for r in RawStore(settings).manifest()}
    assert len(first_batch) == 1

    portal.fetch = original  # type: ignore[method-assign]
    out = tasks.fetch_and_land_province(make_ctx(settings, portal, landing), JAN, "H55")
    assert out.status == OK and {out.batch_id} == first_batch
    assert [c[1] for c in portal.calls[3:]] == list(V1_PROVINCE_ENDPOINTS[3:])  # only what was missing
    assert sorted(landing.batches[0][1]) == sorted(V1_PROVINCE_ENDPOINTS)  # the whole batch landed once


def test_failed_province_is_reported_and_the_others_still_land(settings: Settings) -> None:
    portal = Portal()
    portal.fail[("evaluation/dvc-progress-tree", "H44")] = WrongScopeError
    summary, landing = run(settings, portal, [JAN], ["H55", "H44"])
    assert not summary.ok
    by_scope = {b.scope: b for b in summary.batches}
    assert by_scope["H55"].status == OK
    assert by_scope["H44"].status == FAILED
    assert by_scope["H44"].cause.startswith("wrong_scope:")
    assert "H44 2026-01" in summary.failure_line() and "wrong_scope" in summary.failure_line()
    # H44's other six views are kept and landed; the rejected body is kept but not landed
    h44 = [eps for b, eps in landing.batches if "-H44-" in b][0]
    assert len(h44) == 6 and "evaluation/dvc-progress-tree" not in h44
    rejected = [r for r in RawStore(settings).manifest() if r["outcome"] != "ok"]
    assert [(r["scope"], r["outcome"]) for r in rejected] == [("H44", "rejected:wrong_scope")]
    assert "provinces failed: 1 (H44)" in summary.text()
    # the next run fetches the failed province again, not the good one
    portal.fail.clear()
    before = len(portal.calls)
    summary, _ = run(settings, portal, [JAN], ["H55", "H44"])
    assert summary.ok
    assert {c[3] for c in portal.calls[before:]} == {"H44"}


def test_not_published_month_lands_nothing_and_does_not_fail_the_run(settings: Settings) -> None:
    portal = Portal()
    for ep in V1_PROVINCE_ENDPOINTS:
        portal.fail[(ep, "*")] = NotPublishedError
    summary, landing = run(settings, portal, [JAN], ["H55"])
    assert summary.ok
    assert [b.status for b in summary.batches] == [NOT_PUBLISHED, NOT_PUBLISHED]
    assert landing.batches == []
    assert "not published yet: H55 2026-01" in summary.text()
    assert {r["outcome"] for r in RawStore(settings).manifest()} == {"rejected:not_published"}


def test_transient_failure_is_retryable_and_schema_change_is_not(settings: Settings) -> None:
    portal = Portal()
    portal.fail[("evaluation/transparency", "H55")] = TransientError
    ctx = make_ctx(settings, portal, Landing())
    with pytest.raises(tasks.BatchFailed) as exc:
        tasks.fetch_and_land_province(ctx, JAN, "H55")
    assert exc.value.transient
    state = type("S", (), {"data": exc.value})()
    assert tasks.retry_transient_only(None, None, state)
    # the batch stopped at the transient error: nothing after transparency was asked for
    assert [c[1] for c in portal.calls] == ["evaluation/service-results", "evaluation/transparency"]

    portal.fail = {("evaluation/transparency", "H55"): SchemaChangeError}
    with pytest.raises(tasks.BatchFailed) as exc:
        tasks.fetch_and_land_province(ctx, JAN, "H55")
    assert not exc.value.transient
    assert not tasks.retry_transient_only(None, None, type("S", (), {"data": exc.value})())
    # a retry never reuses a batch id
    ids = [r["extra"]["batch_id"] for r in RawStore(settings).manifest()]
    assert len(set(ids)) == 2


def test_no_retries_means_no_batch_retry_either(settings: Settings) -> None:
    """DVC766_MAX_RETRIES=0: a request that timed out (or missed its deadline) is not asked again, by the
    HTTP layer or by Prefect's retry of the whole batch (issue 28: a trickling server held a run 4 min)."""
    portal = Portal()
    portal.fail[("evaluation/transparency", "H55")] = TransientError
    ctx = make_ctx(settings.with_(max_retries=0), portal, Landing())
    with pytest.raises(tasks.BatchFailed) as exc:
        tasks.fetch_and_land_province(ctx, JAN, "H55")
    assert not exc.value.transient
    assert not tasks.retry_transient_only(None, None, type("S", (), {"data": exc.value})())


def test_circuit_breaker_stops_the_run_with_its_message(settings: Settings) -> None:
    portal = Portal()
    portal.fail[("evaluation/transparency", "H55")] = CircuitOpenError
    summary, _ = run(settings, portal, [JAN], ["H55", "H44", "H01"])
    assert not summary.ok
    assert "circuit breaker open" in summary.stopped
    assert not [c for c in portal.calls if c[3] in ("H44", "H01")]
    assert "STOPPED: circuit breaker open" in summary.text()


def test_legacy_months_use_the_national_ids_and_the_merger_table(settings: Settings) -> None:
    portal = Portal()
    june, aug = Period.month(2025, 6), Period.month(2025, 8)
    summary, _ = run(settings, portal, [june, aug], ["H55"])
    assert summary.ok, summary.text()
    june_calls = [c for c in portal.calls if c[2] == "2025-06"]
    # national once, then Thái Nguyên and Bắc Kạn (merged into H55 in July 2025) by their own codes
    assert june_calls[0][3] == "national"
    names = {m.old_province for m in merger_table() if m.new_code == "H55"}
    assert len(june_calls) == 1 + len(names) == 3
    assert june_calls[1][3] == "H55" and june_calls[2][3].startswith("Z")
    assert [c[3] for c in portal.calls if c[2] == "2025-08"] == ["national", "H55"]
    assert len(portal.calls) == request_count([june, aug], ["H55"], settings)


def test_snapshot_label_is_the_month_closed() -> None:
    last = datetime(2026, 10, 31, 15, 30, tzinfo=UTC)  # 22:30 in Vietnam
    assert snapshot_label(last) == (Period("ytd", 2026, 10), False)
    assert snapshot_label(datetime(2026, 11, 2, 3, 0, tzinfo=UTC)) == (Period("ytd", 2026, 10), True)
    # 31 Oct 20:00 UTC is already 1 Nov in Vietnam: a late snapshot of October
    assert snapshot_label(datetime(2026, 10, 31, 20, 0, tzinfo=UTC)) == (Period("ytd", 2026, 10), True)
    assert snapshot_label(datetime(2027, 1, 5, tzinfo=UTC)) == (Period("ytd", 2026, 12), True)


def test_snapshot_takes_its_label_from_the_portal_clock(settings: Settings) -> None:
    portal = Portal(now=datetime(2026, 9, 30, 15, 0, tzinfo=UTC))  # the portal says 30/09 22:00
    ctx = make_ctx(settings, portal, Landing())
    local = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # our clock says late November
    summary = take_snapshot(settings, ["H55"], build=False, use_prefect=False, ctx=ctx, now=local)
    assert summary.ok, summary.text()
    assert summary.periods == ["2026-YTD-09"]
    assert summary.warnings == []
    assert {r["period_key"] for r in RawStore(settings).manifest()} == {"2026-YTD-09"}
    assert len(portal.calls) == 8


def test_late_snapshot_warns(settings: Settings) -> None:
    portal = Portal(now=datetime(2026, 10, 2, 3, 0, tzinfo=UTC))
    ctx = make_ctx(settings, portal, Landing())
    summary = take_snapshot(settings, ["H55"], build=False, use_prefect=False, ctx=ctx)
    assert summary.periods == ["2026-YTD-09"]
    assert len(summary.warnings) == 1 and "late snapshot" in summary.warnings[0]


def test_portal_clock_label_keeps_another_years_capture_as_asked() -> None:
    label = PortalClockLabel(Period("ytd", 2026, 12), True)
    cap = Portal(now=datetime(2027, 1, 31, 15, 0, tzinfo=UTC))._capture(
        "v1", "evaluation/service-results", Period("ytd", 2026, 12), "national", {}
    )
    assert label(cap).period == Period("ytd", 2026, 12)
    assert label.period == Period("ytd", 2027, 1)


def test_month_end_schedule_only_fires_on_the_last_day_in_vietnam() -> None:
    from flows.snapshot import is_last_day

    assert is_last_day(datetime(2026, 2, 28, 15, 30, tzinfo=UTC))  # 22:30 on 28 Feb 2026
    assert not is_last_day(datetime(2028, 2, 28, 15, 30, tzinfo=UTC))  # a leap year: 29 Feb is last
    assert not is_last_day(datetime(2026, 10, 31, 18, 0, tzinfo=UTC))  # already 1 Nov in Vietnam
