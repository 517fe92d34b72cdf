"""The run lock: one process at a time writes a data directory's warehouse and releases.

Belongs here: `run_lock(settings, wait_s)`, a context manager over `<data dir>/run.lock` held with `flock` (the
kernel releases it when the holder dies, so a lock left by a killed process is simply taken over), recording the
holder's PID, start time and command in the file so that a second `levelup run` can say who holds it. It is
re-entrant inside one process (the CLI holds it for a whole run; the steps that write the warehouse take it again
and return at once), and other processes wait up to `wait_s` seconds or are refused with a clear message.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from core.settings import Settings

_held: dict[str, int] = {}  # lock path -> depth, for this process
_guard = threading.Lock()
_fds: dict[str, int] = {}


class RunLockHeld(RuntimeError):
    """Another process holds the data directory's run lock; the message names it."""


def holder(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text() or "{}")
    except (OSError, ValueError):
        return {}


def _describe(info: dict, path: Path) -> str:
    if not info:
        return f"another process holds {path}"
    return (
        f"another levelup run holds {path}: PID {info.get('pid')}, started {info.get('started_at')}, "
        f"command `{info.get('command')}`"
    )


@contextlib.contextmanager
def run_lock(
    settings: Settings, wait_s: float | None = None, *, command: str | None = None
) -> Iterator[dict]:
    path = settings.run_lock_path
    key = str(path)
    wait_s = settings.run_lock_wait if wait_s is None else wait_s
    with _guard:
        if _held.get(key):
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield holder(path)
        finally:
            with _guard:
                _held[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + max(0.0, wait_s)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                info = holder(path)
                os.close(fd)
                raise RunLockHeld(
                    _describe(info, path)
                    + ". Wait for it to finish (or set LEVELUP_RUN_LOCK_WAIT=<seconds> to "
                    "queue behind it); a lock left by a process that died is taken over automatically."
                ) from None
            time.sleep(0.5)
    info = {
        "pid": os.getpid(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command or " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:]),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode(), 0)
    with _guard:
        _held[key] = 1
        _fds[key] = fd
    try:
        yield info
    finally:
        with _guard:
            _held.pop(key, None)
            _fds.pop(key, None)
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
