"""Which Prefect API a CLI command's flow runs are recorded in, so a command reaches the portal in seconds.

Without an API, Prefect starts a temporary server inside every command, 20-30 s on two cores before the
first request, each time. Three cases, in order:

1. ``PREFECT_API_URL`` is set (environment or Prefect profile): the data engineer's server; used as is.
2. ``DVC766_PREFECT_SERVER=local`` (the default): one long-lived ``prefect server start`` on 127.0.0.1,
   started by the first command that needs it (the 20-30 s once), detached from the terminal, and reused
   by every later command for as long as it runs. Its address, PID and log live in ``PREFECT_HOME``
   (``dvc766-server.json``, ``dvc766-server.log``); ``dvc766 prefect-server status|stop`` shows or stops
   it. Runs, retries, concurrency and logs stay Prefect's: the flows run exactly as before, against a
   real server whose UI shows them.
3. ``DVC766_PREFECT_SERVER=ephemeral``: Prefect's temporary server per command (the old behaviour;
   nothing is left running).

A lock file makes two commands started together share one server rather than start two.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvc766.settings import Settings

STATE_NAME = "dvc766-server.json"
LOG_NAME = "dvc766-server.log"
LOCK_NAME = "dvc766-server.lock"
START_TIMEOUT_S = 180.0  # a fresh home migrates its database first: ~25 s on two cores, more on a busy one


class PrefectServerError(RuntimeError):
    """The local Prefect server could not be started or reached."""


@dataclass(frozen=True)
class ServerInfo:
    """A local server this project started: where it answers and which process it is."""

    url: str  # the API URL, ``http://127.0.0.1:PORT/api``
    pid: int
    log: str

    def healthy(self, timeout: float = 1.0) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=timeout) as r:
                return r.status == 200
        except OSError:
            return False


def prefect_home() -> Path:
    from prefect.settings import get_current_settings

    return Path(get_current_settings().home).expanduser()


def configured_api_url() -> str | None:
    """``PREFECT_API_URL`` as Prefect sees it (environment, profile or a test harness's context)."""
    from prefect.settings import PREFECT_API_URL

    value = PREFECT_API_URL.value()
    return str(value) if value else None


def read_state(home: Path) -> ServerInfo | None:
    try:
        raw = json.loads((home / STATE_NAME).read_text(encoding="utf-8"))
        return ServerInfo(url=raw["url"], pid=int(raw["pid"]), log=raw["log"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_state(home: Path, info: ServerInfo) -> None:
    tmp = home / (STATE_NAME + ".tmp")
    tmp.write_text(json.dumps({"url": info.url, "pid": info.pid, "log": info.log}), encoding="utf-8")
    os.replace(tmp, home / STATE_NAME)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _locked(home: Path) -> Any:
    home.mkdir(parents=True, exist_ok=True)
    with open(home / LOCK_NAME, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_server(home: Path, timeout_s: float = START_TIMEOUT_S) -> ServerInfo:
    """Start ``prefect server start`` detached (own session, output to a log file) and wait for health."""
    port = _free_port()
    log = home / LOG_NAME
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    env.pop("PREFECT_API_URL", None)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # not in the terminal's process group: Ctrl-C on a run leaves it up
            close_fds=True,
        )
    info = ServerInfo(url=f"http://127.0.0.1:{port}/api", pid=proc.pid, log=str(log))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PrefectServerError(
                f"the local Prefect server exited with code {proc.returncode}; see {log}"
            )
        if info.healthy(timeout=1.0):
            _write_state(home, info)
            return info
        time.sleep(0.3)
    stop_pid(proc.pid)
    raise PrefectServerError(f"the local Prefect server did not answer within {timeout_s:.0f} s; see {log}")


def local_server(home: Path | None = None, *, start: bool = True) -> ServerInfo | None:
    """The running local server, started first when ``start`` and none answers."""
    home = home or prefect_home()
    info = read_state(home)
    if info and info.healthy():
        return info
    if not start:
        return None
    with _locked(home):
        info = read_state(home)  # another command may have started it while this one waited
        if info and info.healthy():
            return info
        if info and _alive(info.pid):  # up but not answering (still starting, or hung): wait a little
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if info.healthy():
                    return info
                time.sleep(0.5)
            stop_pid(info.pid)
        print(
            "prefect: starting a local Prefect server (once, about 30 s); later commands reuse it. "
            "Stop it with `dvc766 prefect-server stop`.",
            file=sys.stderr,
        )
        return start_server(home)


@contextlib.contextmanager
def prefect_api(settings: Settings) -> Iterator[str | None]:
    """Run the body's flows against the right API; yields its URL (None: Prefect's temporary server,
    ``DVC766_PREFECT_SERVER=ephemeral``). Subprocesses started inside see it in the environment too."""
    url = configured_api_url()
    if url or settings.prefect_server != "local":
        yield url
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    info = local_server()
    assert info is not None
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = info.url
    try:
        with temporary_settings(updates={PREFECT_API_URL: info.url}):
            yield info.url
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before


def stop_pid(pid: int, timeout_s: float = 20.0) -> None:
    """SIGTERM the server's process group (uvicorn and its services), then wait for it to go."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and _alive(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.2)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def stop_server(home: Path | None = None) -> ServerInfo | None:
    """Stop the local server this project started, if any; returns what was stopped."""
    home = home or prefect_home()
    with _locked(home):
        info = read_state(home)
        if info is None:
            return None
        if _alive(info.pid):
            stop_pid(info.pid)
        (home / STATE_NAME).unlink(missing_ok=True)
        return info


def cmd_prefect_server(args: Any) -> int:
    """``dvc766 prefect-server status|start|stop``."""
    action = args.action
    if action == "stop":
        info = stop_server()
        print(
            f"stopped the local Prefect server at {info.url} (pid {info.pid})" if info else "no local server"
        )
        return 0
    if action == "start":
        info = local_server()
        assert info is not None
    else:
        url = configured_api_url()
        if url:
            print(f"PREFECT_API_URL is set: runs are recorded at {url}")
            return 0
        info = local_server(start=False)
        if info is None:
            print("no local Prefect server running; the next run, snapshot or backfill starts one")
            return 0
    print(
        f"local Prefect server at {info.url} (pid {info.pid}; UI {info.url[: -len('/api')]}; log {info.log})"
    )
    return 0
