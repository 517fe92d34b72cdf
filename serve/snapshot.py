"""One release per request: resolve `releases/current` once, and read only that release until the answer is sent.

Belongs here: `ReleaseStore` (the releases of one zone: the open releases under `<data>/releases/`, or the
cleared releases under `<data>/restricted/releases/`), the per-release handle it keeps (`ReleaseHandle`: the
release's DuckDB opened read-only, its manifest, the facts the API derives from it once), and `Snapshot`, what a
request holds: the handle plus its own cursor.

Why this is safe during a refresh: a promoted release is never modified, and promotion or rollback swaps the
`current` symlink atomically. A request reads the symlink once (`os.readlink`) and from then on addresses the
release by its id; its DuckDB connection was opened on that release's own file, so a swap, or even the pruning
of the folder, cannot change what the request reads (an open file stays readable after unlink). A release
folder is opened at most once per process and shared by requests through cursors (a small per-release pool);
handles of releases that are neither current nor listed any more are closed when no request uses them. The
warehouse is never opened. The cleared zone's releases are Parquet only: their tables are loaded into an
in-memory DuckDB when the release is first opened, so they are immutable for the handle's lifetime too.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from core.releases import BUILDING_PREFIX
from serve.problems import Problem

log = logging.getLogger("levelup.serve")

# What a release folder may be called (core.releases.new_release_id makes `20261201T113700704Z`); anything
# else in `?release=` is refused before the file system is touched.
RELEASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class ReleaseHandle:
    """An opened release. Immutable once built; `fact()` memoises what the API derives from it."""

    def __init__(self, release_id: str, path: Path, con: duckdb.DuckDBPyConnection, manifest: dict, tables):
        self.release_id, self.path, self.con, self.manifest = release_id, path, con, manifest
        self.tables: frozenset[str] = frozenset(tables)
        self.users = 0
        self.closed = False
        self._facts: dict[str, Any] = {}
        self._fact_locks: dict[str, threading.Lock] = {}
        self._started: set[str] = set()
        self._lock = threading.Lock()

    def fact(self, name: str, compute: Callable[[Snapshot], Any], snap: Snapshot) -> Any:
        if name in self._facts:
            return self._facts[name]
        with self._lock:
            lock = self._fact_locks.setdefault(name, threading.Lock())
        with lock:  # one lock per fact: a slow fact never holds up another
            if name not in self._facts:
                self._facts[name] = compute(snap)
            return self._facts[name]

    def peek(self, name: str) -> Any:
        """The fact if it has been computed, else None (never waits)."""
        return self._facts.get(name)

    def start_once(self, name: str) -> bool:
        """True for the first caller only: that caller builds the fact (e.g. in the background)."""
        with self._lock:
            if name in self._started:
                return False
            self._started.add(name)
            return True

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.con.close()


class Snapshot:
    """What one request reads: one release, through its own cursor. Close it when the answer is built."""

    def __init__(self, store: ReleaseStore, handle: ReleaseHandle):
        self.store, self.handle = store, handle
        self.release_id = handle.release_id
        self.manifest = handle.manifest
        self._cursor: duckdb.DuckDBPyConnection | None = None

    def has(self, table: str) -> bool:
        return table in self.handle.tables

    def require(self, table: str) -> None:
        if not self.has(table):
            status = (self.manifest.get("marts") or {}).get(table, {}).get("status", "not in this release")
            raise Problem(
                404,
                "mart-unavailable",
                f"mart {table!r} is not published in release {self.release_id} (status: {status}); "
                "see /api/v1/releases for the releases that have it",
                release=self.release_id,
            )

    def sql(self, query: str, params: list | tuple = ()) -> list[tuple]:
        if self._cursor is None:
            self._cursor = self.handle.con.cursor()
        return self._cursor.execute(query, list(params)).fetchall()

    def columns(self, table: str) -> list[str]:
        return self.fact(f"columns:{table}", lambda s: [r[0] for r in s.sql(f"describe {table}")])

    def fact(self, name: str, compute: Callable[[Snapshot], Any]) -> Any:
        return self.handle.fact(name, compute, self)

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None
        self.store.release(self.handle)


class ReleaseStore:
    """The releases of one zone, opened on demand, one handle per release shared by concurrent requests."""

    def __init__(self, releases_dir: Path, *, zone: str = "open", max_open: int = 8):
        self.releases_dir = Path(releases_dir)
        self.zone = zone
        self.max_open = max_open
        self._handles: dict[str, ReleaseHandle] = {}
        self._manifests: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()
        self.warm: Callable[[Snapshot], None] | None = None

    # -- naming ---------------------------------------------------------------------------------------
    def current_id(self) -> str | None:
        """The release `current` points to now (one atomic readlink), or None when there is none."""
        try:
            target = os.readlink(self.releases_dir / "current")
        except OSError:
            return None
        name = Path(target).name
        return name if RELEASE_ID.match(name) else None

    def release_ids(self) -> list[str]:
        """Published releases, oldest first (hidden build folders and the `current` link excluded)."""
        try:
            entries = list(os.scandir(self.releases_dir))
        except OSError:
            return []
        return sorted(
            e.name
            for e in entries
            if not e.name.startswith((".", BUILDING_PREFIX))
            and e.name != "current"
            and RELEASE_ID.match(e.name)
            and not e.is_symlink()
            and os.path.exists(os.path.join(e.path, "manifest.json"))
        )

    # -- opening --------------------------------------------------------------------------------------
    def open(self, release_id: str | None = None) -> Snapshot:
        """A snapshot of `release_id`, or of the current release. Raises a Problem (404/503) otherwise."""
        if release_id is not None:
            if not RELEASE_ID.match(release_id) or release_id == "current":
                raise self.not_found(release_id)
            if release_id not in self.release_ids():
                raise self.not_found(release_id)
            try:
                return Snapshot(self, self._acquire(release_id))
            except (OSError, duckdb.Error) as exc:
                log.warning("cannot open release %s: %s", release_id, exc)
                raise self.not_found(release_id) from None
        last: Exception | None = None
        for _ in range(5):  # `current` moved between readlink and open: read it again
            rid = self.current_id()
            if rid is None:
                break
            try:
                return Snapshot(self, self._acquire(rid))
            except (OSError, duckdb.Error) as exc:
                last = exc
        if last is not None:
            log.error("cannot open the current %s release: %s", self.zone, last)
        raise Problem(
            503,
            "no-release",
            "no cleared release is published yet (`levelup restricted publish-cleared`)"
            if self.zone == "cleared"
            else "no release is published yet: run `levelup run` to publish one",
        )

    def open_if_ready(self, release_id: str | None = None) -> Snapshot | None:
        """A snapshot of the current release when it is already open (no file system work but one readlink);
        None otherwise (then call `open`, off the event loop)."""
        if release_id is not None:
            return None
        rid = self.current_id()
        with self._lock:
            handle = self._handles.get(rid) if rid else None
            if handle is None or handle.closed:
                return None
            handle.users += 1
        return Snapshot(self, handle)

    def not_found(self, release_id: str) -> Problem:
        available = self.release_ids()
        return Problem(
            404,
            "release-not-found",
            f"release {release_id!r} is not a retained {self.zone} release; retained: "
            + (", ".join(available) or "none"),
            available=available,
        )

    def _acquire(self, release_id: str) -> ReleaseHandle:
        with self._lock:
            handle = self._handles.get(release_id)
            if handle is not None:
                handle.users += 1
                return handle
        handle = self._open_handle(release_id)  # outside the lock: opening takes a few ms
        with self._lock:
            existing = self._handles.get(release_id)
            if existing is not None:
                handle.close()
                handle = existing
            else:
                self._handles[release_id] = handle
            handle.users += 1
            self._evict_locked(keep=release_id)
        return handle

    def release(self, handle: ReleaseHandle) -> None:
        with self._lock:
            handle.users -= 1
            if handle.closed is False and handle.release_id not in self._handles and handle.users == 0:
                handle.close()

    def _evict_locked(self, keep: str) -> None:
        current = self.current_id()
        listed = set(self.release_ids())
        idle = [rid for rid, h in self._handles.items() if rid not in (keep, current) and h.users == 0]
        gone = [rid for rid in idle if rid not in listed]
        extra = [rid for rid in sorted(idle) if rid in listed][: max(0, len(self._handles) - self.max_open)]
        for rid in gone + extra:
            self._handles.pop(rid).close()

    def _open_handle(self, release_id: str) -> ReleaseHandle:
        path = self.releases_dir / release_id
        if self.zone == "cleared":
            return self._open_cleared(release_id, path)
        manifest = json.loads((path / "manifest.json").read_text())
        con = duckdb.connect(str(path / "marts.duckdb"), read_only=True)
        try:
            con.execute("SET enable_progress_bar = false")
            tables = {
                r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
            }
            if "release_info" in tables:
                row = con.execute("select release_id from release_info").fetchone()
                if row and row[0] != release_id:
                    raise duckdb.InvalidInputException(
                        f"release folder {release_id} holds marts of release {row[0]}"
                    )
        except Exception:
            con.close()
            raise
        return ReleaseHandle(release_id, path, con, manifest, tables)

    def _open_cleared(self, release_id: str, path: Path) -> ReleaseHandle:
        manifest = json.loads((path / "manifest.json").read_text())
        con = duckdb.connect(":memory:")
        tables = []
        try:
            con.execute("SET enable_progress_bar = false")
            for pq in sorted((path / "parquet").glob("*.parquet")):
                name = pq.stem
                if not TABLE_NAME.match(name):
                    log.warning("skipping cleared file with an unexpected name: %s", pq.name)
                    continue
                con.execute(f'create table "{name}" as select * from read_parquet(?)', [str(pq)])
                tables.append(name)
        except Exception:
            con.close()
            raise
        return ReleaseHandle(release_id, path, con, manifest, tables)

    # -- warming new releases -------------------------------------------------------------------------
    def open_current_early(self) -> None:
        """Open the current release (and compute its facts) before a request needs it."""
        rid = self.current_id()
        if rid is None:
            return
        with self._lock:
            if rid in self._handles:
                return
        try:
            snap = self.open(rid)
        except Problem:
            return
        try:
            if self.warm is not None:
                self.warm(snap)
        except Exception:  # warming is an optimisation: a request computes the same facts itself
            log.exception("warming release %s failed", rid)
        finally:
            snap.close()

    def start_watching(self, interval: float) -> None:
        if interval <= 0 or self._watcher is not None:
            return
        self._stop.clear()

        def loop():
            while not self._stop.wait(interval):
                self.open_current_early()

        self._watcher = threading.Thread(target=loop, name=f"levelup-{self.zone}-releases", daemon=True)
        self._watcher.start()

    def close(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None
        with self._lock:
            for h in self._handles.values():
                if h.users == 0:
                    h.close()
            self._handles.clear()

    def manifest(self, release_id: str) -> dict | None:
        """A retained release's manifest (read once: a promoted release never changes)."""
        with self._lock:
            if release_id in self._manifests:
                return self._manifests[release_id]
        try:
            doc = json.loads((self.releases_dir / release_id / "manifest.json").read_text())
        except (OSError, ValueError):
            return None
        with self._lock:
            self._manifests[release_id] = doc
        return doc

    def open_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._handles)
