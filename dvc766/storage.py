"""Every file the pipeline reads or writes goes through here, on a pyarrow filesystem.

Why: the raw store and landing zone must be able to move to S3-compatible storage by configuration
(``DVC766_DATA_DIR=s3://bucket/prefix``) without touching the code that writes them. Writes are
atomic: a temporary name, then a rename, so a crash never leaves a half-written file under its
final name.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pyarrow.fs as pafs


class Store:
    """A root directory on some pyarrow filesystem, addressed by relative POSIX paths."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        root_s = os.fspath(root)
        if "://" in root_s:
            self.fs, self.root = pafs.FileSystem.from_uri(root_s)
        else:
            self.fs = pafs.LocalFileSystem()
            self.root = str(Path(root_s).resolve())
        self.local = isinstance(self.fs, pafs.LocalFileSystem)

    def path(self, rel: str) -> str:
        rel = rel.strip("/")
        if ".." in rel.split("/"):
            raise ValueError(f"refusing path outside the store: {rel!r}")
        return f"{self.root}/{rel}" if rel else self.root

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
        tmp = f"{parent}/.tmp-{uuid.uuid4().hex}"
        with self.fs.open_output_stream(tmp, compression=None) as f:
            f.write(data)
            if self.local:
                f.flush()
        self.fs.move(tmp, final)
        return final

    def list_files(self, rel: str = "", suffix: str = "") -> list[str]:
        """Relative paths of files below ``rel`` (recursive), sorted; temporary files skipped."""
        base = self.path(rel)
        info = self.fs.get_file_info(base)
        if info.type == pafs.FileType.NotFound:
            return []
        sel = pafs.FileSelector(base, recursive=True)
        out = []
        for fi in self.fs.get_file_info(sel):
            if fi.type != pafs.FileType.File or fi.base_name.startswith(".tmp-"):
                continue
            if suffix and not fi.path.endswith(suffix):
                continue
            out.append(fi.path[len(self.root) + 1 :])
        return sorted(out)

    def delete_dir(self, rel: str) -> None:
        p = self.path(rel)
        if self.fs.get_file_info(p).type != pafs.FileType.NotFound:
            self.fs.delete_dir(p)

    def delete_file(self, rel: str) -> None:
        self.fs.delete_file(self.path(rel))
