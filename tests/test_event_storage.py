"""The Dagster event log the CLI configures (orchestration/event_storage.py): Dagster's own run-sharded SQLite files,
written with kept connections. What it must keep: every event Dagster stores is read back by a plain Dagster
instance (the webserver's view), nothing is left in a write-ahead log once the instance is closed, and a
long-lived process does not keep a file open for every run it ever read."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from orchestration.cli.common import DAGSTER_YAML

RUNS = 10


def test_events_written_through_the_cli_instance_are_dagsters_own(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    script = textwrap.dedent(
        f"""
        import json
        from dagster import DagsterInstance, MaterializeResult, asset, materialize
        from orchestration.event_storage import OPEN_SHARDS, LocalEventLogStorage

        @asset
        def counted():
            return MaterializeResult(metadata={{"n": 1}})

        with DagsterInstance.get() as instance:
            storage = instance.event_log_storage
            assert isinstance(storage, LocalEventLogStorage), type(storage)
            runs = [materialize([counted], instance=instance).run_id for _ in range({RUNS})]
            for run_id in runs:  # a webserver reading every run's log
                assert instance.all_logs(run_id), run_id
            print(json.dumps({{"runs": runs, "open": len(storage._engines), "limit": OPEN_SHARDS}}))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env={"DAGSTER_HOME": str(home), "PATH": "/usr/bin:/bin"},
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["open"] <= out["limit"] < RUNS, out  # engines are bounded, not one per run read

    # nothing left in a write-ahead log: the files alone hold every event
    assert not list(home.rglob("*-wal")), sorted(str(p) for p in home.rglob("*-wal"))

    # Dagster's default storage, on the same folder, reads what was written: every run's events and the asset's
    # materialisations in the cross-run index
    from dagster import AssetKey, DagsterEventType, EventRecordsFilter
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    plain = SqliteEventLogStorage(str(home / "history" / "runs"))
    try:
        for run_id in out["runs"]:
            types = {e.dagster_event.event_type for e in plain.get_logs_for_run(run_id) if e.dagster_event}
            assert DagsterEventType.ASSET_MATERIALIZATION in types, (run_id, types)
            assert DagsterEventType.RUN_SUCCESS in types, (run_id, types)
        records = plain.get_event_records(
            EventRecordsFilter(DagsterEventType.ASSET_MATERIALIZATION, asset_key=AssetKey("counted"))
        )
        assert sorted(r.run_id for r in records) == sorted(out["runs"])
    finally:
        plain.dispose()
