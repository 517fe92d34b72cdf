"""The whole platform over the real mirror, through the same command `make run` uses (`levelup run`):
a clean refresh publishes a release whose `indicators` mart has rows from every registered ESS feed and whose
manifest hashes match the mirror files; a second refresh with one feed broken keeps that feed's previous
version, flags it, and still publishes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from helpers import overlay_mirror

from core.registry import load_registry

pytestmark = [pytest.mark.mirror, pytest.mark.slow, pytest.mark.xdist_group("full_refresh")]
LEVELUP = Path(sys.executable).parent / "levelup"


def levelup(data_dir: Path, mirror: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LEVELUP_DATA_DIR": str(data_dir), "LEVELUP_MIRROR": str(mirror)}
    env.pop("DAGSTER_HOME", None)
    return subprocess.run([str(LEVELUP), *args], env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def refreshes(tmp_path_factory, mirror, published):
    data = published.copy_to(tmp_path_factory.mktemp("refresh") / "data")
    first = published
    releases_after_first = sorted(p.name for p in (data / "releases").iterdir() if not p.name.startswith("."))
    broken = overlay_mirror(
        mirror,
        tmp_path_factory.mktemp("broken-mirror"),
        {
            "ess/healthy-life-expectancy/healthy-life-expectancy.csv": b"<!DOCTYPE html><html>502 Bad Gateway</html>"
        },
    )
    second = levelup(data, broken, "run")
    # Third: a file that passes its contract but silently dropped an indicator (male HLE). Only the downstream
    # checks can see it: the mission marts must be held back (carried over), unrelated marts publish fresh.
    hle = (mirror / "ess/healthy-life-expectancy/healthy-life-expectancy.csv").read_text(encoding="utf-8-sig")
    female_only = "".join(ln for ln in hle.splitlines(keepends=True) if "Male healthy" not in ln)
    dropped = overlay_mirror(
        mirror,
        tmp_path_factory.mktemp("dropped-indicator"),
        {"ess/healthy-life-expectancy/healthy-life-expectancy.csv": female_only.encode()},
    )
    third = levelup(data, dropped, "run")
    return data, first, releases_after_first, second, third


def release_dirs(data: Path) -> list[Path]:
    return sorted(
        p for p in (data / "releases").iterdir() if not p.is_symlink() and not p.name.startswith(".")
    )


def current_manifest(data: Path) -> dict:
    return json.loads((data / "releases" / "current" / "manifest.json").read_text())


def test_first_refresh_publishes_a_release(refreshes):
    data, first, releases, *_ = refreshes
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert len(releases) == 2 and "current" in releases
    assert "Release: " in first.stdout and "indicators" in first.stdout  # summary printed


def test_manifest_hashes_match_the_mirror_files(refreshes, mirror):
    data, *_ = refreshes
    first_release = sorted(
        p for p in (data / "releases").iterdir() if not p.is_symlink() and not p.name.startswith(".")
    )[0]
    manifest = json.loads((first_release / "manifest.json").read_text())
    reg = load_registry()
    for feed in reg.feeds:
        if feed.sensitivity != "open" or not feed.enabled:  # disabled: no file in the mirror (issue 14)
            continue
        expected = hashlib.sha256((mirror / feed.mirror_path).read_bytes()).hexdigest()
        assert manifest["feeds"][feed.id]["sha256"] == expected, feed.id
        assert manifest["feeds"][feed.id]["url"] == feed.url
        assert manifest["feeds"][feed.id]["rows"] > 0
    assert manifest["marts"]["indicators"]["status"] == "fresh"
    assert manifest["marts"]["indicators"]["rows"] > 100_000
    assert manifest["code_version"]


def test_indicators_has_rows_from_every_ess_feed_and_traces_to_the_file(refreshes, mirror):
    data, *_ = refreshes
    db = release_dirs(data)[0] / "marts.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        per_feed = dict(con.execute("select feed_id, count(*) from indicators group by 1").fetchall())
        shas = dict(
            con.execute("select feed_id, any_value(source_sha256) from indicators group by 1").fetchall()
        )
        sheffield = con.execute(
            "select status, value, lci_95, period_end from indicators where feed_id = 'healthy-life-expectancy' "
            "and area_code = 'E08000039' "
            "and indicator = 'Male healthy life expectancy' and period_start = date '2017-01-01'"
        ).fetchall()
    enabled = [f for f in load_registry().of_family("ess") if f.enabled]
    assert len(enabled) == 58  # every ESS dataset of the mirror with a CSV (issue 14)
    for feed in enabled:
        assert per_feed.get(feed.id, 0) > 0, feed.id
    assert set(per_feed) == {f.id for f in enabled}  # the disabled (JSON-only) ones have no rows
    hle = hashlib.sha256(
        (mirror / "ess/healthy-life-expectancy/healthy-life-expectancy.csv").read_bytes()
    ).hexdigest()
    assert shas["healthy-life-expectancy"] == hle
    # The source line: E08000039,Sheffield,...,Male healthy life expectancy,2017-01-01/P3Y,61.4,Years,yrs,59.2,63.7
    assert len(sheffield) == 1 and sheffield[0][:3] == ("ok", 61.4, 59.2)
    assert str(sheffield[0][3]) == "2019-12-31"  # P3Y from 2017-01-01
    # Parquet export carries the same rows.
    with duckdb.connect() as con:
        pq_rows = con.execute(
            f"select count(*) from read_parquet('{release_dirs(data)[0] / 'parquet' / 'indicators.parquet'}')"
        ).fetchall()[0][0]
    assert pq_rows == sum(per_feed.values())


def test_suppressed_values_are_null_with_status_kept(refreshes):
    data, *_ = refreshes
    with duckdb.connect(str(release_dirs(data)[0] / "marts.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select status, source_status, count(*), count(value) from indicators "
            "where source_status in ('x', 'u') group by 1, 2 order by 1"
        ).fetchall()
    assert ("suppressed", "x") in [(r[0], r[1]) for r in rows]
    assert all(r[3] == 0 for r in rows if r[0] == "suppressed")


def test_broken_feed_keeps_previous_version_and_others_publish(refreshes, mirror):
    data, first, _, second, _ = refreshes
    assert second.returncode == 1  # attention: a feed failed
    assert "healthy-life-expectancy" in second.stdout and "HTML page instead of CSV" in second.stdout
    m = json.loads((release_dirs(data)[1] / "manifest.json").read_text())
    hle = m["feeds"]["healthy-life-expectancy"]
    assert hle["last_ingest_status"] == "failed" and hle["is_stale"] is True
    real_sha = hashlib.sha256(
        (mirror / "ess/healthy-life-expectancy/healthy-life-expectancy.csv").read_bytes()
    ).hexdigest()
    assert hle["sha256"] == real_sha  # still the last good version
    # only the changed source was fetched again (change-aware refresh); the others kept their version
    assert m["feeds"]["gross-value-added"]["last_ingest_status"] == "landed"
    assert (
        m["feeds"]["gross-value-added"]["sha256"]
        == hashlib.sha256((mirror / "ess/gross-value-added/gross-value-added.csv").read_bytes()).hexdigest()
    )
    # the lineage of the broken feed was rebuilt from its last good version: identical, so its files carried over
    assert m["marts"]["indicators"]["status"] == "unchanged"
    assert m["previous_release"] is not None


def test_dropped_indicator_is_rejected_and_the_release_stays_consistent(refreshes):
    # The version passes its contract (every row is valid) but lost an indicator: it is rejected at ingest, so
    # no mart ever sees it, and the whole release keeps using the feed's previous version (consistency rule).
    data, *_, third = refreshes
    assert third.returncode == 1, third.stdout[-3000:]
    m = current_manifest(data)
    hle = m["feeds"]["healthy-life-expectancy"]
    assert hle["last_ingest_status"] == "failed" and hle["is_stale"]
    assert "passed its contract but was rejected" in hle["last_ingest_message"]
    assert (
        "['Male healthy life expectancy'] are in the current version but missing"
        in hle["last_ingest_message"]
    )
    assert "One set of feed versions per release" in m["consistency_rule"]
    for mart in (
        "indicators",
        "indicators_harmonised",
        "mission_metrics",
        "mission_gaps",
        "mission_gap_groups",
    ):
        assert m["marts"][mart]["status"] in ("unchanged", "fresh"), (mart, m["marts"][mart])
    db = data / "releases" / "current" / "marts.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        # every mart still holds the male HLE of the last good version, the same in each
        assert (
            con.execute("select count(*) from mission_metrics where metric_id = 'm7_hle_male'").fetchone()[0]
            > 0
        )
        ind = con.execute(
            "select sum(value) from indicators where indicator = 'Male healthy life expectancy'"
        ).fetchone()[0]
        harm = con.execute(
            "select sum(value) from indicators_harmonised where indicator = 'Male healthy life expectancy' "
            "and harmonisation_method = 'direct'"
        ).fetchone()[0]
        assert (
            ind and harm and ind >= harm * (1 - 1e-12) and harm > 0
        )  # sums of doubles: the last bits depend on order
    report = (data / "releases" / "current" / "quality_report.html").read_text()
    assert "healthy-life-expectancy" in report and "rejected by its quality checks" in report
