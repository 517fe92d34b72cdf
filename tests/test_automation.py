"""Schedules, change sensors, freshness checks and failure notifications, evaluated with Dagster's test
contexts (`build_schedule_context`, `build_sensor_context`, `build_run_status_sensor_context`) against the
real code location's assets. Two small real feeds are landed from a copy of the mirror; nothing runs dbt here
(the end-to-end landing test in test_landing.py does, and counts the dbt nodes)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    DagsterEventType,
    Definitions,
    build_run_status_sensor_context,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
)

from core.registry import Registry, load_registry
from core.settings import get_settings
from ingest.land import FeedStore
from ingest.pipeline import ingest_feed

pytestmark = [pytest.mark.mirror, pytest.mark.xdist_group("automation")]

GIGABIT = "gigabit-capable-broadband"  # quarterly
HOMICIDE = "homicide-offences"  # annual
REFERENCE = "ons-pfa19-names"


@pytest.fixture(scope="module")
def platform():
    """The real code location (imported once): assets, dbt assets, release."""
    from orchestration import definitions as d

    return d


def make_defs(platform, registry: Registry, **kw):
    from orchestration.automation import build_automation

    auto = build_automation(registry, platform.raw_assets, **kw)
    defs = Definitions.merge(
        platform.core_definitions(),
        Definitions(
            jobs=auto["jobs"],
            schedules=auto["schedules"],
            sensors=auto["sensors"],
            asset_checks=auto["asset_checks"],
        ),
    )
    return defs, auto


@pytest.fixture
def two_feeds(tmp_path, monkeypatch, mirror):
    """A data dir and a private mirror holding copies of two real feeds; a registry of just those two."""
    data = tmp_path / "data"
    own_mirror = tmp_path / "mirror"
    reg = load_registry()
    feeds = [reg.get(GIGABIT), reg.get(HOMICIDE)]
    for f in feeds:
        dest = own_mirror / f.mirror_path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(mirror / f.mirror_path, dest)
    monkeypatch.setenv("LEVELUP_DATA_DIR", str(data))
    monkeypatch.setenv("LEVELUP_MIRROR", str(own_mirror))
    return Registry(version=1, feeds=feeds), own_mirror


def edit_one_value(path: Path) -> None:
    """A new publication: the first data row's observation changes (still within the contract)."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[1].split(",")
    cells[5] = f"{float(cells[5]) * 0.99:.4f}"
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_definitions_with_automation_load_and_every_cadence_has_a_schedule(platform):
    from orchestration.schedules import CADENCE_CRON

    reg = platform.REGISTRY
    defs, auto = make_defs(platform, reg)
    Definitions.validate_loadable(defs)
    cadences = {f.cadence for f in reg.open_feeds} - {"adhoc"}
    names = {s.name for s in auto["schedules"]}
    assert names == {f"refresh_{c}_schedule" for c in cadences} | {"freshness_checks_daily"}
    graph = defs.resolve_asset_graph()
    with instance_for_test() as instance:
        for cadence in cadences:
            sched = defs.get_schedule_def(f"refresh_{cadence}_schedule")
            assert sched.cron_schedule == CADENCE_CRON[cadence]
            assert sched.execution_timezone == "Europe/London"
            result = sched.evaluate_tick(build_schedule_context(instance=instance))
            assert len(result.run_requests) == 1
            job = defs.resolve_job_def(f"refresh_{cadence}")
            raw_selected = {k for k in job.asset_layer.selected_asset_keys if k.path[0] == "raw"}
            expected = {
                AssetKey(["raw", f.id]) for f in reg.open_feeds if f.cadence == cadence
            }
            assert raw_selected == expected, cadence
            assert AssetKey(["release", "current"]) in job.asset_layer.selected_asset_keys
        assert graph.get_all_asset_keys()  # the graph resolves


