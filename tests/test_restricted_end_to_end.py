"""A restricted delivery through the whole platform (`levelup run`, the Dagster job): an encrypted synthetic
APS drop is picked up, processed in the restricted zone, and only disclosure-controlled m8 aggregates reach the
shared release; the cleared analysts' release is published in the zone; the key appears nowhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from restricted.keys import generate_key
from restricted.scanner import scan_release

pytestmark = [pytest.mark.mirror, pytest.mark.slow, pytest.mark.xdist_group("restricted_end_to_end")]
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def delivered(tmp_path_factory, mirror):
    data = tmp_path_factory.mktemp("restricted-e2e") / "data"
    key = generate_key()
    env = {
        **os.environ,
        "LEVELUP_DATA_DIR": str(data),
        "LEVELUP_MIRROR": str(mirror),
        "LEVELUP_RESTRICTED_KEY": key,
    }
    env.pop("DAGSTER_HOME", None)
    gen = subprocess.run(
        [str(BIN / "python"), str(ROOT / "scripts" / "generate_synthetic_aps.py"), "--years", "2022"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert gen.returncode == 0, gen.stdout[-2000:] + gen.stderr[-2000:]
    run = subprocess.run([str(BIN / "levelup"), "run"], env=env, capture_output=True, text=True, timeout=900)
    return data, key, run


def test_run_publishes_m8_headline_shares_from_the_delivery(delivered):
    data, _, run = delivered
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    db = data / "releases" / "current" / "marts.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        rows = dict(
            con.execute(
                "select status, count(*) from mission_metrics where metric_id = 'm8_low_life_satisfaction' group by 1"
            ).fetchall()
        )
        gap = con.execute(
            "select value, n_areas from mission_gaps where metric_id = 'm8_gap_low_life_satisfaction'"
        ).fetchall()
        cols = {r[0] for r in con.execute("select column_name from information_schema.columns").fetchall()}
    assert rows.get("ok", 0) > 300  # most LADs publish; small samples are suppressed, never shown
    assert len(gap) == 1 and gap[0][0] > 0 and gap[0][1] > 300
    assert not {"respondent_id", "survey_weight", "life_satisfaction"} & cols


def test_shared_release_passes_the_disclosure_scanner(delivered):
    data, *_ = delivered
    failures = [c for c in scan_release((data / "releases" / "current").resolve()) if not c.passed]
    assert failures == []


def test_cleared_release_is_published_in_the_zone_only(delivered):
    data, *_ = delivered
    cleared = data / "restricted" / "releases" / "current"
    assert cleared.is_symlink() and any(cleared.resolve().rglob("*.parquet"))
    shared = {p.name for p in (data / "releases" / "current").resolve().rglob("*")}
    cleared_files = {p.name for p in cleared.resolve().rglob("*.parquet")}
    assert not (cleared_files - {"m8_wellbeing_shares.parquet"}) & shared


def test_the_key_appears_nowhere(delivered):
    data, key, run = delivered
    assert key not in run.stdout and key not in run.stderr
    for p in data.rglob("*"):
        if p.is_file() and p.stat().st_size < 50_000_000:
            assert key.encode() not in p.read_bytes(), p
