"""The landing zone: which drops belong to which feed, landing / rejecting them, the landing sensor's
routing (open feeds landed, restricted drops handed to the restricted job), and one landing drop end to end:
sensor tick → only that feed's dbt lineage rebuilt (counted from dbt's run_results) → published release.

The end-to-end test runs in a copy of the project (a "sandbox" with its own dbt target dir, so dbt can parse
incrementally) over a data dir built once per session; the repository itself is never modified."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetMaterialization,
    Definitions,
    build_sensor_context,
    instance_for_test,
    job,
    op,
)

from core.registry import FeedSpec, Registry, load_registry
from core.settings import get_settings
from ingest.freshness import feed_freshness
from ingest.land import FeedStore
from ingest.landing import find_landing_files, ingest_landing_file

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HLE = "healthy-life-expectancy"
GIGABIT = "gigabit-capable-broadband"

RESTRICTED = FeedSpec.model_validate(
    {
        "id": "test-restricted-survey",
        "title": "A restricted delivery",
        "family": "restricted",
        "publisher": "test",
        "licence": "restricted",
        "landing_pattern": "survey-*.csv.enc",
        "format": "csv",
        "sensitivity": "restricted",
        "contract": {"columns": [{"name": "id"}]},
    }
)


def aged(path: Path, seconds: float = 60) -> Path:
    t = time.time() - seconds
    os.utime(path, (t, t))
    return path


@pytest.fixture
def landing(tmp_path, monkeypatch, mirror):
    monkeypatch.setenv("LEVELUP_DATA_DIR", str(tmp_path / "data"))
    reg = load_registry()
    return Registry(version=1, feeds=[reg.get(GIGABIT), reg.get(HLE), RESTRICTED]), get_settings()


def test_find_landing_files_matches_feed_folders_and_patterns(landing):
    reg, settings = landing
    root = settings.landing_dir
    (root / GIGABIT).mkdir(parents=True)

    def put(path: Path, age: float = 60) -> None:
        path.write_text("x")
        aged(path, age)

    put(root / GIGABIT / "gigabit-2026-q3.csv")
    put(root / GIGABIT / "gigabit.csv.part")  # still being copied
    put(root / GIGABIT / "just-arrived.csv", age=0)  # modified now: waits for the settle time
    put(root / GIGABIT / "notes.txt")
    put(root / "survey-2026.csv.enc")
    put(root / "something-else.csv")
    (root / "_processed").mkdir()
    drops, unmatched = find_landing_files(reg, settings, settle_seconds=5)
    assert [(d.feed.id, d.path.name) for d in drops] == [
        (GIGABIT, "gigabit-2026-q3.csv"),
        (RESTRICTED.id, "survey-2026.csv.enc"),
    ]
    assert sorted(p.name for p in unmatched) == ["notes.txt", "something-else.csv"]


def test_ingest_landing_file_lands_moves_and_rejects_with_a_reason(landing, mirror):
    reg, settings = landing
    feed = reg.get(GIGABIT)
    folder = settings.landing_dir / GIGABIT
    folder.mkdir(parents=True)
    drop = folder / "gigabit.csv"
    shutil.copyfile(mirror / feed.mirror_path, drop)
    out = ingest_landing_file(feed, drop, settings)
    assert out.result.status == "landed" and out.result.rows > 100
    assert not drop.exists() and out.moved_to.parent == settings.landing_dir / "_processed" / GIGABIT
    cur = FeedStore(settings.feed_dir(GIGABIT), GIGABIT).current_info()
    assert cur.via == "landing" and cur.sha256 == out.result.sha256
    assert feed_freshness(feed, settings)["is_overdue"] is False

    shutil.copyfile(mirror / feed.mirror_path, drop)  # the same bytes again
    assert ingest_landing_file(feed, drop, settings).result.status == "unchanged"

    lines = (mirror / feed.mirror_path).read_text(encoding="utf-8-sig").splitlines()
    lines[1] = lines[1].replace(lines[1].split(",")[2], "Parish", 1)  # a geography level the contract refuses
    drop.write_text("\n".join(lines) + "\n")
    bad = ingest_landing_file(feed, drop, settings)
    assert bad.result.status == "failed"
    assert bad.moved_to.parent == settings.landing_dir / "_rejected" / GIGABIT
    reason = bad.reason_file.read_text()
    assert GIGABIT in reason and "geography" in reason and "line 2" in reason
    assert FeedStore(settings.feed_dir(GIGABIT), GIGABIT).current_info().sha256 == cur.sha256
    assert [e["status"] for e in FeedStore(settings.feed_dir(GIGABIT), GIGABIT).read_log()] == [
        "landed",
        "unchanged",
        "failed",
    ]


def test_landing_sensor_lands_open_drops_routes_restricted_and_notifies_rejections(
    landing, mirror, tmp_path, monkeypatch
):
    from orchestration import definitions as d
    from orchestration.automation import build_automation

    reg, settings = landing
    monkeypatch.setenv("LEVELUP_NOTIFY_LOG", str(tmp_path / "notify.jsonl"))
    monkeypatch.delenv("LEVELUP_NOTIFY_WEBHOOK", raising=False)

    @op
    def restricted_ingest():
        pass

    @job(name="restricted_ingest")
    def restricted_job():
        restricted_ingest()

    auto = build_automation(reg, d.raw_assets, restricted_job=restricted_job, landing_settle_s=0)
    defs = Definitions.merge(
        d.core_definitions(),
        Definitions(
            jobs=[*auto["jobs"], restricted_job],
            sensors=auto["sensors"],
            asset_checks=auto["asset_checks"],
        ),
    )
    root = settings.landing_dir
    (root / GIGABIT).mkdir(parents=True)
    (root / HLE).mkdir(parents=True)
    shutil.copyfile(mirror / reg.get(GIGABIT).mirror_path, root / GIGABIT / "gigabit.csv")
    (root / HLE / "hle.csv").write_text("<!DOCTYPE html><html>not the data</html>")
    (root / "survey-2026-04.csv.enc").write_bytes(b"\x00encrypted")
    sensor = defs.get_sensor_def("landing_zone_sensor")
    with instance_for_test() as instance:
        data = sensor.evaluate_tick(build_sensor_context(instance=instance, definitions=defs))
    by_job = {r.job_name: r for r in data.run_requests}
    assert set(by_job) == {"refresh_feeds", "restricted_ingest"}
    refresh = set(by_job["refresh_feeds"].asset_selection)
    assert AssetKey(["staging", "stg_ess__gigabit_capable_broadband"]) in refresh
    assert AssetKey(["raw", GIGABIT]) not in refresh  # landed by the sensor, reported as an event
    assert AssetKey(["staging", "stg_ess__healthy_life_expectancy"]) not in refresh
    assert by_job["restricted_ingest"].tags["levelup/landing_file"].endswith("survey-2026-04.csv.enc")
    mats = [e for e in data.asset_events if isinstance(e, AssetMaterialization)]
    checks = {e.asset_key.path[1]: e.passed for e in data.asset_events if isinstance(e, AssetCheckEvaluation)}
    assert [m.asset_key.path[1] for m in mats] == [GIGABIT]
    assert checks == {GIGABIT: True, HLE: False}
    assert (root / "survey-2026-04.csv.enc").exists()  # the restricted job moves it, not this sensor
    assert list((root / "_rejected" / HLE).glob("*.reason.txt"))
    note = json.loads((tmp_path / "notify.jsonl").read_text().splitlines()[0])
    assert note["kind"] == "landing_rejected" and note["feeds"] == [HLE] and "HTML" in note["message"]


# ---------------------------------------------------------------------------------------------------
# End to end, in a sandbox copy of the project

IGNORE = shutil.ignore_patterns(
    ".venv",
    "data",
    "target",
    "logs",
    ".git",
    "test-artifacts",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "dbt_packages",
    "*.egg-info",
    ".dagster_home",
)


def sandbox_env(sandbox: Path, mirror: Path) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": str(sandbox / "project"),
        "LEVELUP_DATA_DIR": str(sandbox / "data"),
        "LEVELUP_MIRROR": str(mirror),
        "LEVELUP_REGISTRY": str(sandbox / "project" / "registry" / "feeds.yaml"),
        "LEVELUP_DBT_PROJECT_DIR": str(sandbox / "project" / "dbt_project"),
        "DAGSTER_HOME": str(sandbox / "dagster_home"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "LEVELUP_LANDING_SETTLE_S": "0",
    }
    for k in ("LEVELUP_NOTIFY_LOG", "LEVELUP_NOTIFY_WEBHOOK"):
        env.pop(k, None)
    return env


def run_in(sandbox: Path, mirror: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=sandbox / "project",
        env=sandbox_env(sandbox, mirror),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def built_sandbox(base: Path, published, mirror: Path) -> Path:
    """A copy of the project beside a copy of the published data directory: every open feed landed, the warehouse
    built and a release published by the session's real `levelup run` (conftest.published). Made once per session
    and shared with test_scaffold.py through the marker file."""
    sandbox = base / "h7-sandbox"
    marker = sandbox / "BUILT"
    if marker.exists():
        return sandbox
    if sandbox.exists():
        shutil.rmtree(sandbox)
    assert published.returncode == 0, published.stdout[-3000:] + published.stderr[-3000:]
    shutil.copytree(PROJECT_ROOT, sandbox / "project", ignore=IGNORE, symlinks=True)
    published.copy_to(sandbox / "data")
    proc = run_in(sandbox, mirror, "-m", "orchestration.cli.main", "sync-dbt")  # the copy's dbt manifest
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    marker.write_text("ok")
    return sandbox


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory, published, mirror) -> Path:
    return built_sandbox(tmp_path_factory.getbasetemp(), published, mirror)


def lineage(manifest: dict, source: str) -> set[str]:
    children, seen, stack = manifest["child_map"], set(), [source]
    while stack:
        for c in children.get(stack.pop(), []):
            if c not in seen:
                seen.add(c)
                stack.append(c)
    return {u for u in seen if u.startswith("model.")}


def parse_json_line(stdout: str) -> dict:
    line = next(x for x in stdout.splitlines() if x.startswith("LEVELUP_JSON "))
    return json.loads(line.split(" ", 1)[1])


@pytest.mark.slow
@pytest.mark.xdist_group("sandbox")
def test_landing_drop_end_to_end_rebuilds_only_that_feeds_lineage(sandbox, mirror):
    data = sandbox / "data"
    feed_file = mirror / "ess" / HLE / f"{HLE}.csv"
    lines = feed_file.read_text(encoding="utf-8-sig").splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    obs = header.index("observation")
    first[obs] = "61.3"  # a revised value for the first row
    lines[1] = ",".join(first)
    drop = data / "landing" / HLE / "hle-revised.csv"
    drop.parent.mkdir(parents=True, exist_ok=True)
    drop.write_text("\n".join(lines) + "\n", encoding="utf-8")
    aged(drop)

    proc = run_in(
        sandbox,
        mirror,
        "-m",
        "orchestration.cli.main",
        "sensor-tick",
        "landing_zone_sensor",
        "--run",
        "--json",
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    out = parse_json_line(proc.stdout)
    assert [e["asset"] for e in out["asset_events"] if e["type"] == "AssetMaterialization"] == [f"raw/{HLE}"]
    assert len(out["runs"]) == 1 and out["runs"][0]["success"], out["runs"]
    run = out["runs"][0]

    # Only the changed lineage rebuilt: exactly the models downstream of the feed's dbt source.
    manifest = json.loads((data / "warehouse" / "last_build" / "manifest.json").read_text())
    expected = {u.split(".")[-1] for u in lineage(manifest, f"source.levelup.ess.{HLE.replace('-', '_')}")}
    all_models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    ran = set(run["dbt"]["models"])
    print(
        f"\n[lineage] landing drop of {HLE}: {len(ran)} of {len(all_models)} dbt models run "
        f"({run['dbt']['nodes']} dbt nodes incl. tests: {run['dbt']['by_type']}); run {run['seconds']}s"
    )
    assert ran == expected
    assert len(ran) < len(all_models) / 2
    assert "stg_ess__healthy_life_expectancy" in ran and "stg_ess__gross_value_added" not in ran
    assert run["dbt"]["by_type"].get("seed", 0) == 0

    # The drop was processed and the revised value is in the published indicators mart.
    assert not drop.exists() and list((data / "landing" / "_processed" / HLE).iterdir())
    assert run["marts"]["indicators"] == "fresh", str(
        json.loads((Path(run["release"]) / "manifest.json").read_text())["marts"]["indicators"]
    )
    con = duckdb.connect(str(Path(run["release"]) / "marts.duckdb"), read_only=True)
    try:
        value, line = con.execute(
            "select value, source_line from indicators where feed_id = ? and source_line = 2", [HLE]
        ).fetchone()
    finally:
        con.close()
    assert (value, line) == (61.3, 2)
