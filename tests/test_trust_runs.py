"""Issue 13 (trust), the defects seen through real `levelup run`s on a copy of the published release: a mart check
failing only downstream of a feed's new version (1), a registry path leaving the mirror (4), custom areas that
yield nothing or are rejected (10), a formula in a custom area's name (11). The fast ones are in
tests/test_trust.py; the restricted zone's in tests/test_restricted_end_to_end.py."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from helpers import overlay_mirror

pytestmark = [pytest.mark.mirror, pytest.mark.slow, pytest.mark.xdist_group("trust_runs")]
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
EVIL = "=cmd|' /C calc'!A0"
PAY = "ess/gross-median-weekly-pay/gross-median-weekly-pay.csv"


def levelup(data: Path, mirror: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LEVELUP_DATA_DIR": str(data), "LEVELUP_MIRROR": str(mirror), **extra}
    env.pop("DAGSTER_HOME", None)
    return subprocess.run([str(BIN / "levelup"), *args], env=env, capture_output=True, text=True, timeout=900)


def manifest(data: Path) -> dict:
    return json.loads((data / "releases" / "current" / "manifest.json").read_text())


def shown(res: subprocess.CompletedProcess) -> str:
    return res.stdout[-4000:] + res.stderr[-3000:]


def release_files(data: Path) -> list[Path]:
    return [p for p in (data / "releases").rglob("*") if p.is_file() and not p.is_symlink()]


# -- defects 10 and 11: custom areas ------------------------------------------------------------------------

AREAS = f"""custom_area,member_code
"{EVIL.replace('"', '""')}",95GG01S1
"{EVIL.replace('"', '""')}",95GG01S2
Nowhere,E01999998
Nowhere,E01999999
English LSOAs only,E01000001
English LSOAs only,E01000002
"""


@pytest.fixture(scope="module")
def areas(tmp_path_factory, mirror, published):
    """Two runs on a copy of the published release: one with a custom-area file (a formula-like name, an area
    matching nothing, an area matching only small areas that no additive indicator covers), then one where a
    second, malformed file is dropped beside it."""
    assert published.returncode == 0, published.stdout[-3000:] + published.stderr[-3000:]
    data = published.copy_to(tmp_path_factory.mktemp("trust-areas") / "data")
    folder = data / "custom_areas"
    folder.mkdir()
    (folder / "areas.csv").write_text(AREAS, encoding="utf-8")
    first = levelup(data, mirror, "run")
    first_manifest = manifest(data)
    with duckdb.connect(str(data / "releases" / "current" / "marts.duckdb"), read_only=True) as con:
        first_rows = con.execute("select count(*) from custom_area_indicators").fetchone()[0]
    (folder / "zz-broken.csv").write_text("custom_area,member_code\nBad,not-a-code\n", encoding="utf-8")
    second = levelup(data, mirror, "run")
    return data, first, first_manifest, first_rows, second


def test_a_formula_in_a_custom_area_name_is_neutralised_in_the_published_csv(areas):
    data, first, m, *_ = areas
    assert first.returncode == 0, shown(first)
    with duckdb.connect(str(data / "releases" / "current" / "marts.duckdb"), read_only=True) as con:
        in_mart = con.execute(
            "select count(*) from custom_area_indicators where custom_area = ?", [EVIL]
        ).fetchone()[0]
    assert in_mart > 0  # the mart keeps the analyst's name as given
    path = data / "releases" / "current" / m["exports"]["csv"]["custom_area_indicators"]
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names = {r["custom_area"] for r in rows}
    assert "'" + EVIL in names and EVIL not in names
    raw = path.read_text(encoding="utf-8")
    assert not any(line.startswith("=") or ",=" in line for line in raw.splitlines())
    assert all(float(r["value"]) >= 0 for r in rows if r["value"])  # numbers stay numbers


def test_custom_areas_yielding_no_row_are_reported_in_summary_and_manifest(areas):
    data, first, m, *_ = areas
    report = m["custom_areas"]
    assert report["status"] == "landed" and report["areas"] == 3
    why = {a["custom_area"]: a for a in report["without_rows"]}
    assert set(why) == {"Nowhere", "English LSOAs only"}
    assert why["Nowhere"]["matched"] == 0 and "none of its 2 members matches" in why["Nowhere"]["reason"]
    assert why["English LSOAs only"]["matched"] == 2
    assert "no additive (count) indicator" in why["English LSOAs only"]["reason"]
    assert "custom area 'Nowhere' has no row in custom_area_indicators" in first.stdout
    assert "custom area 'English LSOAs only' has no row" in first.stdout


def test_a_rejected_custom_area_file_fails_the_run_is_reported_and_the_previous_list_stays(areas):
    data, _, first_manifest, first_rows, second = areas
    assert second.returncode == 1, shown(second)
    assert "custom areas: REJECTED" in second.stdout
    assert "zz-broken.csv row 2: member_code 'NOT-A-CODE'" in second.stdout
    assert "'custom-areas'" in second.stderr.split("failed_feeds=")[1].split("]")[0]
    m = manifest(data)
    assert m["release_id"] != first_manifest["release_id"]
    assert m["custom_areas"]["status"] == "failed"
    assert "zz-broken.csv row 2" in m["custom_areas"]["message"]
    with duckdb.connect(str(data / "releases" / "current" / "marts.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from custom_area_indicators").fetchone()[0] == first_rows
        assert con.execute(
            "select count(*) from custom_area_indicators where custom_area = ?", [EVIL]
        ).fetchone()[0]


# -- defect 4: a registry path outside the mirror ------------------------------------------------------------

STANZA = """
  - id: passwd-probe
    title: Probe
    family: ess
    publisher: ONS
    licence: OGL-3.0
    url: https://example.org/probe.csv
    mirror_path: {path}
    indicators:
      - {{name: Probe count, measure_type: count, unit: people}}
