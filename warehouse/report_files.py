"""Where ``report`` and ``dashboard`` may write, and how: report files only, never anything else.

Why a check before every write: ``--out`` is typed by a person (or pasted from a chat), and before this
module ``--format md --out data/warehouse.duckdb`` replaced the published warehouse with an appendix.
A target is accepted only when

* its name ends in the format's extension (``.docx``, ``.xlsx``, ``.md``, the md's chart ``.png``,
  the dashboard's ``.html``);
* it is not inside the data folder's managed parts (the warehouse and its build files, ``raw/``,
  ``landing/``, ``compact/``, the lock files; the lake's own folders when ``DVC766_LAKE`` is a
  local folder), wherever a symlink on the way points;
* it does not exist yet, or it is a regular file that dvc766 wrote as the same kind of report (each
  writer leaves a mark: the ``dvc766:`` trace in docx/xlsx properties and the md's closing comment,
  the ``Software: dvc766`` text chunk of a chart PNG, the dashboard's generator meta tag).

Files are written under a temporary name in the target's folder and renamed (a reader never sees half a
file), with the mode a new file gets from the umask (0644 under the usual 022), and every path
written is returned so the command can name it.
"""

from __future__ import annotations

import os
import stat
import tempfile
import zipfile
from pathlib import Path

from dvc766.cli import UserError
from dvc766.settings import Settings

EXTENSIONS = {"docx": ".docx", "xlsx": ".xlsx", "md": ".md", "png": ".png", "html": ".html"}
WHAT = {
    "docx": "a docx report",
    "xlsx": "an xlsx report",
    "md": "an md report",
    "png": "an md report's chart",
    "html": "a dashboard",
}
# The data folder's parts dvc766 manages; nothing of a report goes in or over them.
MANAGED_DIRS = ("raw", "landing", "compact")
LOCK_FILES = (".build.lock", ".writer.lock")
MARK_MD = "<!-- dvc766:"
MARK_OFFICE = b"dvc766:"  # the trace in docProps/core.xml (document_properties' comments)
MARK_PNG = b"tEXtSoftware\x00dvc766"
MARK_HTML = b'<meta name="generator" content="dvc766">'
OLD_DASHBOARD_TITLE = "<title>Bộ chỉ số 766 — ".encode()  # dashboards written before the meta tag
_SNIFF_LIMIT = 64 * 1024 * 1024  # a report is far smaller; a bigger file is something else


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def managed_reason(settings: Settings, target: Path) -> str | None:
    """Why ``target`` (resolved) belongs to the data folder's managed parts, or None."""
    roots = [settings.data_dir]
    if settings.lake and "://" not in settings.lake:
        roots.append(Path(settings.lake))
    for root in roots:
        base = root.resolve()
        for name in MANAGED_DIRS:
            if _inside(target, base / name):
                return f"it is inside {base / name}, which dvc766 manages"
    base = settings.data_dir.resolve()
    warehouse = settings.warehouse_path.resolve()
    if target.parent == warehouse.parent and target.name.startswith(warehouse.name):
        return f"it is the published warehouse {warehouse} or one of its build files"
    if target.parent == base and target.name in LOCK_FILES:
        return f"it is the lock file {target}"
    return None


def is_report(path: Path, kind: str) -> bool:
    """True when ``path`` is a regular file dvc766 wrote as ``kind`` (see the module docstring)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > _SNIFF_LIMIT:
            return False
        if kind in ("docx", "xlsx"):
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                body = "word/document.xml" if kind == "docx" else "xl/workbook.xml"
                return body in names and MARK_OFFICE in z.read("docProps/core.xml")
        data = path.read_bytes()
    except (OSError, zipfile.BadZipFile, KeyError):
        return False
    if kind == "md":
        return MARK_MD.encode() in data
    if kind == "png":
        return data.startswith(b"\x89PNG") and MARK_PNG in data
    if kind == "html":
        return MARK_HTML in data[:4096] or OLD_DASHBOARD_TITLE in data[:4096]
    return False


def check_target(settings: Settings, path: Path, kind: str, *, option: str = "--out") -> Path:
    """Refuse (``UserError``, one line) a report target that is not safe to write; returns it."""
    ext = EXTENSIONS[kind]
    if path.suffix.lower() != ext:
        raise UserError(f"{option} {path}: {WHAT[kind]} is written to a {ext} file, not {path.name!r}")
    try:
        if "\x00" in str(path):
            raise ValueError("a NUL character in the path")
        resolved = path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a NUL, a symlink loop, a name too long
        raise UserError(f"{option} {path!r}: not a usable path ({exc})") from None
    why = managed_reason(settings, resolved)
    if why:
        raise UserError(
            f"{option} {path}: refused, {why}; write reports elsewhere (default {settings.reports_dir})"
        )
    if (os.path.lexists(path) or resolved.exists()) and not is_report(resolved, kind):
        raise UserError(
            f"{option} {path}: refused, the file exists and is not {WHAT[kind]} dvc766 wrote; "
            "give a new name or move it away"
        )
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_files(files: dict[Path, bytes]) -> list[Path]:
    """Write each file atomically (temporary name in its folder, fsync, rename), mode from the umask;
    the folder is made when missing (after every check passed, so a refused command makes none)."""
    mode = 0o666 & ~_umask()
    written = []
    for path, payload in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fchmod(fh.fileno(), mode)
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(path)
    return written
