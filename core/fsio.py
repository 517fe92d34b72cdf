"""Crash-safe filesystem primitives shared by every zone: atomic writes, symlink swaps, append-only logs.

Belongs here: only generic operations on paths, each safe against a crash at any instruction:
  - `atomic_write_bytes` / `atomic_write_text`: temp file in the same folder, fsync, `os.replace`, fsync dir;
  - `swap_symlink`: point a symlink at a new target atomically (temp link + `os.replace`);
  - `append_jsonl` / `read_jsonl`: one fsynced JSON line per event; a line torn by a crash is skipped on read;
  - `fsync_dir` / `fsync_tree`, `sha256_file`, `confine` (a relative path that must stay under its root).
Nothing here knows about feeds, releases or dbt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path


class PathEscapeError(ValueError):
    """A configured relative path points outside the folder it must stay in."""


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file and folder under root (deepest first), then root itself."""
    for p in sorted(Path(root).rglob("*"), reverse=True):
        if p.is_symlink():
            continue
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    fsync_dir(Path(root))


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
    return path


def atomic_write_text(path: Path, text: str, *, mode: int = 0o644) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def finish_atomic(tmp: Path, path: Path) -> Path:
    """Move a fully written temp file into place (fsync the file, rename, fsync the folder)."""
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(Path(path).parent)
    return Path(path)


def swap_symlink(link: Path, target: Path | str) -> None:
    """Make `link` point at `target` (relative to the link's folder when given relative), atomically."""
    link = Path(link)
    tmp = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target)
    os.replace(tmp, link)
    fsync_dir(link.parent)


def _json_default(o):
    if isinstance(o, datetime | date):
        return o.isoformat()
    return str(o)


def append_jsonl(path: Path, entry: dict, *, mode: int = 0o644) -> None:
    """Append one JSON line and fsync it (the log survives a crash right after the call returns)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, default=_json_default, sort_keys=True) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, mode)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def read_jsonl(path: Path) -> list[dict]:
    """Every complete JSON line of a log; a line torn by a crash mid-write is skipped."""
    path = Path(path)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            out.append(json.loads(line))
    return out


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def iter_files(root: Path) -> Iterator[Path]:
    return (p for p in sorted(Path(root).rglob("*")) if p.is_file())


def confine(root: Path, relative: str, what: str) -> Path:
    """`root / relative`, refusing an absolute path or one that climbs out of root with `..`. The check is
    lexical: a file inside root may itself be a symlink (mirrors are often built from links)."""
    if not relative or Path(relative).is_absolute() or relative.startswith("~"):
        raise PathEscapeError(f"{what} {relative!r} must be a relative path inside {root}")
    base = os.path.normpath(os.path.abspath(root))
    candidate = os.path.normpath(os.path.join(base, relative))
    if os.path.commonpath([base, candidate]) != base or candidate == base:
        raise PathEscapeError(f"{what} {relative!r} leaves its folder {root}")
    return Path(candidate)