def test_source_change_sensor_over_the_mirror_requests_only_the_changed_feed_and_its_downstream(
    platform, two_feeds
):
    reg, own_mirror = two_feeds
    settings = get_settings()
    for f in reg.feeds:
        assert ingest_feed(f, settings).status == "landed"
    defs, _ = make_defs(platform, reg)
    sensor = defs.get_sensor_def("source_change_sensor")
    with instance_for_test() as instance:
        first = sensor.evaluate_tick(build_sensor_context(instance=instance, definitions=defs))
        assert not first.run_requests and "none changed" in first.skip_message

        edit_one_value(own_mirror / reg.get(GIGABIT).mirror_path)
        second = sensor.evaluate_tick(
            build_sensor_context(instance=instance, definitions=defs, cursor=first.cursor)
        )
        assert len(second.run_requests) == 1
        req = second.run_requests[0]
        keys = set(req.asset_selection)
        assert AssetKey(["raw", GIGABIT]) in keys
        assert AssetKey(["staging", "stg_ess__gigabit_capable_broadband"]) in keys
        assert AssetKey(["marts", "indicators"]) in keys and AssetKey(["release", "current"]) in keys
        assert AssetKey(["raw", HOMICIDE]) not in keys
        assert AssetKey(["staging", "stg_ess__homicide_offences"]) not in keys
        assert req.tags["levelup/feeds"] == GIGABIT and req.tags["levelup/writes"] == "warehouse"
        assert req.run_key.startswith(f"source:{GIGABIT}@")

        # The change is still pending (not landed): the next tick asks again with the same run key, which
        # Dagster de-duplicates, so one change launches one run.
        third = sensor.evaluate_tick(
            build_sensor_context(instance=instance, definitions=defs, cursor=second.cursor)
        )
        assert [r.run_key for r in third.run_requests] == [req.run_key]


def test_source_change_sensor_uses_conditional_get_against_the_source(
    platform, two_feeds, http_server, monkeypatch, mirror
):
    reg, _ = two_feeds
    monkeypatch.delenv("LEVELUP_MIRROR")
    routes = {}
    feeds = []
    for f in reg.feeds:
        routes[f.id] = http_server.add(f"/{f.id}.csv", (mirror / f.mirror_path).read_bytes())
        feeds.append(f.model_copy(update={"url": f"{http_server.base}/{f.id}.csv"}))
    reg = Registry(version=1, feeds=feeds)
    settings = get_settings()
    assert settings.mirror is None
    for f in feeds:
        assert ingest_feed(f, settings).status == "landed"
    defs, _ = make_defs(platform, reg)
    sensor = defs.get_sensor_def("source_change_sensor")
    with instance_for_test() as instance:
        first = sensor.evaluate_tick(build_sensor_context(instance=instance, definitions=defs))
        assert not first.run_requests
        for f in feeds:  # validators from the landed version's http_state: answered 304 Not Modified
            assert routes[f.id].requests[-1]["If-None-Match"] == routes[f.id].etag
        cursor = json.loads(first.cursor)["feeds"]
        assert {e["status"] for e in cursor.values()} == {304}

        body = (mirror / reg.get(HOMICIDE).mirror_path).read_text(encoding="utf-8-sig").splitlines()
        cells = body[1].split(",")
        cells[5] = "99.9"
        body[1] = ",".join(cells)
        http_server.add(f"/{HOMICIDE}.csv", ("\n".join(body) + "\n").encode())
        second = sensor.evaluate_tick(
            build_sensor_context(instance=instance, definitions=defs, cursor=first.cursor)
        )
        assert len(second.run_requests) == 1
        keys = set(second.run_requests[0].asset_selection)
        assert AssetKey(["raw", HOMICIDE]) in keys and AssetKey(["raw", GIGABIT]) not in keys
        assert json.loads(second.cursor)["feeds"][HOMICIDE]["status"] == 200


def test_freshness_check_flags_a_feed_older_than_its_cadence(platform, two_feeds):
    reg, _ = two_feeds
    settings = get_settings()
    for f in reg.feeds:
        ingest_feed(f, settings)
    # Pretend the gigabit (quarterly) version was retrieved 200 days ago.
    store = FeedStore(settings.feed_dir(GIGABIT), GIGABIT)
    for meta in (
        store.pointer,
        Path(store.current_info().raw_file).with_suffix(".json"),
    ):  # pointer + sidecar
        info = json.loads(meta.read_text())
        info["retrieved_at"] = (datetime.now(UTC) - timedelta(days=200)).isoformat()
        meta.write_text(json.dumps(info))

    defs, _ = make_defs(platform, reg)
    with instance_for_test() as instance:
        result = defs.resolve_job_def("freshness_checks").execute_in_process(instance=instance)
        assert result.success
        evals = {
            e.asset_key.path[1]: e
            for e in result.get_asset_check_evaluations()
            if e.check_name == "freshness"
        }
    assert set(evals) == {GIGABIT, HOMICIDE}
    assert evals[HOMICIDE].passed
    stale = evals[GIGABIT]
    assert not stale.passed and stale.severity.value == "WARN"
    assert "quarterly" in stale.metadata["reason"].value and stale.metadata["version_age_days"].value >= 199


