"""Recovering from a killed run: runs whose process is gone are marked failed, and Dagster's SQLite is tidied.

Belongs here: `recover_stuck_runs(instance)`. A SIGKILLed run stays STARTED in Dagster's run storage forever, and
its `levelup/writes=warehouse` tag (limit 1) then keeps every run launched by the UI, a sensor or a schedule
QUEUED. Every run levelup launches carries the PID and start time of the process executing it
(`levelup/pid`, `levelup/process_started`); at start-up, a STARTED / STARTING / CANCELING run whose process no
longer exists is reported failed, with a message saying why, and each such recovery is printed. Runs launched by
`dagster dev` / the daemon are watched by Dagster's own run monitoring (enabled in the dagster.yaml the CLI writes).
Leftover SQLite write-ahead logs of the instance are checkpointed so a killed run leaves no `-wal` behind.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psutil
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

PID_TAG = "levelup/pid"
STARTED_TAG = "levelup/process_started"
STUCK = [DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING]


def process_tags() -> dict[str, str]:
    """Tags that let a later start-up tell whether this process is still running the run."""
    me = psutil.Process()
    return {PID_TAG: str(me.pid), STARTED_TAG: f"{me.create_time():.3f}"}


def _alive(tags) -> bool:
    try:
        proc = psutil.Process(int(tags[PID_TAG]))
    except (psutil.NoSuchProcess, ValueError, KeyError):
        return False
    started = tags.get(STARTED_TAG)
    return started is None or abs(proc.create_time() - float(started)) < 1.0


def recover_stuck_runs(instance: DagsterInstance, echo=print) -> list[str]:
    recovered = []
    for run in instance.get_runs(filters=RunsFilter(statuses=STUCK)):
        if PID_TAG not in run.tags or _alive(run.tags):
            continue
        msg = (
            f"run {run.run_id} of job {run.job_name} was {run.status.value} but its process "
            f"(PID {run.tags[PID_TAG]}) is gone (killed?): marked failed so queued runs can go ahead"
        )
        instance.report_run_failed(run, message=msg)
        echo(f"[recover] {msg}")
        recovered.append(run.run_id)
    checkpoint_sqlite(Path(instance.root_directory))
    return recovered


def checkpoint_sqlite(home: Path) -> None:
    """Fold any SQLite write-ahead log left under the Dagster home back into its database."""
    for wal in home.rglob("*.db-wal"):
        db = wal.with_name(wal.name[: -len("-wal")])
        try:
            con = sqlite3.connect(db, timeout=1)
            try:
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                con.close()
        except sqlite3.Error:
            continue
