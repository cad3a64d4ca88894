"""Alerts reach real receivers on 127.0.0.1 — a JSON webhook and an SMTP server — through Apprise.

The runs are real (the CLI in-process, or the flows, against the portal replica with its faults and
clock); only the channels are local. One message per run: a blocked run names the province and the
cause; a healthy run sends no failure message; a month the portal has not published is left to the
next firing of its window, lands then, and is an alert only when the window closes without it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dvc766.cli import main
from dvc766.periods import VN_TZ
from dvc766.settings import Settings
from flows import alerts, run_log
from flows.summary import RunSummary
from tests.published import query
from tests.receivers import Mailbox, Webhook, receivers

replica_server = pytest.importorskip("replica.server")


@pytest.fixture(scope="module")
def channels() -> Iterator[tuple[Webhook, Mailbox]]:
    with receivers() as pair:
        yield pair


@pytest.fixture(scope="module")
def replica() -> Iterator[object]:
    with replica_server.start_replica() as handle:
        yield handle


@pytest.fixture()
def data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replica: object, channels: tuple[Webhook, Mailbox]
) -> Path:
    hook, mail = channels
    d = tmp_path / "data"
    env = {
        "DVC766_DATA_DIR": str(d),
        "DVC766_PORTAL_URL": replica.url,  # type: ignore[attr-defined]
        "DVC766_PACING_S": "0",
        "DVC766_JITTER_S": "0",
        "DVC766_BACKOFF_BASE_S": "0.01",
        "DVC766_MAX_RETRIES": "0",
        "DVC766_V1_CUTOVER": "2026-01",
        "DVC766_NOTIFY": f"{hook.url}, {mail.url}",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("DVC766_NOTIFY_ON", raising=False)
    replica.set_faults("")  # type: ignore[attr-defined]
    replica.set_now(None)  # type: ignore[attr-defined]
    hook.clear()
    mail.clear()
    return d


@pytest.mark.usefixtures("prefect_harness")
def test_a_blocked_run_sends_one_message_naming_the_province_and_the_cause(
    data_dir: Path, replica: object, channels: tuple[Webhook, Mailbox], capsys: pytest.CaptureFixture[str]
) -> None:
    hook, mail = channels
    replica.set_faults("dvc-progress-tree:403")  # type: ignore[attr-defined]
    assert main(["run", "--month", "2026-10", "--provinces", "H55", "--no-build"]) == 1
    out = capsys.readouterr().out
    assert f"notified json://127.0.0.1:{hook.port}/hook" in out
    for got in (hook.messages(), mail.messages()):
        assert len(got) == 1, got
        text = got[0].text
        assert "H55 tỉnh Thái Nguyên" in text and "cổng chặn truy cập" in text and "403" in text
        assert "dvc766 run --month 2026-10 --provinces H55" in text  # what to do
    assert hook.messages()[0].kind == "failure"
    last = run_log.read(Settings.from_env())[-1]
    assert last["outcome"] == "failed" and last["alert"] == "run_failed" and len(last["notified"]) == 2
    # the same failure again (the window's next firing, or a rerun): told once is enough
    assert main(["run", "--month", "2026-10", "--provinces", "H55", "--no-build"]) == 1
    assert "not notified again: the same alert as run monthly-" in capsys.readouterr().out
    assert len(hook.messages()) == 1 and len(mail.messages()) == 1
    # a different failure is news
    replica.set_faults("transparency:renamed-field")  # type: ignore[attr-defined]
    assert main(["run", "--month", "2026-10", "--provinces", "H55", "--no-build"]) == 1
    assert len(hook.messages()) == 2 and "cổng đổi cấu trúc" in hook.messages()[1].title


@pytest.mark.usefixtures("prefect_harness")
def test_a_healthy_run_sends_no_failure_message_and_a_summary_only_when_asked(
    data_dir: Path, channels: tuple[Webhook, Mailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    hook, mail = channels
    assert main(["run", "--month", "2026-10", "--provinces", "H55", "--no-build"]) == 0
    assert hook.messages() == [] and mail.messages() == []
    monkeypatch.setenv("DVC766_NOTIFY_ON", "all")
    assert main(["run", "--month", "2026-09", "--provinces", "H55", "--no-build"]) == 0
    (msg,) = hook.messages()
    assert msg.kind == "success" and "2026-09" in msg.title and "xong" in msg.title
    assert "0 tỉnh lỗi" in msg.body
    assert len(mail.messages()) == 1


@pytest.mark.usefixtures("prefect_harness")
def test_a_channel_that_cannot_be_reached_never_fails_the_run(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DVC766_NOTIFY", "json://127.0.0.1:9/hook")  # nothing listens on port 9
    monkeypatch.setenv("DVC766_NOTIFY_ON", "all")
    assert main(["run", "--month", "2026-10", "--provinces", "H55", "--no-build"]) == 0
    out = capsys.readouterr().out
    assert "notification to json://127.0.0.1:9/hook FAILED" in out
    assert run_log.read(Settings.from_env())[-1]["notify_failed"]


def test_a_notification_url_apprise_cannot_use_is_one_line_exit_2(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DVC766_NOTIFY", "tgram://secret-token-without-chat nonsense://x")
    assert main(["run", "--month", "2026-10", "--provinces", "H55"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "DVC766_NOTIFY" in err and "secret-token" not in err
    assert not data_dir.exists()


@pytest.mark.usefixtures("prefect_harness")
def test_a_month_not_published_yet_is_retried_by_the_next_firing_and_lands(
    data_dir: Path, replica: object, channels: tuple[Webhook, Mailbox]
) -> None:
    from flows.monthly import monthly_flow

    hook, _mail = channels
    settings = Settings.from_env()
    # 06:00 on the 3rd: the portal still answers October as "not published yet"
    replica.set_faults("all:empty-month")  # type: ignore[attr-defined]
    first = monthly_flow(provinces=["H55"], window=True, now="2026-11-03T06:00")
    assert first.periods == ["2026-10"] and first.ok and "not published yet" in first.waiting
    october = "select count(*) from fct_unit_score where unit_code = 'H55' and period_key = '2026-10'"
    assert query(settings.warehouse_path, october) == [(0,)]  # nothing landed as zeros
    assert hook.messages() == [] and run_log.read(settings)[-1]["outcome"] == "waiting"
    # 12:00: published now; the next firing lands it and publishes the warehouse
    replica.set_faults("")  # type: ignore[attr-defined]
    second = monthly_flow(provinces=["H55"], window=True, now="2026-11-03T12:00")
    assert second.ok and not second.waiting and second.build["status"] == "ok"
    assert query(settings.warehouse_path, october) == [(1,)]
    # 18:00: nothing left to do — every batch is skipped, no request reaches the portal
    replica.reset_stats()  # type: ignore[attr-defined]
    third = monthly_flow(provinces=["H55"], window=True, now="2026-11-03T18:00")
    assert {b.status for b in third.batches} == {"skipped"}
    assert replica.stats()["total"] == 0  # type: ignore[attr-defined]
    assert hook.messages() == []


@pytest.mark.usefixtures("prefect_harness")
def test_a_month_still_not_published_at_the_last_firing_is_one_alert(
    data_dir: Path, replica: object, channels: tuple[Webhook, Mailbox]
) -> None:
    from flows.monthly import monthly_flow

    hook, mail = channels
    replica.set_faults("all:empty-month")  # type: ignore[attr-defined]
    state = monthly_flow(provinces=["H55"], window=True, now="2026-10-10T18:00", return_state=True)
    assert state.is_failed()
    (msg,) = hook.messages()
    assert "2026-09" in msg.text and "chưa công bố" in msg.text and "10/10/2026" in msg.text
    assert len(mail.messages()) == 1
    assert run_log.read(Settings.from_env())[-1]["outcome"] == "missed"


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_that_dies_outside_its_summary_is_alerted_once_by_the_failure_hook(
    data_dir: Path, channels: tuple[Webhook, Mailbox]
) -> None:
    from flows.monthly import monthly_flow

    hook, _mail = channels
    # a served run triggered with a parameter no CLI would let through: it fails before any batch
    state = monthly_flow(month="2026-13", provinces=["H55"], return_state=True)
    assert state.is_failed()
    (msg,) = hook.messages()
    assert "dừng bất thường" in msg.title and "2026-13" in msg.body
    assert run_log.read(Settings.from_env())[-1]["alert"] == "run_failed"


class FakeTime:
    """A clock that moves only when slept on: the month-end window without waiting for it."""

    def __init__(self, start: str) -> None:
        self.now = datetime.fromisoformat(start).replace(tzinfo=VN_TZ)
        self.slept: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def test_the_month_end_snapshot_retries_a_transient_failure_and_takes_the_month_end(
    data_dir: Path, replica: object, channels: tuple[Webhook, Mailbox]
) -> None:
    from flows.snapshot import snapshot_in_window

    hook, _mail = channels
    replica.set_now("2026-11-30T22:30")  # type: ignore[attr-defined]
    replica.set_faults("dvc-progress-tree:5xx:1")  # type: ignore[attr-defined]
    t = FakeTime("2026-11-30T22:30")
    settings = Settings.from_env()
    summary = snapshot_in_window(settings, ["H55"], use_prefect=False, clock=t.clock, sleep=t.sleep)
    assert summary.ok and not summary.missed and t.slept == [600.0]
    assert summary.periods == ["2026-YTD-11"] and summary.build["status"] == "ok"
    rows = query(
        settings.warehouse_path,
        "select count(*) from fct_unit_score where unit_code = 'H55' and period_key = '2026-YTD-11'",
    )
    assert rows == [(1,)]
    alerts.report(summary, settings)
    assert hook.messages() == []


def test_a_month_end_not_taken_by_midnight_is_a_missed_window_alert(
    data_dir: Path, replica: object, channels: tuple[Webhook, Mailbox]
) -> None:
    from flows.snapshot import snapshot_in_window

    hook, mail = channels
    replica.set_now("2026-11-30T22:30")  # type: ignore[attr-defined]
    replica.set_faults("dvc-progress-tree:5xx")  # type: ignore[attr-defined]
    t = FakeTime("2026-11-30T22:30")
    settings = Settings.from_env()
    summary = snapshot_in_window(settings, ["H55"], use_prefect=False, clock=t.clock, sleep=t.sleep)
    # rounds every 10 minutes from 22:30, the last one starting no later than 23:55
    assert t.slept == [600.0] * 8 and t.now.hour == 23 and t.now.minute == 50
    assert not summary.ok and "can never be taken later" in summary.missed
    event = alerts.report(summary, settings)
    assert event is not None and event.kind == "snapshot_missed"
    (msg,) = hook.messages()
    assert "LỠ chốt số liệu cuối tháng" in msg.title and "H55" in msg.body and "2026-YTD-11" in msg.body
    assert len(mail.messages()) == 1


def _summary(**kw: object) -> RunSummary:
    s = RunSummary(flow="monthly", run_id="monthly-x", data_dir="/d", periods=["2026-10"], provinces=["H55"])
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def test_one_message_per_run_takes_the_most_serious_kind(tmp_path: Path) -> None:
    from flows.summary import FAILED, OK, BatchOutcome

    blocked = BatchOutcome("H55", "2026-10", FAILED, cause="blocked: HTTP 403", error_kind="blocked")
    shape = BatchOutcome(
        "H44", "2026-10", FAILED, cause="schema_change: missing field x", error_kind="schema_change"
    )
    drifted = BatchOutcome(
        "H01", "2026-10", OK, rows={"unit_scores": 3}, drift=["transparency: new field a.b (e.g. 1)"]
    )
    checks = {
        "status": "failed",
        "message": "CheckFailedError: 1 error check(s) failed",
        "error": "CheckFailedError",
    }
    cases = [
        (_summary(batches=[blocked], stopped="portal blocked us 3 times"), "circuit_open"),
        (_summary(batches=[blocked, shape]), "schema_change"),
        (_summary(batches=[blocked]), "run_failed"),
        (_summary(batches=[drifted], build=checks), "checks_failed"),
    ]
    for summary, kind in cases:
        event = alerts.compose(summary)
        assert event is not None and event.kind == kind and event.is_alert, (kind, event)
    assert alerts.compose(_summary(batches=[drifted]), ["transparency: new field a.b"]).kind == "drift"  # type: ignore[union-attr]
    assert alerts.compose(_summary(batches=[drifted])).kind == "run_ok"  # type: ignore[union-attr]
    # drift is an alert the first time a field is seen, not at every run
    settings = Settings(data_dir=tmp_path, notify=None)
    assert alerts.report(_summary(batches=[drifted]), settings).kind == "drift"  # type: ignore[union-attr]
    assert alerts.report(_summary(batches=[drifted]), settings).kind == "run_ok"  # type: ignore[union-attr]
    lines = (tmp_path / "runs.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["alert"] for x in lines] == ["drift", ""]


def test_notify_urls_split_on_spaces_and_commas_but_not_inside_a_query() -> None:
    from flows.notify import targets

    assert targets(" json://a/h,mailto://u:p@smtp.x?to=a@x,b@y  tgram://T/C ") == [
        "json://a/h",
        "mailto://u:p@smtp.x?to=a@x,b@y",
        "tgram://T/C",
    ]
    assert targets("") == [] and targets(None) == []
