"""Which release a dashboard request reads, and pooled read-only DuckDB connections to it.

Belongs here: resolving `releases/current` on every request (so a promotion or a rollback re-points the
dashboards with no restart) or a retained release by id; one `ReleaseData` per release folder holding a small
pool of read-only connections and what is derived once per release (the indicator catalogue, the areas). A
connection is an in-memory DuckDB with the release's `marts.duckdb` attached READ_ONLY as catalog `marts`
(the default), helper views in `memory.main` (`dash_areas`, `dash_indicators`), and, only for the cleared role,
the cleared release's Parquet files as views in catalog `restricted`. Nothing here writes a file.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb

from core.releases import current_dir, list_release_dirs
from core.settings import Settings, get_settings
from restricted.zone import Zone

POOL_SIZE = 4
KEEP_RELEASES_OPEN = 3


class ReleaseNotFound(LookupError):
    """No published release, or no retained release with the id asked for."""


@dataclass(frozen=True)
class ReleaseRef:
    release_id: str
    path: Path
    is_current: bool


def resolve_release(settings: Settings | None = None, release_id: str | None = None) -> ReleaseRef:
    """The current release (resolved now), or the retained release `release_id`."""
    settings = settings or get_settings()
    cur = current_dir(settings.releases_dir)
    if not release_id:
        if cur is None:
            raise ReleaseNotFound(
                f"no published release under {settings.releases_dir}: run `levelup run` first"
            )
        return ReleaseRef(cur.name, cur, True)
    for d in list_release_dirs(settings.releases_dir):
        if d.name == release_id:
            return ReleaseRef(d.name, d.resolve(), d.resolve() == cur)
    raise ReleaseNotFound(f"no retained release {release_id!r} (see `levelup releases`)")


def retained_release_ids(settings: Settings | None = None) -> list[str]:
    settings = settings or get_settings()
    return [d.name for d in list_release_dirs(settings.releases_dir)]


def cleared_release_dir(settings: Settings | None = None) -> Path | None:
    """The restricted zone's current cleared release (its `parquet/` folder holds the cleared tables)."""
    settings = settings or get_settings()
    return current_dir(Zone(settings).cleared_releases)


def _sql_string(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class ReleaseData:
    """One release folder: pooled connections and what is derived once per release."""

    def __init__(self, release_dir: Path, cleared_dir: Path | None = None):
        self.release_dir = Path(release_dir)
        self.release_id = self.release_dir.name
        self.cleared_dir = Path(cleared_dir) if cleared_dir else None
        self._pool: queue.LifoQueue[duckdb.DuckDBPyConnection] = queue.LifoQueue()
        self._open = 0
        self._lock = threading.Lock()
        self._closed = False
        marts = self.release_dir / "marts.duckdb"
        if not marts.exists():
            raise ReleaseNotFound(f"{self.release_dir} has no marts.duckdb")

    # -- what the release holds --------------------------------------------------------------------
    @cached_property
    def tables(self) -> set[str]:
        with self.connect(helpers=False) as con:
            rows = con.execute(
                "select table_name from information_schema.tables where table_catalog = 'marts'"
            ).fetchall()
        return {r[0] for r in rows}

    @cached_property
    def restricted_tables(self) -> dict[str, Path]:
        if self.cleared_dir is None:
            return {}
        return {p.stem: p for p in sorted((self.cleared_dir / "parquet").glob("*.parquet"))}

    @cached_property
    def catalogue(self):
        from dashboards.catalogue import IndicatorCatalogue

        with self.connect(helpers=False) as con:
            return IndicatorCatalogue.from_release(con, self.tables)

    # -- connections --------------------------------------------------------------------------------
    def _new_connection(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(config={"threads": 1})
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH {_sql_string(self.release_dir / 'marts.duckdb')} AS marts (READ_ONLY)")
        if self.restricted_tables:
            con.execute("ATTACH ':memory:' AS restricted")
        for stem, path in self.restricted_tables.items():
            con.execute(
                f'CREATE VIEW restricted.main."{stem}" AS SELECT * FROM read_parquet({_sql_string(path)})'
            )
        con.execute("USE marts")
        con.execute("SET search_path = 'marts.main,memory.main'")
        return con

    def _install_helpers(self, con: duckdb.DuckDBPyConnection) -> None:
        from dashboards.catalogue import areas_sql

        if "geography" in self.tables:
            con.execute(f"CREATE OR REPLACE VIEW memory.main.dash_areas AS {areas_sql()}")
        con.register("dash_indicators_df", self.catalogue.frame())
        con.execute("CREATE OR REPLACE VIEW memory.main.dash_indicators AS SELECT * FROM dash_indicators_df")

    @contextlib.contextmanager
    def connect(self, helpers: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for this thread only; returned to the pool afterwards."""
        try:
            con, ready = self._pool.get_nowait(), True
        except queue.Empty:
            con, ready = self._new_connection(), False
            with self._lock:
                self._open += 1
        try:
            if helpers and not ready:
                self._install_helpers(con)
            yield con
        finally:
            if helpers and not self._closed and self._pool.qsize() < POOL_SIZE:
                self._pool.put(con)
            else:
                con.close()
                with self._lock:
                    self._open -= 1

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return


class Releases:
    """The `ReleaseData` of the releases in use, newest use last; the least recently used beyond a few are
    closed (a pruned release's files stay readable by connections already open)."""

    def __init__(self, settings_factory=get_settings):
        self._settings = settings_factory
        self._open: OrderedDict[tuple[Path, Path | None], ReleaseData] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, release_id: str | None = None, *, cleared: bool = False) -> ReleaseData:
        settings = self._settings()
        ref = resolve_release(settings, release_id)
        cleared_dir = cleared_release_dir(settings) if cleared else None
        key = (ref.path, cleared_dir)
        with self._lock:
            data = self._open.get(key)
            if data is None:
                data = ReleaseData(ref.path, cleared_dir)
                self._open[key] = data
            self._open.move_to_end(key)
            while len(self._open) > KEEP_RELEASES_OPEN * 2:
                _, old = self._open.popitem(last=False)
                old.close()
        return data

    def close(self) -> None:
        with self._lock:
            for data in self._open.values():
                data.close()
            self._open.clear()
