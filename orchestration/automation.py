"""Semi-automated refresh: schedules from each feed's cadence, change sensors, freshness checks, notifications.

Belongs here: every Dagster piece that decides *when* something runs, built from the registry by
`build_automation(...)`, which returns the lists `definitions.py` adds to `Definitions`:

jobs
    refresh_feeds        every raw feed asset and everything downstream (dbt models, release). Sensors launch
                         it for a subset: the changed feeds' raw assets + their downstream only.
    refresh_<cadence>    one per cadence in the registry (annual, quarterly, ...): those feeds + downstream.
    freshness_checks     only the per-feed freshness checks.
schedules
    refresh_<cadence>_schedule   the cadence as a cron (Europe/London); `adhoc` feeds have none.
    freshness_checks_daily       evaluates every feed's freshness each morning.
sensors
    source_change_sensor  polls each open source: with LEVELUP_MIRROR set it hashes the mirror file, otherwise
                          a conditional GET (If-None-Match / If-Modified-Since, validators kept per feed in the
                          cursor). Launches ONE run for the feeds whose bytes differ from their landed version.
    landing_zone_sensor   lands drops in <data dir>/landing/ (see ingest.landing), reports the raw
                          materialization and contract check, and launches a run of the downstream only.
                          Restricted feeds' drops are routed to the restricted job (`restricted_job` hook).
    notify_on_run_failure / notify_on_failed_checks   call quality.notify.notify_failure with the failing
                          steps/checks, the feeds and the path of the quality report.
asset_checks
    freshness (one per raw feed, WARN): the current version's age against the cadence (ingest.landing).

Schedules and the two change sensors start STOPPED (an operator switches them on in the UI, or set
LEVELUP_AUTOMATION=running); the notification sensors start RUNNING (they only act on failures).
Every launched run carries the tag `levelup/writes=warehouse`: give it a run-concurrency limit of 1 so that
two refreshes never write the DuckDB warehouse at once.
"""

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetMaterialization,
    AssetsDefinition,
    AssetSelection,
    DagsterEventType,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    MetadataValue,
    RunFailureSensorContext,
    RunRequest,
    RunStatusSensorContext,
    ScheduleDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    multi_asset_check,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from ingest.fetch import FetchError, fetch_http
from ingest.land import FeedStore
from ingest.landing import LandingDrop, feed_freshness, find_landing_files, ingest_landing_file
from ingest.registry import FeedSpec, Registry
from ingest.settings import Settings, get_settings
from quality.notify import notify_failure

RELEASE_KEY = AssetKey(["release", "current"])
FRESHNESS_CHECK = "freshness"
WRITES_TAG = {"levelup/writes": "warehouse"}
TIMEZONE = "Europe/London"

# When each cadence's scheduled refresh runs (06:00 London). The change sensor catches publications between.
CADENCE_CRON = {
    "daily": "0 6 * * *",
    "weekly": "0 6 * * 1",
    "monthly": "0 6 1 * *",
    "quarterly": "0 6 1 1,4,7,10 *",
    "annual": "0 6 1 4 *",  # 1 April: after the new geography codes and most annual ONS releases
}


def _raw_key(feed: FeedSpec) -> AssetKey:
    return AssetKey(["raw", feed.id])


def _automation_status() -> tuple[DefaultScheduleStatus, DefaultSensorStatus]:
    on = os.environ.get("LEVELUP_AUTOMATION", "").lower() in ("1", "on", "true", "running")
    return (
        DefaultScheduleStatus.RUNNING if on else DefaultScheduleStatus.STOPPED,
        DefaultSensorStatus.RUNNING if on else DefaultSensorStatus.STOPPED,
    )


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def downstream_keys(context: SensorEvaluationContext, keys: Sequence[AssetKey]) -> list[AssetKey]:
    """`keys` and every asset downstream of them, from the code location's asset graph."""
    repo = context.repository_def
    if repo is None:
        raise RuntimeError("the sensor context has no repository: pass definitions= to build_sensor_context")
    resolved = AssetSelection.assets(*keys).downstream().resolve(repo.asset_graph)
    return sorted(resolved, key=lambda k: k.to_user_string())