"""


@pytest.mark.parametrize("path", ["/etc/passwd", "../../../../../../../../etc/passwd"])
def test_a_feed_reading_outside_the_mirror_stops_the_run_and_nothing_of_the_file_is_published(
    path, published, mirror, tmp_path
):
    data = published.copy_to(tmp_path / "data")
    before = manifest(data)["release_id"]
    registry = tmp_path / "feeds.yaml"  # the project's registry (feeds is its last section) + one stanza
    registry.write_text((ROOT / "registry" / "feeds.yaml").read_text() + STANZA.format(path=json.dumps(path)))
    res = levelup(data, mirror, "run", LEVELUP_REGISTRY=str(registry))
    assert res.returncode == 2, shown(res)
    assert "feed 'passwd-probe': field 'mirror_path'" in res.stderr
    assert "Traceback" not in res.stderr
    assert manifest(data)["release_id"] == before  # nothing was run
    passwd = Path("/etc/passwd").read_text().splitlines()[0].encode()  # e.g. root:x:0:0:root:/root:/bin/bash
    assert passwd not in (res.stdout + res.stderr).encode()
    for p in release_files(data):
        assert passwd not in p.read_bytes(), p


# -- defect 1: a check failing only downstream of a feed's new version ---------------------------------------


def london_pay_at(real: Path, value: str) -> bytes:
    """The real pay feed with London's (ITL1 E12000007) median weekly pay set to `value` in every period: inside
    the registry's valid range and too small a change for the feed's drift check, so the version lands; but
    above the mission catalogue's plausible range, which only mission_metrics' dbt test knows."""
    rows = list(csv.reader(io.StringIO((real / PAY).read_text(encoding="utf-8-sig"))))
    h = rows[0]
    for r in rows[1:]:
        if r[h.index("areacd")] == "E12000007" and r[h.index("indicator")] == "Gross median weekly pay":
            r[h.index("observation")], r[h.index("lci_95")], r[h.index("uci_95")] = value, "", ""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode()


def test_a_downstream_only_check_failure_rejects_the_version_and_every_mart_uses_the_previous_one(
    published, mirror, tmp_path
):
    data = published.copy_to(tmp_path / "data")
    before = manifest(data)
    variant = overlay_mirror(mirror, tmp_path / "mirror", {PAY: london_pay_at(mirror, "1600")})
    res = levelup(data, variant, "run")
    m = manifest(data)
    # the version passed ingest (contract and drift): only the mart check saw it
    assert "gross-median-weekly-pay" in m["rejected_versions"], shown(res)
    rejected = m["rejected_versions"]["gross-median-weekly-pay"]
    assert rejected["sha256"] != before["feeds"]["gross-median-weekly-pay"]["sha256"]
    assert any("mission_metrics" in r or "plausible" in r for r in rejected["reasons"]), rejected
    assert "One set of feed versions per release" in m["consistency_rule"]
    assert (
        m["feeds"]["gross-median-weekly-pay"]["sha256"]
        == before["feeds"]["gross-median-weekly-pay"]["sha256"]
    )
    assert res.returncode == 1, shown(res)  # reported: a version was rejected
    with duckdb.connect(str(data / "releases" / "current" / "marts.duckdb"), read_only=True) as con:
        for sql in (
            "select max(value) from indicators where area_code = 'E12000007' "
            "and indicator = 'Gross median weekly pay'",
            "select max(value) from indicators_harmonised where area_code = 'E12000007' "
            "and indicator = 'Gross median weekly pay'",
            "select max(value) from mission_metrics where area_code = 'E12000007' "
            "and metric_id = 'm1_median_weekly_pay'",
        ):
            value = con.execute(sql).fetchone()[0]
            assert value is not None and value < 1500, (sql, value)  # every mart: the previous version
        gaps = con.execute(
            "select max(value) from mission_gaps where metric_id = 'm1_gap_median_weekly_pay'"
        ).fetchone()[0]
    with duckdb.connect(str(published.release / "marts.duckdb"), read_only=True) as con:
        assert (
            gaps
            == con.execute(
                "select max(value) from mission_gaps where metric_id = 'm1_gap_median_weekly_pay'"
            ).fetchone()[0]
        )
    for mart in (
        "indicators",
        "indicators_harmonised",
        "mission_metrics",
        "mission_gaps",
        "mission_gap_groups",
    ):
        assert m["marts"][mart]["status"] in ("unchanged", "fresh"), (mart, m["marts"][mart])
