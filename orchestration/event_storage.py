"""The Dagster event log of one data directory: Dagster's own run-sharded SQLite storage, with its connections kept.

Belongs here: `LocalEventLogStorage`, named in the dagster.yaml the CLI writes (orchestration/cli/common.py).

Why it exists (measured, docs/architecture.md "Dagster's event log"): a full refresh stores about 1,550 events, and
Dagster's `SqliteEventLogStorage` opens a new SQLAlchemy engine and connection for every read and write, commits
with an fsync, and disposes of the engine again: about 12 s of a 64 s full refresh went to storing events, half
of it to connecting. This subclass changes only that: one engine per shard (the run's file, the index) and
process, a small connection pool, and `synchronous=NORMAL` on the write-ahead log Dagster already turns on (a
commit survives the process being killed; only a power cut can lose the last few, as the WAL docs say). Every
table, file, query and migration stays Dagster's, so the webserver, daemon and `dagster instance migrate` read
the same files, and `base_dir` defaults to where Dagster's default storage keeps them ($DAGSTER_HOME/history/runs):
open the instance as Dagster's tools do, with DAGSTER_HOME set (`DagsterInstance.get()`), not `from_config(dir)`.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as db
from dagster import Field, StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS, create_db_conn_string
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine

OPEN_SHARDS = 8  # engines kept open (the index and the latest runs); a long-lived webserver reads many runs


def _default_base_dir() -> str:
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise RuntimeError(
            "LocalEventLogStorage needs DAGSTER_HOME (levelup sets it to <data dir>/dagster_home)"
        )
    return str(Path(home) / "history" / "runs")


def _tune(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # on Dagster's WAL: no fsync per commit


class LocalEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log, with one pooled engine per shard and process."""

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        super().__init__(base_dir or _default_base_dir(), inst_data=inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """The shard's engine (callers hold `_db_lock`, so one connection per shard is used at a time)."""
        if self._engines_pid != os.getpid():  # a forked child must not share its parent's connections
            self._engines, self._engines_pid = OrderedDict(), os.getpid()
        engine = self._engines.get(shard)
        if engine is None:
            engine = db.create_engine(
                create_db_conn_string(self._base_dir, shard),
                pool_size=1,
                max_overflow=2,  # Dagster's _initdb inspects the file while holding a connection
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            db.event.listen(engine, "connect", _tune)
            self._engines[shard] = engine
            while len(self._engines) > OPEN_SHARDS:
                self._engines.popitem(last=False)[1].dispose()
        self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines = OrderedDict()
        super().dispose()
