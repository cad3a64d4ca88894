"""One writer per data folder: ``run``, ``snapshot``, ``backfill``, ``drilldown`` and ``reland`` hold an
exclusive ``flock`` on ``<data_dir>/.writer.lock`` for as long as they fetch and land.

Why: two runs on one data folder asked the portal for the same captures twice and then collided in the
raw store (``refusing to overwrite … already recorded``, a traceback, 24 requests where 16 were
needed). With the lock the second one waits, saying so, up to ``DVC766_WRITER_WAIT_S`` seconds, then
refuses in one line naming who holds the folder (exit code 3), before it has asked the portal
anything.

Why a kernel lock on a file in the data folder: it works across processes and dies with its holder (a
killed run never leaves the folder locked), and ``DVC766_DATA_DIR`` is always a local folder, also when
the lake is on object storage (``DVC766_LAKE=s3://…``), where the warehouse is built and published.
The warehouse build keeps its own lock (``.build.lock``, :mod:`warehouse.lock`): a run's build step takes
it inside this one, and ``dvc766 build`` alone takes only that.

The lock is re-entrant within a process: the CLI takes it before starting Prefect (so a busy folder is
refused at once), and the flow it runs takes it again (so a scheduled flow run, started by
``dvc766 serve`` without the CLI, is guarded too). The fan-out's chunk runs on the work pool do not
take it: they write to the shared lake from other machines, and their parent holds it.
"""

from __future__ import annotations

import fcntl
import functools
import inspect
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

LOCK_NAME = ".writer.lock"
F = TypeVar("F", bound=Callable[..., Any])


class WriterBusyError(RuntimeError):
    """Another command is writing to the data folder and did not finish within the wait (exit 3)."""


_held: dict[str, list[int]] = {}  # lock path -> [fd, depth] held by this process
_held_guard = threading.Lock()


def lock_path(data_dir: Path) -> Path:
    return Path(data_dir) / LOCK_NAME


def holder(path: Path) -> str:
    """Who holds the lock, as its holder wrote it: ``dvc766 backfill (pid 1234, since 10:02:03 UTC)``."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return "another dvc766 command"
    return text or "another dvc766 command"


@contextmanager
def writer_lock(
    data_dir: Path,
    command: str,
    *,
    wait_s: float,
    say: Callable[[str], None] | None = None,
    poll_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[None]:
    """Hold the data folder's writer lock for the block (re-entrant within this process).

    When another process holds it: ``say`` once that this command waits (and for whom), poll every
    ``poll_s`` for up to ``wait_s`` seconds, then raise :class:`WriterBusyError`. ``sleep`` and
    ``clock`` are injectable so tests drive the waiting without real time passing.
    """
    path = lock_path(data_dir)
    key = str(path.absolute())
    with _held_guard:
        if key in _held:
            _held[key][1] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[key][1] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, command, wait_s=wait_s, say=say, poll_s=poll_s, sleep=sleep, clock=clock)
        stamp = f"dvc766 {command} (pid {os.getpid()}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC)\n"
        os.ftruncate(fd, 0)
        os.pwrite(fd, stamp.encode("utf-8"), 0)
        with _held_guard:
            _held[key] = [fd, 1]
        try:
            yield
        finally:
            with _held_guard:
                del _held[key]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(
    fd: int,
    path: Path,
    command: str,
    *,
    wait_s: float,
    say: Callable[[str], None] | None,
    poll_s: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> None:
    deadline: float | None = None
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        now = clock()
        if deadline is None:
            deadline = now + wait_s
            if wait_s > 0 and say is not None:
                say(
                    f"dvc766 {command}: the data folder {path.parent} is in use by {holder(path)}; "
                    f"waiting up to {wait_s:g} s (DVC766_WRITER_WAIT_S)…"
                )
        if now >= deadline:
            waited = f" after waiting {wait_s:g} s" if wait_s > 0 else ""
            raise WriterBusyError(
                f"the data folder {path.parent} is in use by {holder(path)}{waited}; nothing was fetched "
                "or written — run this again when it has finished (one writer per data folder)"
            )
        sleep(min(poll_s, max(deadline - now, 0.0)))


def _to_stderr(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)


@contextmanager
def data_folder_writer(data_dir: Path, command: str, wait_s: float) -> Iterator[None]:
    """:func:`writer_lock` as the commands use it: the wait announced on stderr."""
    with writer_lock(data_dir, command, wait_s=wait_s, say=_to_stderr):
        yield


def holds_data_folder(command: str, *, unless: str | None = None) -> Callable[[F], F]:
    """Decorate a flow so each run holds the data folder's writer lock (settings from the environment,
    as the flow reads them): a run the scheduler starts is guarded like one the CLI starts, and one the
    CLI starts takes the lock it already holds. ``unless``: a parameter that, when set, means the run
    does not write the local data folder (a fan-out chunk on a worker: its parent holds the lock)."""

    def wrap(fn: F) -> F:
        # The flow's annotations resolved where they were written: Prefect reads the wrapper's signature
        # to type the parameters, and a string like "Literal[...]" would be looked up in this module.
        signature = inspect.signature(fn, eval_str=True)

        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if unless and signature.bind_partial(*args, **kwargs).arguments.get(unless):
                return fn(*args, **kwargs)
            from dvc766.settings import Settings

            settings = Settings.from_env()
            with data_folder_writer(settings.data_dir, command, settings.writer_wait_s):
                return fn(*args, **kwargs)

        guarded.__signature__ = signature  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return wrap