def test_failure_sensors_notify_with_the_feed_check_and_quality_report(
    platform, two_feeds, mirror, tmp_path, monkeypatch
):
    from test_notify import WebhookServer

    reg, own_mirror = two_feeds
    # A reference feed too: a reference feed whose first version fails stops the run (geography cannot be
    # built without it), whereas an indicator feed would only be staged empty.
    ref = load_registry().get(REFERENCE)
    reg = Registry(version=1, feeds=[*reg.feeds, ref])
    (own_mirror / ref.mirror_path).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mirror / ref.mirror_path, own_mirror / ref.mirror_path)
    settings = get_settings()
    # A current release, so notifications can point at its quality report.
    rel = settings.releases_dir / "20260101T000000000Z"
    rel.mkdir(parents=True)
    (rel / "manifest.json").write_text(json.dumps({"quality_report": "quality_report.html"}))
    (settings.releases_dir / "current").symlink_to(rel.name)
    hook = WebhookServer()
    log = tmp_path / "notify.jsonl"
    monkeypatch.setenv("LEVELUP_NOTIFY_WEBHOOK", hook.url)
    monkeypatch.setenv("LEVELUP_NOTIFY_LOG", str(log))
    try:
        defs, _ = make_defs(platform, reg)
        job = defs.resolve_job_def("refresh_feeds")
        gigabit = own_mirror / reg.get(GIGABIT).mirror_path
        with instance_for_test() as instance:
            # 1. A reference feed whose first version is an HTML error page: the ingest step fails, the run fails.
            reference = own_mirror / ref.mirror_path
            reference.write_bytes(b"<!DOCTYPE html><html>502 Bad Gateway</html>")
            failed = job.execute_in_process(
                instance=instance, asset_selection=[AssetKey(["raw", REFERENCE])], raise_on_error=False
            )
            assert not failed.success
            failure_event = next(e for e in failed.all_events if e.event_type == DagsterEventType.RUN_FAILURE)
            ctx = build_run_status_sensor_context(
                sensor_name="notify_on_run_failure",
                dagster_event=failure_event,
                dagster_instance=instance,
                dagster_run=instance.get_run_by_id(failed.run_id),
            ).for_run_failure()
            defs.get_sensor_def("notify_on_run_failure")(ctx)

            # 2. An indicator feed lands once, then breaks: the run succeeds on the previous version, the
            # contract check fails.
            assert job.execute_in_process(
                instance=instance, asset_selection=[AssetKey(["raw", GIGABIT])]
            ).success
            gigabit.write_bytes(b"<!DOCTYPE html><html>502 Bad Gateway</html>")
            ok = job.execute_in_process(instance=instance, asset_selection=[AssetKey(["raw", GIGABIT])])
            assert ok.success
            success_event = next(e for e in ok.all_events if e.event_type == DagsterEventType.RUN_SUCCESS)
            ctx2 = build_run_status_sensor_context(
                sensor_name="notify_on_failed_checks",
                dagster_event=success_event,
                dagster_instance=instance,
                dagster_run=instance.get_run_by_id(ok.run_id),
            )
            defs.get_sensor_def("notify_on_failed_checks")(ctx2)
    finally:
        hook.close()
    assert len(hook.received) == 2
    run_failure, check_failure = hook.received
    report = str(rel / "quality_report.html")
    assert run_failure["kind"] == "run_failure" and run_failure["feeds"] == [REFERENCE]
    assert run_failure["failed_steps"][0]["step"] == "ingest_feeds"
    assert any(
        c["check"] == "contract" and c["asset"] == f"raw/{REFERENCE}" for c in run_failure["failed_checks"]
    )
    assert "HTML page" in run_failure["failed_checks"][0]["message"]
    assert run_failure["quality_report"] == report
    assert check_failure["kind"] == "check_failure" and check_failure["feeds"] == [GIGABIT]
    assert check_failure["quality_report"] == report and not check_failure["failed_steps"]
    assert [json.loads(x)["kind"] for x in log.read_text().splitlines()] == ["run_failure", "check_failure"]
    assert os.environ["LEVELUP_NOTIFY_WEBHOOK"] == hook.url
