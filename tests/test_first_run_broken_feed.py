"""The very first refresh, with one indicator feed broken (its source serves an HTML error page): the release
still publishes the marts that do not need that feed, withholds those that do (their completeness tests name
the gap), and the manifest says which feed failed and why."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import overlay_mirror

pytestmark = [pytest.mark.mirror, pytest.mark.slow, pytest.mark.xdist_group("first_run_broken_feed")]
BROKEN = "ess/healthy-life-expectancy/healthy-life-expectancy.csv"


def test_first_refresh_with_a_broken_feed_publishes_what_it_can(mirror, tmp_path):
    overlay = overlay_mirror(
        mirror, tmp_path / "mirror", {BROKEN: b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"}
    )
    data = tmp_path / "data"
    env = {**os.environ, "LEVELUP_DATA_DIR": str(data), "LEVELUP_MIRROR": str(overlay)}
    env.pop("DAGSTER_HOME", None)
    run = subprocess.run(
        [str(Path(sys.executable).parent / "levelup"), "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]  # attention: a feed failed
    manifest = json.loads((data / "releases" / "current" / "manifest.json").read_text())
    hle = manifest["feeds"]["healthy-life-expectancy"]
    assert hle["last_ingest_status"] == "failed" and hle["sha256"] is None
    assert "HTML page instead of CSV" in hle["last_ingest_message"]
    marts = manifest["marts"]
    for needs_hle in (
        "indicators",
        "indicators_harmonised",
        "mission_metrics",
        "mission_gaps",
        "mission_gap_groups",
    ):
        assert marts[needs_hle]["status"] == "withheld", (needs_hle, marts[needs_hle])
        assert marts[needs_hle]["reasons"], needs_hle
    assert any("cover_every_ess_feed" in r for r in marts["indicators"]["reasons"])
    assert marts["geography"]["status"] == "fresh" and marts["geography"]["rows"] == 361
    assert marts["provenance"]["status"] == "fresh"
    assert not (data / "raw" / "healthy-life-expectancy" / "current.json").exists()  # nothing of it landed
