"""One writer per data folder (issue 28): a second run/snapshot/backfill/drilldown/reland waits, saying
so, for a bounded time, or refuses in one line (exit 3) before it asks the portal anything.

Two runs on one folder used to both start, ask for the same captures twice and collide in the raw
store with a 25-line traceback. The holder here is another process (a kernel lock is per process and
file), or an fd of its own; time is injected where the test drives the waiting.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dvc766.cli import main
from dvc766.writer_lock import WriterBusyError, lock_path, writer_lock
from tests.httpstub import Reply, StubServer

ROOT = Path(__file__).resolve().parents[1]
HOLDER = (
    "import sys; from pathlib import Path; from dvc766.writer_lock import writer_lock\n"
    "with writer_lock(Path(sys.argv[1]), 'backfill', wait_s=0):\n"
    "    print('held', flush=True); sys.stdin.read()\n"
)


class FakeTime:
    def __init__(self, on_sleep: object = None) -> None:
        self.now, self.sleeps, self.on_sleep = 100.0, [], on_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if callable(self.on_sleep):
            self.on_sleep(len(self.sleeps))


def hold_with_own_fd(data: Path) -> int:
    """Hold the lock the way another process would (an open file description of its own)."""
    data.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(data), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.pwrite(fd, f"dvc766 backfill (pid {os.getpid()}, since 2026-12-07 10:00:00 UTC)\n".encode(), 0)
    return fd


def test_a_second_writer_says_it_waits_then_refuses_naming_the_holder(tmp_path: Path) -> None:
    fd = hold_with_own_fd(tmp_path)
    said: list[str] = []
    fake = FakeTime()
    try:
        with (
            pytest.raises(WriterBusyError, match=r"in use by dvc766 backfill \(pid \d+.* after waiting 10 s"),
            writer_lock(tmp_path, "run", wait_s=10, say=said.append, sleep=fake.sleep, clock=fake.clock),
        ):
            pytest.fail("the lock was taken twice")
    finally:
        os.close(fd)
    assert len(said) == 1 and "waiting up to 10 s" in said[0] and "dvc766 backfill" in said[0]
    assert sum(fake.sleeps) == pytest.approx(10) and max(fake.sleeps) <= 0.5


def test_a_second_writer_goes_ahead_once_the_first_has_finished(tmp_path: Path) -> None:
    fd = hold_with_own_fd(tmp_path)
    fake = FakeTime(on_sleep=lambda n: n == 3 and os.close(fd))  # the holder ends during the wait
    ran = []
    with writer_lock(tmp_path, "run", wait_s=60, say=lambda _: None, sleep=fake.sleep, clock=fake.clock):
        ran.append(lock_path(tmp_path).read_text(encoding="utf-8"))
        with writer_lock(tmp_path, "run", wait_s=0):  # the flow inside the CLI command: re-entrant
            ran.append("inner")
    assert len(fake.sleeps) == 3 and ran[0].startswith(f"dvc766 run (pid {os.getpid()}") and ran[1] == "inner"
    assert lock_path(tmp_path).read_text(encoding="utf-8") == ""  # released: no stale holder named


@pytest.fixture
def other_process(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    data = tmp_path / "data"
    data.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    try:
        yield data, proc
    finally:
        if proc.poll() is None:
            proc.communicate("", timeout=30)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--month", "2026-02", "--provinces", "H55"],
        ["snapshot", "--provinces", "H55"],
        ["backfill", "--from", "2026-01", "--to", "2026-02", "--provinces", "H55"],
        ["drilldown", "--province", "H55", "--month", "2026-02", "--budget", "5"],
        ["reland"],
    ],
)
def test_each_writing_command_refuses_a_busy_folder_in_one_line_with_no_request(
    other_process: tuple[Path, subprocess.Popen[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    data, proc = other_process
    with StubServer([Reply(500, b"no request should reach the portal")]) as portal:
        monkeypatch.setenv("DVC766_DATA_DIR", str(data))
        monkeypatch.setenv("DVC766_PORTAL_URL", portal.url)
        monkeypatch.setenv("DVC766_WRITER_WAIT_S", "0")
        assert main(argv) == 3
    err = capsys.readouterr().err
    assert (
        err.count("\n") == 1
        and f"busy: the data folder {data} is in use by dvc766 backfill (pid {proc.pid}" in err
    )
    assert portal.requests == []
    assert sorted(p.name for p in data.iterdir()) == [".writer.lock"]


def test_a_second_reland_waits_for_the_first_and_then_runs(
    other_process: tuple[Path, subprocess.Popen[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, proc = other_process
    monkeypatch.setenv("DVC766_DATA_DIR", str(data))
    monkeypatch.setenv("DVC766_WRITER_WAIT_S", "60")
    finisher = threading.Timer(0.5, lambda: proc.communicate("", timeout=30))
    finisher.start()
    try:
        assert main(["reland"]) == 0
    finally:
        finisher.join()
    out, err = capsys.readouterr()
    assert "reland: the data folder" in err and "waiting up to 60 s (DVC766_WRITER_WAIT_S)" in err
    assert "relanded 0 batches" in out


def test_a_flow_started_without_the_cli_holds_the_lock_too_but_not_a_fan_out_chunk(
    other_process: tuple[Path, subprocess.Popen[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dvc766.provinces import UnknownProvinceError
    from flows.backfill import backfill_flow

    data, _ = other_process
    monkeypatch.setenv("DVC766_DATA_DIR", str(data))
    monkeypatch.setenv("DVC766_WRITER_WAIT_S", "0")
    with pytest.raises(WriterBusyError):  # as `dvc766 serve` would start it
        backfill_flow.fn("2026-01", "2026-01", provinces=["H99"])
    with pytest.raises(UnknownProvinceError):  # a chunk on a worker: past the lock, into the flow
        backfill_flow.fn("2026-01", "2026-01", provinces=["H99"], run_key="fanout-1")


def test_with_the_lake_on_object_storage_the_lock_stays_in_the_data_folder(
    other_process: tuple[Path, subprocess.Popen[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, _ = other_process
    monkeypatch.setenv("DVC766_DATA_DIR", str(data))
    monkeypatch.setenv("DVC766_LAKE", "s3://dvc766-lake/prod")  # never reached: refused before
    monkeypatch.setenv("DVC766_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DVC766_WRITER_WAIT_S", "0")
    assert main(["reland"]) == 3
    assert f"busy: the data folder {data} is in use by dvc766 backfill" in capsys.readouterr().err
