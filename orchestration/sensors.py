"""Sensors that start runs when data changes: the source-change sensor and the landing-zone sensor.

Belongs here:
    source_change_sensor  polls each open source: with LEVELUP_MIRROR set it hashes the mirror file, otherwise a
                          conditional GET (If-None-Match / If-Modified-Since, validators kept per feed in the
                          cursor). Launches ONE run for the feeds whose bytes differ from their landed version.
    landing_zone_sensor   lands drops in <data dir>/landing/ (see ingest.landing), reports the raw
                          materialization and contract check, and launches a run of the downstream only.
                          Restricted feeds' drops are routed to the restricted job.
Both start STOPPED unless LEVELUP_AUTOMATION=running. Every launched run carries `levelup/writes=warehouse`.
"""

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetKey,
    AssetMaterialization,
    AssetSelection,
    DefaultSensorStatus,
    MetadataValue,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from core.registry import FeedSpec, Registry
from core.settings import Settings, get_settings
from ingest.changes import detect_change
from ingest.landing import find_landing_files, ingest_landing_file
from orchestration.jobs import WRITES_WAREHOUSE
from orchestration.notifications import quality_report_path
from quality.feed_checks import check_version
from quality.notify import notify_failure


def raw_key(feed: FeedSpec) -> AssetKey:
    return AssetKey(["raw", feed.id])


def default_status() -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if get_settings().automation_on else DefaultSensorStatus.STOPPED


def downstream_keys(context: SensorEvaluationContext, keys: Sequence[AssetKey]) -> list[AssetKey]:
    """`keys` and every asset downstream of them, from the code location's asset graph."""
    repo = context.repository_def
    if repo is None:
        raise RuntimeError("the sensor context has no repository: pass definitions= to build_sensor_context")
    resolved = AssetSelection.assets(*keys).downstream().resolve(repo.asset_graph)
    return sorted(resolved, key=lambda k: k.to_user_string())


def source_change_sensor(
    feeds: list[FeedSpec],
    job,
    *,
    interval_s: int = 3600,
    settings_fn: Callable[[], Settings] = get_settings,
):
    pollable = [f for f in feeds if f.sensitivity == "open" and (f.url or f.mirror_path)]

    @sensor(
        name="source_change_sensor",
        job=job,
        minimum_interval_seconds=interval_s,
        default_status=default_status(),
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
                    asset_selection=downstream_keys(context, [raw_key(f) for f in changed]),
                    tags={
                        **WRITES_WAREHOUSE,
                        "levelup/trigger": "source_change",
                        "levelup/feeds": ",".join(ids)[:1000],
                    },
                )
            ],
            cursor=new_cursor,
        )

    return source_change_sensor


def landing_zone_sensor(
    registry: Registry,
    by_key: dict[AssetKey, FeedSpec],
    refresh_job,
    *,
    restricted_job=None,
    restricted_run_request: Callable[[FeedSpec, Path], RunRequest] | None = None,
    interval_s: int = 60,
    settle_s: float | None = None,
    settings_fn: Callable[[], Settings] = get_settings,
):
    """Land open drops through the one ingest sequence; route restricted drops to `restricted_job` (or to
    `restricted_run_request`), with tags `levelup/feed_id` and `levelup/landing_file`."""
    if settle_s is None:
        settle_s = settings_fn().landing_settle_s
    sensor_jobs = [refresh_job] + ([restricted_job] if restricted_job is not None else [])

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
        minimum_interval_seconds=interval_s,
        default_status=default_status(),
        description="Lands files dropped in <data dir>/landing/ (per feed folder or registry landing_pattern), "
        "moves them to _processed/ or _rejected/, and refreshes the changed feeds' downstream.",
    )
    def landing_zone_sensor(context: SensorEvaluationContext):
        settings = settings_fn()
        drops, unmatched = find_landing_files(registry, settings, settle_seconds=settle_s)
        for p in unmatched:
            context.log.warning(f"landing file {p} matches no registered feed (or several); left in place")
        events: list = []
        requests: list[RunRequest] = []
        landed: list[tuple[FeedSpec, str]] = []
        notes: list[str] = []
        for drop in drops:
            feed, path = drop.feed, drop.path
            if raw_key(feed) not in by_key and feed.sensitivity == "open":
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
            outcome = ingest_landing_file(feed, path, settings, accept=check_version)
            res = outcome.result
            notes.append(f"{feed.id}: {res.status}")
            events.append(
                AssetCheckEvaluation(
                    asset_key=raw_key(feed),
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
                        asset_key=raw_key(feed),
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
                                "asset": raw_key(feed).to_user_string(),
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
            keys = [raw_key(f) for f, _ in landed]
            selection = [k for k in downstream_keys(context, keys) if k not in set(keys)]
            ids = [f.id for f, _ in landed]
            requests.append(
                RunRequest(
                    job_name=refresh_job.name,
                    run_key="landing:" + "+".join(f"{f.id}@{sha[:12]}" for f, sha in landed),
                    asset_selection=selection,
                    tags={
                        **WRITES_WAREHOUSE,
                        "levelup/trigger": "landing",
                        "levelup/feeds": ",".join(ids)[:1000],
                    },
                )
            )
        if not requests and not events:
            return SensorResult(skip_reason=SkipReason("no files ready in the landing zone"))
        return SensorResult(
            run_requests=requests,
            asset_events=events,
            skip_reason=None if requests else SkipReason("; ".join(notes) or "nothing to run"),
        )

    return landing_zone_sensor
