"""A local S3-compatible server for the object-storage tests and the two-worker benchmark: moto's

Started as a child process on a free port (so it behaves like a real remote store: HTTP, multipart,
copy, list) and stopped with SIGTERM by PID. Credentials are moto's dummies, set in the environment
the way an operator sets AWS_* variables.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

from benchmarks import environ

S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def s3_server() -> Iterator[str]:
    """Yield the endpoint URL (``http://127.0.0.1:PORT``) of a fresh, empty S3 server."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **S3_ENV},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def make_bucket(endpoint: str, bucket: str) -> None:
    import pyarrow.fs as pafs

    host = endpoint.removeprefix("http://")
    with environ(S3_ENV):
        pafs.S3FileSystem(endpoint_override=host, scheme="http", allow_bucket_creation=True).create_dir(
            bucket
        )