# ---------------------------------------------------------------------------------------------------
# Change detection for one feed (used by the source sensor; pure apart from reading files / one request)


def detect_change(feed: FeedSpec, settings: Settings, seen: dict[str, Any]) -> dict[str, Any]:
    """Compare the source's current bytes with the landed version, as cheaply as the source allows.

    Returns the new per-feed cursor entry: sha256 (of the source as last seen), validators, `changed`
    (the source differs from the landed version, or nothing has landed yet) and `error` (source unreachable).
    """
    store = FeedStore(settings.feed_dir(feed.id), feed.id)
    current = store.current_info()
    landed_sha = current.sha256 if current else None
    entry: dict[str, Any] = {"checked_at": datetime.now(UTC).isoformat(), "error": None}
    try:
        if settings.mirror is not None:
            path = settings.mirror / (feed.mirror_path or "")
            if not feed.mirror_path or not path.is_file():
                raise FetchError(f"feed {feed.id!r}: mirror file {path} not found")
            st = path.stat()
            if (
                seen.get("size") == st.st_size
                and seen.get("mtime_ns") == st.st_mtime_ns
                and seen.get("sha256")
            ):
                sha = seen["sha256"]
            else:
                sha = _sha256_file(path)
            entry.update(via="mirror", size=st.st_size, mtime_ns=st.st_mtime_ns, sha256=sha)
        else:
            # Ask relative to what the sensor last saw, or else to what is landed.
            if seen.get("sha256"):
                etag, last_mod, base_sha = seen.get("etag"), seen.get("last_modified"), seen["sha256"]
            else:
                state = store.http_state() if current else {}
                etag, last_mod, base_sha = state.get("etag"), state.get("last_modified"), landed_sha
            got = fetch_http(feed, etag=etag, last_modified=last_mod, max_attempts=2, backoff_s=0.5)
            if got.not_modified:
                entry.update(via="http", status=304, etag=etag, last_modified=last_mod, sha256=base_sha)
            else:
                entry.update(
                    via="http", status=200, etag=got.etag, last_modified=got.last_modified, sha256=got.sha256
                )
    except FetchError as exc:
        entry.update({k: seen.get(k) for k in ("sha256", "etag", "last_modified", "size", "mtime_ns")})
        entry.update(error=str(exc), changed=False)
        return entry
    entry["changed"] = entry.get("sha256") is not None and entry["sha256"] != landed_sha
    return entry


# ---------------------------------------------------------------------------------------------------
# Notification events


def _check_failures(instance, run_id: str) -> list[dict]:
    out = []
    for rec in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        ev = rec.dagster_event.event_specific_data
        if ev is None or ev.passed:
            continue
        msg = ev.metadata.get("message") or ev.metadata.get("reasons") or ev.metadata.get("reason")
        out.append(
            {
                "asset": ev.asset_key.to_user_string(),
                "check": ev.check_name,
                "severity": ev.severity.value if ev.severity else "ERROR",
                "message": str(getattr(msg, "value", msg or ""))[:2000],
            }
        )
    return out


def _step_failures(instance, run_id: str) -> list[dict]:
    out = []
    for rec in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE):
        err = rec.dagster_event.event_specific_data.error
        out.append(
            {"step": rec.dagster_event.step_key, "message": (err.message.strip() if err else "")[:2000]}
        )
    return out


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
    checks = _check_failures(context.instance, run.run_id)
    steps = _step_failures(context.instance, run.run_id)
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


# ---------------------------------------------------------------------------------------------------


