"""Every file the pipeline reads or writes goes through here, on a pyarrow filesystem.

Why: the raw store and landing zone move to S3-compatible object storage by configuration
(``DVC766_LAKE=s3://bucket/prefix``, ``DVC766_S3_ENDPOINT_URL`` for a server other than AWS) without
touching the code that writes them. Writes are atomic on both: a temporary name (``.tmp-…``, never
listed as data), then a rename — on S3 a server-side copy, which makes the object appear whole or not
at all — so a crash never leaves a half-written file under its final name.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import pyarrow.fs as pafs

if TYPE_CHECKING:
    from dvc766.settings import Settings

TMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class FileStat:
    """A stored file as a build fingerprints it: relative path, size, modification time."""

    path: str
    size: int
    mtime_ns: int


def s3_filesystem(endpoint_url: str | None = None) -> pafs.S3FileSystem:
    """pyarrow's S3 client, at ``endpoint_url`` when given (credentials: the AWS_* variables)."""
    if not endpoint_url:
        return pafs.S3FileSystem()
    url = urlparse(endpoint_url)
    return pafs.S3FileSystem(endpoint_override=url.netloc, scheme=url.scheme or "https")


class Store:
    """A root directory on some pyarrow filesystem, addressed by relative POSIX paths."""

    def __init__(self, root: str | os.PathLike[str], *, s3_endpoint_url: str | None = None) -> None:
        root_s = os.fspath(root)
        self.s3_endpoint_url = s3_endpoint_url
        if root_s.startswith("s3://"):
            self.fs: pafs.FileSystem = s3_filesystem(s3_endpoint_url)
            self.root = root_s.removeprefix("s3://").rstrip("/")
            self.scheme = "s3"
        elif "://" in root_s:
            self.fs, self.root = pafs.FileSystem.from_uri(root_s)
            self.scheme = root_s.split("://", 1)[0]
        else:
            self.fs = pafs.LocalFileSystem()
            self.root = str(Path(root_s).resolve())
            self.scheme = ""
        self.local = isinstance(self.fs, pafs.LocalFileSystem)

    @classmethod
    def lake(cls, settings: Settings) -> Store:
        """Where raw/ and landing/ live (``DVC766_LAKE``, else the data folder)."""
        return cls(settings.lake_root, s3_endpoint_url=settings.s3_endpoint_url)

    def sub(self, rel: str) -> Store:
        """The store rooted at ``rel`` below this one (same filesystem)."""
        return Store(self.uri(rel), s3_endpoint_url=self.s3_endpoint_url)

    def path(self, rel: str) -> str:
        rel = rel.strip("/")
        if ".." in rel.split("/"):
            raise ValueError(f"refusing path outside the store: {rel!r}")
        return f"{self.root}/{rel}" if rel else self.root

    def uri(self, rel: str = "") -> str:
        """The location as other readers name it: a local path, or ``s3://bucket/key``."""
        p = self.path(rel)
        return f"{self.scheme}://{p}" if self.scheme else p

    def exists(self, rel: str) -> bool:
        return self.fs.get_file_info(self.path(rel)).type != pafs.FileType.NotFound

    def read_bytes(self, rel: str) -> bytes:
        with self.fs.open_input_stream(self.path(rel), compression=None) as f:
            return f.read()

    def write_bytes(self, rel: str, data: bytes, *, overwrite: bool = True) -> str:
        """Write atomically; with ``overwrite=False`` an existing file is an error (append-only)."""
        final = self.path(rel)
        if not overwrite and self.exists(rel):
            raise FileExistsError(f"refusing to overwrite {final}")
        parent = final.rsplit("/", 1)[0]
        self.fs.create_dir(parent, recursive=True)
        tmp = f"{parent}/{TMP_PREFIX}{uuid.uuid4().hex}"
        with self.fs.open_output_stream(tmp, compression=None) as f:
            f.write(data)
            if self.local:
                f.flush()
        self.fs.move(tmp, final)
        return final

    def _file_infos(self, rel: str) -> list[pafs.FileInfo]:
        base = self.path(rel)
        if self.fs.get_file_info(base).type == pafs.FileType.NotFound:
            return []
        infos = self.fs.get_file_info(pafs.FileSelector(base, recursive=True))
        return [
            fi for fi in infos if fi.type == pafs.FileType.File and not fi.base_name.startswith(TMP_PREFIX)
        ]

    def list_files(self, rel: str = "", suffix: str = "") -> list[str]:
        """Relative paths of files below ``rel`` (recursive), sorted; temporary files skipped."""
        return [f.path for f in self.stat_files(rel, suffix)]

    def stat_files(self, rel: str = "", suffix: str = "") -> list[FileStat]:
        """Files below ``rel`` with size and modification time, sorted by path; temporaries skipped."""
        out = []
        for fi in self._file_infos(rel):
            if suffix and not fi.path.endswith(suffix):
                continue
            mtime = fi.mtime_ns if fi.mtime_ns is not None else 0
            out.append(FileStat(fi.path[len(self.root) + 1 :], int(fi.size or 0), int(mtime)))
        return sorted(out, key=lambda f: f.path)

    def delete_dir(self, rel: str) -> None:
        p = self.path(rel)
        if self.fs.get_file_info(p).type != pafs.FileType.NotFound:
            self.fs.delete_dir(p)

    def delete_file(self, rel: str) -> None:
        self.fs.delete_file(self.path(rel))

    def replace_dir(self, src: str, dst: str) -> None:
        """Put the tree ``src`` in place of ``dst``.

        Locally two renames (``dst`` aside, ``src`` in), so a reader sees the old tree or the new one.
        Object storage has no directories to rename: each object of ``src`` is copied over its name
        in ``dst`` (a copy appears whole), then the objects of ``dst`` that ``src`` lacks are deleted.
        A reader meanwhile sees whole files only, each the old or the new copy — for ``reland``, which
        rebuilds the same bytes, the same files — and a crash leaves a tree the next run repairs.
        """
        if self.local:
            old = f"{dst}.replace-old"
            self.delete_dir(old)
            if self.exists(dst):
                self.fs.move(self.path(dst), self.path(old))
            self.fs.create_dir(self.path(src), recursive=True)
            self.fs.move(self.path(src), self.path(dst))
            self.delete_dir(old)
            return
        new = {f.path[len(src) + 1 :] for f in self.stat_files(src)}
        for rel in sorted(new):
            self.fs.copy_file(self.path(f"{src}/{rel}"), self.path(f"{dst}/{rel}"))
        for f in self.stat_files(dst):
            if f.path[len(dst) + 1 :] not in new:
                self.delete_file(f.path)
        self.delete_dir(src)
