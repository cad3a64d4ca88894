"""One warehouse writer at a time: an exclusive ``flock`` on ``<data_dir>/.build.lock``.

Why a kernel lock and not a marker file: a build killed half-way leaves a marker behind and blocks
every later build, while a ``flock`` dies with its process. The holder writes its pid into the
file so that a refused build can say who is in the way.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class BuildLockedError(RuntimeError):
    """Another build holds the lock and did not release it within the timeout."""


def _holder_pid(path: Path) -> str:
    try:
        text = path.read_text(encoding="ascii").strip()
    except OSError:
        return "unknown"
    return text or "unknown"


def say_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def build_lock(
    path: Path,
    *,
    timeout_s: float = 60.0,
    poll_s: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_wait: Callable[[str], None] | None = say_on_stderr,
) -> Iterator[None]:
    """Hold the exclusive build lock for the duration of the block.

    Waits up to ``timeout_s`` for a running build to finish, then raises
    ``BuildLockedError("another build is running (pid N)")``. Whoever waits says so once, at the
    start (``on_wait``, stderr by default: a second ``dvc766 build`` sat silent for 9 s), naming the
    holder and how long it will wait. ``sleep`` and ``clock`` are injectable so that tests can drive
    the waiting without real time passing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = clock() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if on_wait is not None and timeout_s > 0:
                    on_wait(
                        f"waiting for another build to finish (pid {_holder_pid(path)}, lock {path.name}); "
                        f"giving up after {timeout_s:g} s"
                    )
                    on_wait = None
                if clock() >= deadline:
                    raise BuildLockedError(
                        f"another build is running (pid {_holder_pid(path)}); "
                        f"waited {timeout_s:g} s for {path}"
                    ) from None
                sleep(poll_s)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