def build_automation(
    registry: Registry,
    raw_assets_def: AssetsDefinition,
    *,
    restricted_job=None,
    restricted_run_request: Callable[[FeedSpec, Path], RunRequest] | None = None,
    source_interval_s: int = 3600,
    landing_interval_s: int = 60,
    landing_settle_s: float | None = None,
    settings_fn: Callable[[], Settings] = get_settings,
) -> dict[str, list]:
    """Build the jobs, schedules, sensors and freshness checks for the feeds in `raw_assets_def`.

    `restricted_job` / `restricted_run_request`: where landing drops of restricted feeds go. The default
    request runs `restricted_job` with tags `levelup/feed_id` and `levelup/landing_file` (the dropped path);
    with neither given, restricted drops are left in place and logged.
    """
    feeds = [f for f in registry.feeds if _raw_key(f) in raw_assets_def.keys]
    if landing_settle_s is None:
        landing_settle_s = float(os.environ.get("LEVELUP_LANDING_SETTLE_S", "5"))
    raw_keys = [_raw_key(f) for f in feeds]
    by_key = {_raw_key(f): f for f in feeds}
    schedule_status, sensor_status = _automation_status()

    # -- jobs --------------------------------------------------------------------------------------
    refresh_feeds = define_asset_job(
        "refresh_feeds",
        selection=AssetSelection.assets(*raw_keys).downstream(),
        description="Feeds (raw) and everything downstream; sensors run it for the changed feeds' lineage only.",
        tags=WRITES_TAG,
    )
    jobs: list = [refresh_feeds]
    schedules: list = []
    for cadence, cron in CADENCE_CRON.items():
        keys = [_raw_key(f) for f in feeds if f.cadence == cadence]
        if not keys:
            continue
        job = define_asset_job(
            f"refresh_{cadence}",
            selection=AssetSelection.assets(*keys).downstream(),
            description=f"Refresh the {len(keys)} {cadence} feed(s) and everything downstream of them.",
            tags={**WRITES_TAG, "levelup/cadence": cadence},
        )
        jobs.append(job)
        schedules.append(
            ScheduleDefinition(
                name=f"refresh_{cadence}_schedule",
                cron_schedule=cron,
                job=job,
                execution_timezone=TIMEZONE,
                default_status=schedule_status,
                description=f"Registry cadence `{cadence}`: "
                + ", ".join(k.path[1] for k in keys[:12])
                + (" ..." if len(keys) > 12 else ""),
                tags={"levelup/trigger": f"schedule_{cadence}"},
            )
        )

    # -- freshness checks ----------------------------------------------------------------------------
    @multi_asset_check(
        name="feed_freshness_checks",
        specs=[
            AssetCheckSpec(
                FRESHNESS_CHECK,
                asset=k,
                blocking=False,
                description=f"The current version is younger than the `{by_key[k].cadence}` cadence allows "
                "(registry cadence + grace; see ingest.landing.MAX_AGE).",
            )
            for k in raw_keys
        ],
        can_subset=True,
    )
    def feed_freshness_checks(context: AssetCheckExecutionContext):
        settings = settings_fn()
        for check_key in sorted(
            context.selected_asset_check_keys, key=lambda c: c.asset_key.to_user_string()
        ):
            feed = by_key[check_key.asset_key]
            fr = feed_freshness(feed, settings)
            yield AssetCheckResult(
                asset_key=check_key.asset_key,
                check_name=FRESHNESS_CHECK,
                passed=not fr["is_overdue"],
                severity=AssetCheckSeverity.WARN,
                description=fr["reason"] or f"fresh ({feed.cadence})",
                metadata={
                    "cadence": fr["cadence"],
                    "max_age_days": fr["max_age_days"] if fr["max_age_days"] is not None else -1,
                    "version_age_days": fr["version_age_days"] if fr["version_age_days"] is not None else -1,
                    "retrieved_at": fr["retrieved_at"] or "",
                    "last_checked_at": fr["last_checked_at"] or "",
                    "last_ingest_status": fr["last_ingest_status"],
                    "reason": fr["reason"] or "",
                },
            )

    freshness_job = define_asset_job(
        "freshness_checks",
        selection=AssetSelection.checks(feed_freshness_checks),
        description="Evaluate every feed's freshness against its registry cadence (no data is fetched).",
    )
    jobs.append(freshness_job)
    schedules.append(
        ScheduleDefinition(
            name="freshness_checks_daily",
            cron_schedule="0 7 * * *",
            job=freshness_job,
            execution_timezone=TIMEZONE,
            default_status=schedule_status,
            description="Flag feeds whose current version is older than their cadence allows.",
        )
    )

    # -- source change sensor ------------------------------------------------------------------------
    pollable = [f for f in feeds if f.sensitivity == "open" and (f.url or f.mirror_path)]

    @sensor(
        name="source_change_sensor",
        job=refresh_feeds,
        minimum_interval_seconds=source_interval_s,
        default_status=sensor_status,
        description="Polls every open source (conditional GET, or the mirror file's sha256) and refreshes only "
        "the feeds whose bytes differ from their landed version, with their downstream.",
    )
    def source_change_sensor(context: SensorEvaluationContext):
        settings = settings_fn()
        cursor = json.loads(context.cursor) if context.cursor else {}
        seen: dict[str, dict] = cursor.get("feeds", {})
        with ThreadPoolExecutor(max_workers=4) as pool:
            entries = dict(
                zip(
                    [f.id for f in pollable],
                    pool.map(lambda f: detect_change(f, settings, seen.get(f.id, {})), pollable),
                    strict=True,
                )
            )
        for fid, e in entries.items():
            if e["error"]:
                context.log.warning(f"source check failed for {fid}: {e['error']}")
        changed = [f for f in pollable if entries[f.id]["changed"]]
        new_cursor = json.dumps({"feeds": entries}, sort_keys=True)
        if not changed:
            errors = sum(1 for e in entries.values() if e["error"])
            return SensorResult(
                skip_reason=SkipReason(
                    f"{len(pollable)} sources checked, none changed"
                    + (f" ({errors} unreachable)" if errors else "")
                ),
                cursor=new_cursor,
            )
        ids = [f.id for f in changed]
        run_key = "source:" + "+".join(f"{f.id}@{entries[f.id]['sha256'][:12]}" for f in changed)
        context.log.info(f"changed sources: {ids}")
        return SensorResult(
            run_requests=[
                RunRequest(
                    run_key=run_key,
                    asset_selection=downstream_keys(context, [_raw_key(f) for f in changed]),
                    tags={
                        **WRITES_TAG,
                        "levelup/trigger": "source_change",
                        "levelup/feeds": ",".join(ids)[:1000],
                    },
                )
            ],
            cursor=new_cursor,
        )

    # -- landing zone sensor -------------------------------------------------------------------------
    sensor_jobs = [refresh_feeds] + ([restricted_job] if restricted_job is not None else [])

    def _restricted_request(feed: FeedSpec, path: Path) -> RunRequest | None:
        if restricted_run_request is not None:
            return restricted_run_request(feed, path)
        if restricted_job is None:
            return None
        st = path.stat()
        return RunRequest(
            job_name=restricted_job.name,
            run_key=f"restricted:{feed.id}:{path.name}:{st.st_size}:{st.st_mtime_ns}",
            tags={
                "levelup/trigger": "landing",
                "levelup/feed_id": feed.id,
                "levelup/landing_file": str(path),
            },
        )

    @sensor(
        name="landing_zone_sensor",
        jobs=sensor_jobs,
        minimum_interval_seconds=landing_interval_s,
        default_status=sensor_status,
        description="Lands files dropped in <data dir>/landing/ (per feed folder or registry landing_pattern), "
        "moves them to _processed/ or _rejected/, and refreshes the changed feeds' downstream.",
    )
    def landing_zone_sensor(context: SensorEvaluationContext):
        settings = settings_fn()
        drops, unmatched = find_landing_files(registry, settings, settle_seconds=landing_settle_s)
        for p in unmatched:
            context.log.warning(f"landing file {p} matches no registered feed (or several); left in place")
        events: list = []
        requests: list[RunRequest] = []
        landed: list[tuple[FeedSpec, str]] = []
        notes: list[str] = []
        for drop in drops:
            feed, path = drop.feed, drop.path
            if _raw_key(feed) not in by_key and feed.sensitivity == "open":
                context.log.warning(
                    f"landing drop {path} for {feed.id}: the feed has no raw asset; left in place"
                )
                continue
            if feed.sensitivity == "restricted":
                req = _restricted_request(feed, path)
                if req is None:
                    context.log.warning(
                        f"restricted drop {path} for {feed.id}: no restricted job wired; left in place"
                    )
                else:
                    requests.append(req)
                continue
            outcome = ingest_landing_file(feed, path, settings)
            res = outcome.result
            notes.append(f"{feed.id}: {res.status}")
            events.append(
                AssetCheckEvaluation(
                    asset_key=_raw_key(feed),
                    check_name="contract",
                    passed=res.status != "failed",
                    severity=AssetCheckSeverity.ERROR,
                    metadata={
                        "message": MetadataValue.md(f"```\n{res.message[:4000]}\n```"),
                        "file": str(path),
                    },
                )
            )
            if res.status == "landed":
                landed.append((feed, res.sha256 or ""))
                events.append(
                    AssetMaterialization(
                        asset_key=_raw_key(feed),
                        description=f"landed from the landing zone: {path.name}",
                        metadata={
                            "ingest_status": "landed",
                            "via": "landing",
                            "serving_sha256": res.sha256 or "",
                            "rows": res.rows or 0,
                            "bytes": res.bytes or 0,
                            "raw_file": res.raw_file or "",
                            "landing_file": str(path),
                            "processed_file": str(outcome.moved_to),
                        },
                    )
                )
            elif res.status == "failed":
                context.log.error(res.message)
                notify_failure(
                    {
                        "kind": "landing_rejected",
                        "feeds": [feed.id],
                        "file": str(path),
                        "rejected_to": str(outcome.moved_to),
                        "reason_file": str(outcome.reason_file),
                        "failed_checks": [
                            {
                                "asset": _raw_key(feed).to_user_string(),
                                "check": "contract",
                                "severity": "ERROR",
                                "message": res.message[:2000],
                            }
                        ],
                        "quality_report": quality_report_path(context.instance, None, settings),
                        "message": f"landing drop {path.name} for feed {feed.id} was rejected: "
                        + res.message.splitlines()[0],
                    }
                )
        if landed:
            keys = [_raw_key(f) for f, _ in landed]
            selection = [k for k in downstream_keys(context, keys) if k not in set(keys)]
            ids = [f.id for f, _ in landed]
            requests.append(
                RunRequest(
                    job_name=refresh_feeds.name,
                    run_key="landing:" + "+".join(f"{f.id}@{sha[:12]}" for f, sha in landed),
                    asset_selection=selection,
                    tags={**WRITES_TAG, "levelup/trigger": "landing", "levelup/feeds": ",".join(ids)[:1000]},
                )
            )
        if not requests and not events:
            return SensorResult(skip_reason=SkipReason("no files ready in the landing zone"))
        return SensorResult(
            run_requests=requests,
            asset_events=events,
            skip_reason=None if requests else SkipReason("; ".join(notes) or "nothing to run"),
        )

    # -- notifications --------------------------------------------------------------------------------
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

    return {
        "jobs": jobs,
        "schedules": schedules,
        "sensors": [
            source_change_sensor,
            landing_zone_sensor,
            notify_on_run_failure,
            notify_on_failed_checks,
        ],
        "asset_checks": [feed_freshness_checks],
    }


def definitions_with_automation():
    """The code location's Definitions (automation included). Used by the hand-run CLI and tests."""
    from orchestration import definitions as d

    return d.defs


__all__ = [
    "definitions_with_automation",
    "CADENCE_CRON",
    "FRESHNESS_CHECK",
    "LandingDrop",
    "build_automation",
    "detect_change",
    "downstream_keys",
    "quality_report_path",
    "run_event",
]
