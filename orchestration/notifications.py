"""Failure notifications from Dagster: a run failed, or a run succeeded with failed checks.

Belongs here: building the notification event (job, feeds, failed steps and checks, the quality report of the
release concerned) and the two sensors that send it through `quality.notify.notify_failure`. Both start RUNNING:
they only act on failures.
"""

import json
from collections.abc import Callable

from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    run_failure_sensor,
    run_status_sensor,
)

from core.settings import Settings, get_settings
from orchestration.events import check_failures, step_failures
from quality.notify import notify_failure

RELEASE_KEY = AssetKey(["release", "current"])


def quality_report_path(instance, run_id: str | None, settings: Settings) -> str | None:
    """The quality report of the release this run published, else of the release currently serving."""
    if run_id is not None:
        for rec in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
            mat = rec.dagster_event.event_specific_data.materialization
            if mat.asset_key == RELEASE_KEY and "quality_report" in mat.metadata:
                return str(mat.metadata["quality_report"].value)
    cur = settings.current_release
    if cur.is_symlink() or cur.exists():
        try:
            manifest = json.loads((cur / "manifest.json").read_text())
            return str(cur.resolve() / manifest.get("quality_report", "quality_report.html"))
        except (OSError, ValueError):
            return None
    return None


def run_event(context: RunStatusSensorContext, kind: str, settings: Settings) -> dict:
    run = context.dagster_run
    checks = check_failures(context.instance, run.run_id)
    steps = step_failures(context.instance, run.run_id)
    selected = sorted(k.path[1] for k in (run.asset_selection or []) if k.path[0] == "raw")
    failing_feeds = sorted({c["asset"].split("/", 1)[1] for c in checks if c["asset"].startswith("raw/")})
    first = steps[0]["message"].splitlines()[0] if steps and steps[0]["message"] else ""
    summary = (
        f"Dagster run {run.run_id} of job {run.job_name} failed"
        + (f" at step {steps[0]['step']}: {first}" if steps else "")
        if kind == "run_failure"
        else f"Dagster run {run.run_id} of job {run.job_name} finished with {len(checks)} failed check(s): "
        + ", ".join(f"{c['asset']}:{c['check']}" for c in checks[:10])
    )
    return {
        "kind": kind,
        "run_id": run.run_id,
        "job": run.job_name,
        "status": run.status.value,
        "trigger": run.tags.get("levelup/trigger") or run.tags.get("dagster/sensor_name"),
        "feeds": failing_feeds or selected,
        "feeds_in_run": selected,
        "failed_steps": steps,
        "failed_checks": checks,
        "quality_report": quality_report_path(context.instance, run.run_id, settings),
        "message": summary,
    }


def notification_sensors(settings_fn: Callable[[], Settings] = get_settings) -> list:
    @run_failure_sensor(
        name="notify_on_run_failure",
        default_status=DefaultSensorStatus.RUNNING,
        description="Sends a failure notification (LEVELUP_NOTIFY_LOG / LEVELUP_NOTIFY_WEBHOOK) with the failing "
        "steps and checks, the feeds and the quality report path.",
    )
    def notify_on_run_failure(context: RunFailureSensorContext):
        notify_failure(run_event(context, "run_failure", settings_fn()))

    @run_status_sensor(
        name="notify_on_failed_checks",
        run_status=DagsterRunStatus.SUCCESS,
        default_status=DefaultSensorStatus.RUNNING,
        description="A run that succeeded but has failed checks (a feed's contract, freshness, a held-back mart) "
        "sends a notification too.",
    )
    def notify_on_failed_checks(context: RunStatusSensorContext):
        event = run_event(context, "check_failure", settings_fn())
        if event["failed_checks"]:
            notify_failure(event)

    return [notify_on_run_failure, notify_on_failed_checks]
