"""Parallel ingestion never touches DuckDB: two OS processes ingest disjoint halves of the registry into the
same data directory at once and the landed Parquet is then readable by anyone;
every feed lands, with no lock error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from core.registry import load_registry
from core.settings import get_settings
from ingest.land import FeedStore

pytestmark = pytest.mark.mirror
LEVELUP = Path(sys.executable).parent / "levelup"


def test_two_processes_ingest_at_once_without_locks(mirror, data_dir):
    feeds = [f.id for f in load_registry().open_feeds]
    halves = [feeds[::2], feeds[1::2]]
    env = {**os.environ, "LEVELUP_DATA_DIR": str(data_dir), "LEVELUP_MIRROR": str(mirror)}
    procs = [
        subprocess.Popen(
            [str(LEVELUP), "ingest", *half],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for half in halves
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, out + err
        assert "lock" not in (out + err).lower()
    settings = get_settings()
    for fid in feeds:
        info = FeedStore(settings.feed_dir(fid), fid).current_info()
        assert info is not None and info.rows > 0, fid
    # The landed versions are plain files: any number of readers can open them at once.
    with duckdb.connect() as con:
        n = con.execute(
            f"select count(*) from read_csv('{data_dir}/raw/*/current.csv', union_by_name=true, all_varchar=true)"
        ).fetchall()[0][0]
    assert n > 100_000
