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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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

from core.fsio import sha256_file
from core.registry import FeedSpec, Registry
from core.settings import Settings, get_settings
from ingest.fetch import FetchError, fetch_http, mirror_file
from ingest.land import FeedStore
from ingest.landing import find_landing_files, ingest_landing_file
from orchestration.jobs import WRITES_WAREHOUSE
from orchestration.notifications import quality_report_path
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
            path = mirror_file(feed, settings.mirror)
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
                sha = sha256_file(path)
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
            outcome = ingest_landing_file(feed, path, settings)
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
