"""PoliteSession against a real local socket: retries, blocks, circuit breaker, pacing, identity.

Time is injected (a fake clock that only moves when the session sleeps), so nothing here waits
except the one read-timeout test, which uses a 50 ms timeout.
"""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs

import pytest
import requests

from dvc766.settings import Settings
from flows.errors import BlockedError, CircuitOpenError, TransientError
from flows.portal_http import LEGACY_REFERER, V1_REFERER, PoliteSession, is_waf_page, parse_retry_after
from tests.httpstub import Reply, StubServer

OK_BODY = b'{"code":"OK","data":{},"message":"OK"}'
WAF_HTML = (
    b"<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. "
    b"Please consult with your administrator.<br><br>Your support ID is: 1234567890</body></html>"
)


class FakeTime:
    """A monotonic clock that advances only when ``sleep`` is called; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def make_session(stub: StubServer, fake: FakeTime, **overrides: object) -> tuple[PoliteSession, list[float]]:
    """A session on the stub; also returns the fake-clock time at which each request was sent."""
    values: dict[str, object] = {
        "portal_url": stub.url,
        "pacing_s": 1.0,
        "jitter_s": 0.5,
        "max_retries": 3,
        "backoff_base_s": 2.0,
        "backoff_max_s": 60.0,
        "max_blocks": 3,
        "connect_timeout_s": 2.0,
        "read_timeout_s": 5.0,
    }
    values.update(overrides)
    http = requests.Session()
    starts: list[float] = []
    original = http.post

    def recording_post(*args: object, **kwargs: object) -> requests.Response:
        starts.append(fake.clock())
        return original(*args, **kwargs)  # type: ignore[arg-type]

    http.post = recording_post  # type: ignore[method-assign]
    session = PoliteSession(
        Settings(**values),  # type: ignore[arg-type]
        sleep=fake.sleep,
        clock=fake.clock,
        rng=random.Random(7),
        http=http,
    )
    return session, starts


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def test_503_twice_then_ok_succeeds_on_third_attempt(fake: FakeTime) -> None:
    with StubServer([Reply(503, b"busy"), Reply(503, b"busy"), Reply(201, OK_BODY)]) as stub:
        session, _ = make_session(stub, fake, pacing_s=0.0, jitter_s=0.0)
        result = session.post_json(stub.url + "/api/v1/reporting/x", {"a": 1})
    assert (result.status, result.body, result.attempts) == (201, OK_BODY, 3)
    assert len(stub.requests) == 3
    assert session.stats["retries"] == 2 and session.stats["requests"] == 3
    # Only backoff waits here (no pacing): base 2 s doubling, each half fixed and half jitter.
    first, second = fake.sleeps
    assert 1.0 <= first <= 2.0 and 2.0 <= second <= 4.0


def test_503_honours_retry_after_and_gives_up_with_clear_message(fake: FakeTime) -> None:
    with StubServer([Reply(503, b"down", {"Retry-After": "11"})]) as stub:
        session, _ = make_session(stub, fake, max_retries=2)
        with pytest.raises(TransientError, match=r"after 3 attempts: HTTP 503"):
            session.post_json(stub.url, {})
    assert fake.sleeps.count(11.0) == 2
    assert len(stub.requests) == 3


def test_429_retry_after_is_honoured_once_and_counts_as_block(fake: FakeTime) -> None:
    with StubServer([Reply(429, b"slow down", {"Retry-After": "7"}), Reply(201, OK_BODY)]) as stub:
        session, _ = make_session(stub, fake)
        result = session.post_json(stub.url, {})
    assert result.status == 201 and result.attempts == 2
    assert 7.0 in fake.sleeps
    assert session.stats["blocks"] == 1


def test_429_retry_after_is_capped_by_backoff_max(fake: FakeTime) -> None:
    with StubServer([Reply(429, b"", {"Retry-After": "3600"}), Reply(201, OK_BODY)]) as stub:
        session, _ = make_session(stub, fake, backoff_max_s=30.0)
        session.post_json(stub.url, {})
    assert 30.0 in fake.sleeps and 3600.0 not in fake.sleeps


def test_429_twice_is_a_block_error(fake: FakeTime) -> None:
    with StubServer([Reply(429, b"", {"Retry-After": "1"})]) as stub:
        session, _ = make_session(stub, fake)
        with pytest.raises(BlockedError, match="HTTP 429"):
            session.post_json(stub.url, {})
    assert len(stub.requests) == 2
    assert session.stats["blocks"] == 2


def test_retry_after_parses_seconds_and_http_dates() -> None:
    now = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now) == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None


def test_waf_page_is_a_block_whatever_the_status(fake: FakeTime) -> None:
    html = {"Content-Type": "text/html"}
    with StubServer([Reply(200, WAF_HTML, html)]) as stub:
        session, _ = make_session(stub, fake)
        with pytest.raises(BlockedError, match="WAF rejection page") as info:
            session.post_json(stub.url, {})
    assert info.value.result.body == WAF_HTML  # type: ignore[attr-defined]
    assert len(stub.requests) == 1  # a block is never retried
    assert is_waf_page(b'{"departmentName":"support ID"}') is False


def test_circuit_breaker_opens_after_max_blocks_and_refuses_further_requests(fake: FakeTime) -> None:
    with StubServer([Reply(403, b"forbidden")]) as stub:
        session, _ = make_session(stub, fake, max_blocks=2)
        with pytest.raises(BlockedError, match=r"1/2 blocks"):
            session.post_json(stub.url, {})
        with pytest.raises(CircuitOpenError, match=r"portal blocked us 2 times; stopping the run") as info:
            session.post_json(stub.url, {})
        assert "never rotate identity" in str(info.value)
        sent = len(stub.requests)
        with pytest.raises(CircuitOpenError, match="blocked us 2 times"):
            session.post_form(stub.url, {"params": "{}"})
        assert len(stub.requests) == sent == 2
    assert session.circuit_open


def test_connection_reset_then_ok_is_retried(fake: FakeTime) -> None:
    with StubServer([Reply(action="reset"), Reply(201, OK_BODY)]) as stub:
        session, _ = make_session(stub, fake)
        result = session.post_json(stub.url, {})
    assert result.body == OK_BODY and result.attempts == 2


def test_connection_reset_every_time_gives_transient_error(fake: FakeTime) -> None:
    with StubServer([Reply(action="reset")]) as stub:
        session, _ = make_session(stub, fake, max_retries=2)
        with pytest.raises(TransientError, match=r"failed after 3 attempts: connection (reset|error)"):
            session.post_json(stub.url, {})
    assert len(stub.requests) == 3


def test_read_timeout_is_retried_then_reported(fake: FakeTime) -> None:
    with StubServer([Reply(201, OK_BODY, action="delay", delay_s=0.5)]) as stub:
        session, _ = make_session(stub, fake, max_retries=1, read_timeout_s=0.05)
        with pytest.raises(TransientError, match=r"after 2 attempts: read timeout"):
            session.post_json(stub.url, {})
    assert session.stats["retries"] == 1


def test_truncated_body_is_detected_and_retried(fake: FakeTime) -> None:
    body = b'{"code":"OK","data":{"parent":{"x":1}},"message":"OK"}'
    with StubServer([Reply(201, body, action="truncate", truncate_to=20), Reply(201, body)]) as stub:
        session, _ = make_session(stub, fake)
        result = session.post_json(stub.url, {})
    assert result.body == body and result.attempts == 2


def test_truncated_body_every_time_names_the_cause(fake: FakeTime) -> None:
    with StubServer([Reply(201, OK_BODY, action="truncate", truncate_to=5)]) as stub:
        session, _ = make_session(stub, fake, max_retries=1)
        with pytest.raises(TransientError, match="truncated body"):
            session.post_json(stub.url, {})


def test_a_trickling_answer_is_cut_at_the_deadline_and_counts_as_transient(fake: FakeTime) -> None:
    # One byte every 50 ms never trips a 5 s read timeout; the whole body would take 20 s.
    body = OK_BODY.ljust(400)
    with StubServer([Reply(201, body, action="trickle", delay_s=0.05)]) as stub:
        session, starts = make_session(stub, fake, max_retries=1, read_timeout_s=5.0, request_deadline_s=0.3)
        with pytest.raises(TransientError, match=r"after 2 attempts: no complete answer within 0.3 s"):
            session.post_json(stub.url, {})
    assert len(starts) == 2 and session.stats["retries"] == 1  # retried once, like any timeout


def test_a_gzip_stream_cut_short_is_a_truncated_body_and_retried(fake: FakeTime) -> None:
    import gzip

    body = json.dumps({"code": "OK", "data": {"rows": list(range(400))}, "message": "OK"}).encode()
    packed = gzip.compress(body)
    cut = packed[: len(packed) // 2]  # Content-Length is that of the cut: only the gzip end tells
    gz = {"Content-Encoding": "gzip"}
    with StubServer([Reply(201, cut, gz), Reply(201, packed, gz)]) as stub:
        session, _ = make_session(stub, fake)
        result = session.post_json(stub.url, {})
    assert result.body == body and result.attempts == 2
    with StubServer([Reply(201, cut, gz)]) as stub:
        session, _ = make_session(stub, fake, max_retries=0)
        with pytest.raises(TransientError, match="truncated body.*gzip stream ends before its end"):
            session.post_json(stub.url, {})


def test_request_starts_are_paced(fake: FakeTime) -> None:
    with StubServer([Reply(201, OK_BODY)]) as stub:
        session, starts = make_session(stub, fake, pacing_s=2.0, jitter_s=0.5)
        for _ in range(5):
            session.post_json(stub.url, {})
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert len(gaps) == 4
    assert all(g >= 2.0 - 0.5 for g in gaps)
    assert all(g <= 2.0 + 0.5 for g in gaps)
    assert session.stats["seconds_waiting"] == pytest.approx(sum(fake.sleeps))


def test_pacing_is_shared_by_threads(fake: FakeTime) -> None:
    """Threads share one limiter: the pacing waits add up as if the requests were sequential."""
    with StubServer([Reply(201, OK_BODY)]) as stub:
        session, _ = make_session(stub, fake, pacing_s=1.0, jitter_s=0.0)
        threads = [threading.Thread(target=session.post_json, args=(stub.url, {})) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(stub.requests) == 6
    # With the lock held while pacing, each of the 5 later starts waits one full second of fake time.
    assert fake.sleeps == [1.0] * 5


def test_identity_is_fixed_across_retries_blocks_and_apis(fake: FakeTime) -> None:
    replies = [Reply(503, b""), Reply(201, OK_BODY), Reply(403, b""), Reply(201, b"[]")]
    with StubServer(replies) as stub:
        session, _ = make_session(stub, fake)
        session.post_json(stub.url + "/api/v1/reporting/evaluation/transparency", {"year": 2026})
        with pytest.raises(BlockedError):
            session.post_json(stub.url, {})
        session.post_form(stub.url + "/jsp/rest.jsp", {"params": json.dumps({"type": "ref"})})
    agents = {r.headers["User-Agent"] for r in stub.requests}
    assert agents == {Settings().user_agent}
    assert {r.headers["Origin"] for r in stub.requests} == {"https://dichvucong.gov.vn"}
    assert stub.requests[0].headers["Referer"] == V1_REFERER
    assert json.loads(stub.requests[0].body) == {"year": 2026}
    form = stub.requests[-1]
    assert form.headers["Referer"] == LEGACY_REFERER
    assert form.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert parse_qs(form.body.decode()) == {"params": ['{"type": "ref"}']}
