"""Releases analysts can trust during a refresh (real OS processes, real mirror):

- readers holding `releases/current` open (DuckDB read-only, Parquet) keep working while a refresh promotes a
  new release, and never see a mix of two releases;
- SIGKILL of the refresh during ingest, dbt, checks or publish leaves `current` on a complete release, and
  the next run succeeds without manual clean-up.

The refreshes are the everyday kind: the publisher revised one value of one feed (`revised_mirror`), so each run
lands that feed and rebuilds its lineage through dbt, the checks and publish, as a scheduled refresh would. They
run in one sequence on one copy of the published data directory: a refresh killed at each point in turn, then the
refresh that completes (the readers watch that one), so the suite pays for one complete refresh, not two.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.mirror, pytest.mark.slow, pytest.mark.xdist_group("release_safety")]
LEVELUP = Path(sys.executable).parent / "levelup"


def env_for(data: Path, mirror: Path, **extra) -> dict:
    env = {**os.environ, "LEVELUP_DATA_DIR": str(data), "LEVELUP_MIRROR": str(mirror), **extra}
    env.pop("DAGSTER_HOME", None)
    return env


REVISED_FEED = "homicide-offences"


@pytest.fixture(scope="module")
def revised_mirror(mirror, tmp_path_factory) -> Path:
    """The real mirror with one observation of one feed revised (+ 0.001): the others are symlinks to the real
    files."""
    from helpers import revised_mirror as revise

    from core.registry import load_registry

    rel = load_registry().get(REVISED_FEED).mirror_path
    return revise(mirror, tmp_path_factory.mktemp("revised-mirror"), rel)


def run_levelup(data: Path, mirror: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LEVELUP), "run", *args], env=env_for(data, mirror), capture_output=True, text=True, timeout=900
    )


def assert_current_is_complete(data: Path) -> str:
    cur = data / "releases" / "current"
    assert cur.is_symlink(), "current must be a symlink to a release"
    target = cur.resolve()
    manifest = json.loads((target / "manifest.json").read_text())
    assert not (target / "marts.duckdb.wal").exists()
    with duckdb.connect(str(target / "marts.duckdb"), read_only=True) as con:
        rid = con.execute("select release_id from release_info").fetchone()[0]
        n = con.execute("select count(*) from indicators").fetchone()[0]
    assert rid == manifest["release_id"] == target.name
    assert n == manifest["marts"]["indicators"]["rows"]
    return rid


READER = textwrap.dedent(
    """
    import duckdb, json, sys, time
    from pathlib import Path
    cur, stop = Path(sys.argv[1]), Path(sys.argv[2]); deadline = time.time() + float(sys.argv[3])
    seen = set(); n = 0; last = False
    while not last and time.time() < deadline:
        last = stop.exists()  # told the refresh is over: one more round, which must see its release
        target = cur.resolve()
        con = duckdb.connect(str(target / "marts.duckdb"), read_only=True)
        rid = con.execute("select release_id from release_info").fetchone()[0]
        rows = con.execute("select count(*) from indicators").fetchone()[0]
        pq = con.execute(f"select count(*) from read_parquet('{target / 'parquet' / 'indicators.parquet'}')").fetchone()[0]
        con.close()
        manifest = json.loads((target / "manifest.json").read_text())
        assert rid == manifest["release_id"] == target.name, (rid, manifest["release_id"], target.name)
        assert rows == pq == manifest["marts"]["indicators"]["rows"], (rows, pq)
        seen.add(rid); n += 1
        time.sleep(0.02)  # a busy reader, not a spinning one: the refresh it watches needs the CPU too
    print(json.dumps({"queries": n, "releases_seen": sorted(seen)}))
    """
)


def refresh_watched_by_readers(data: Path, mirror: Path, scratch: Path) -> dict:
    """Run a refresh of `data` while two reader processes query `releases/current` in a loop (each round: the
    release's DuckDB file, its Parquet export and its manifest must agree) and a long-lived connection holds the
    previous release's file open. Returns the refresh, each reader's outcome, and what the held connection saw
    before and after."""
    script = scratch / "reader.py"
    script.write_text(READER)
    stop = scratch / "refresh-finished"  # the readers query until it exists (at most 600 s), then once more
    readers = [
        subprocess.Popen(
            [sys.executable, str(script), str(data / "releases" / "current"), str(stop), "600"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    holder = duckdb.connect(str((data / "releases" / "current").resolve() / "marts.duckdb"), read_only=True)
    held_view = "select count(*), (select release_id from release_info) from indicators"
    held = {"before": holder.execute(held_view).fetchone()}
    try:
        refresh = run_levelup(data, mirror)
    finally:
        stop.touch()  # also when the refresh times out: no reader is left querying
    held["after"] = holder.execute(held_view).fetchone()
    holder.close()
    outcomes = []
    for r in readers:
        out, err = r.communicate(timeout=120)
        outcomes.append({"returncode": r.returncode, "stdout": out, "stderr": err})
    return {"refresh": refresh, "readers": outcomes, "held": held, "build": dbt_nodes_run(data)}


def dbt_nodes_run(data: Path) -> dict[str, int]:
    """How many dbt nodes of each kind (model, test, unit_test, seed) the last build of `data` ran."""
    results = json.loads((data / "warehouse" / "last_build" / "run_results.json").read_text())["results"]
    kinds = [r["unique_id"].split(".")[0] for r in results]
    return {k: kinds.count(k) for k in ("model", "test", "unit_test", "seed")}


def assert_exports_rewritten_only_for_changed_marts(before: Path, after: Path) -> None:
    """A one-feed refresh writes the CSV of each mart whose content changed, and hard-links the CSV of every other
    mart from the previous release (the same file, not a copy); the CSV-W metadata names the new release."""
    old, new = (json.loads((r / "manifest.json").read_text())["marts"] for r in (before, after))
    same = {m for m in new if new[m]["content_hash"] == old.get(m, {}).get("content_hash")}
    changed = set(new) - same
    assert "indicators" in changed and "geography" in same, (sorted(changed), sorted(same))
    for mart in new:
        was, now = before / "csv" / f"{mart}.csv", after / "csv" / f"{mart}.csv"
        assert (now.stat().st_ino == was.stat().st_ino) == (mart in same), mart
        meta = json.loads((after / "csv" / f"{mart}.csv-metadata.json").read_text())
        assert after.name in json.dumps(meta), f"{mart}: CSV-W metadata does not name release {after.name}"


CRASH_POINTS = ["ingest", "dbt", "checks", "publish"]


def crash_at(data: Path, mirror: Path, point: str) -> dict:
    """Start a refresh, SIGKILL its whole process group when it reaches `point`; report what analysts see."""
    marker = data / f".crashpoint-{point}"
    marker.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [str(LEVELUP), "run"],  # the revised feed: landed, then (after a kill) finished by the next run
        env=env_for(data, mirror, LEVELUP_CRASHPOINT=point),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 300
    while not marker.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    reached = marker.exists()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    try:
        served = assert_current_is_complete(data)
    except AssertionError as exc:  # reported by the test, not here
        served = f"incomplete: {exc}"
    return {"reached": reached, "exit": proc.returncode, "served": served}


@pytest.fixture(scope="module")
def crash_sequence(tmp_path_factory, published, revised_mirror):
    """Kill a refresh at each point in turn, on the same data directory and with no clean-up in between: each
    refresh is also "the next run" after the previous kill, and must get past that point to reach its own.
    The first lands the revised feed (the ingest kill interrupts a real landing); the later ones find it landed
    but never published and finish its lineage. A final refresh must then complete."""
    assert published.returncode == 0, published.stdout[-3000:] + published.stderr[-3000:]
    data = published.copy_to(tmp_path_factory.mktemp("crashes") / "data")
    before = assert_current_is_complete(data)
    outcomes = {point: crash_at(data, revised_mirror, point) for point in CRASH_POINTS}
    watched = refresh_watched_by_readers(data, revised_mirror, tmp_path_factory.mktemp("readers"))
    return data, before, outcomes, watched


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_sigkill_leaves_current_on_the_last_complete_release(crash_sequence, point):
    _, before, outcomes, _ = crash_sequence
    outcome = outcomes[point]
    assert outcome["reached"], f"the refresh after the previous kill never reached {point}: {outcome}"
    assert outcome["exit"] == -signal.SIGKILL
    assert outcome["served"] == before  # analysts still see the last good release, complete


def test_readers_keep_working_during_a_refresh(crash_sequence, published):
    """The refresh that finishes the revised feed's lineage after the kills is watched by two readers and a
    connection held open on the previous release's file: an everyday one-feed refresh (its lineage rebuilt and
    published), which is also the next run after a SIGKILL."""
    data, before, _, watched = crash_sequence
    refresh = watched["refresh"]
    assert refresh.returncode == 0, refresh.stdout[-2000:]
    assert f"1 source(s) changed: {REVISED_FEED}" in refresh.stdout, refresh.stdout[-2000:]
    # dbt unit tests test the SQL on fixed fixtures: they ran with the first build (the published release: the
    # whole project, code new to the release), not with a data refresh of the same code; the data tests of the
    # rebuilt lineage did run
    first_build, refreshed = dbt_nodes_run(published.data), watched["build"]
    assert first_build["unit_test"] >= 12 and refreshed["unit_test"] == 0, (first_build, refreshed)
    assert refreshed["test"] > 0 and refreshed["model"] < first_build["model"], (first_build, refreshed)
    held = watched["held"]
    assert held["after"] == held["before"] and held["before"][1] == before  # the old file, unchanged
    after = assert_current_is_complete(data)
    assert after != before
    assert_exports_rewritten_only_for_changed_marts(data / "releases" / before, data / "releases" / after)
    for r in watched["readers"]:
        assert r["returncode"] == 0, r["stderr"][-3000:]
        stats = json.loads(r["stdout"].strip().splitlines()[-1])
        assert stats["queries"] > 10
        assert set(stats["releases_seen"]) == {before, after}  # read across the promotion, never a mix


def test_next_run_succeeds_without_manual_cleanup(crash_sequence):
    data, before, _, watched = crash_sequence
    recovered = watched["refresh"]
    assert recovered.returncode == 0, recovered.stdout[-3000:] + recovered.stderr[-3000:]
    after = assert_current_is_complete(data)
    assert after != before
    assert not list((data / "releases").glob(".building-*"))
    m = json.loads((data / "releases" / "current" / "manifest.json").read_text())
    before_m = json.loads((data / "releases" / before / "manifest.json").read_text())
    # the feed interrupted mid-landing landed again: the revised version is the one published
    assert m["feeds"][REVISED_FEED]["rows"] > 0
    assert m["feeds"][REVISED_FEED]["sha256"] != before_m["feeds"][REVISED_FEED]["sha256"]
    assert f"{REVISED_FEED}" in recovered.stdout


def test_killed_runs_are_failed_at_the_next_start_and_leave_no_wal(crash_sequence, monkeypatch):
    # issue 13, defects 5 and 13: a SIGKILLed run must not stay STARTED (its writes=warehouse tag would keep every
    # queued run waiting), the next start says so, and no SQLite write-ahead log is left in the Dagster home
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    data, _, _, watched = crash_sequence
    recovered = watched["refresh"]
    assert "[recover] run " in recovered.stdout and "is gone (killed?): marked failed" in recovered.stdout
    home = data / "dagster_home"
    assert not list(home.rglob("*-wal")), list(home.rglob("*-wal"))
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # how every Dagster tool opens the instance
    with DagsterInstance.get() as instance:
        stuck = instance.get_runs(
            filters=RunsFilter(
                statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.QUEUED]
            )
        )
        failed = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.FAILURE]))
    assert stuck == []
    assert len(failed) >= len(CRASH_POINTS)  # every killed run was marked failed
