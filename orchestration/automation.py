"""Semi-automated refresh, assembled: cadence jobs and schedules, the change sensors, freshness checks and
failure notifications for a set of feed assets.

Belongs here: only `build_automation`, which composes the pieces defined in `orchestration.jobs`,
`orchestration.schedules`, `orchestration.sensors`, `orchestration.checks` and `orchestration.notifications` for
the feeds of one raw-assets definition, and returns them as lists for `Definitions`. Tests build their own
automation with it (short intervals, no settle time, their own restricted routing).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dagster import AssetsDefinition, RunRequest

from core.registry import FeedSpec, Registry
from core.settings import Settings, get_settings
from orchestration import jobs, schedules
from orchestration.checks import feed_freshness_checks
from orchestration.notifications import notification_sensors
from orchestration.sensors import landing_zone_sensor, raw_key, source_change_sensor


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
    feeds = [f for f in registry.feeds if raw_key(f) in raw_assets_def.keys]
    by_key = {raw_key(f): f for f in feeds}
    refresh = jobs.refresh_feeds_job(list(by_key))
    by_cadence = jobs.cadence_jobs(feeds, schedules.CADENCE_CRON, raw_key)
    freshness = feed_freshness_checks(by_key, settings_fn)
    freshness_job = jobs.freshness_job(freshness)
    ids = {c: [f.id for f in feeds if f.cadence == c] for c in by_cadence}
    return {
        "jobs": [refresh, *by_cadence.values(), freshness_job],
        "schedules": [
            *schedules.cadence_schedules(by_cadence, ids),
            schedules.freshness_schedule(freshness_job),
        ],
        "sensors": [
            source_change_sensor(feeds, refresh, interval_s=source_interval_s, settings_fn=settings_fn),
            landing_zone_sensor(
                registry,
                by_key,
                refresh,
                restricted_job=restricted_job,
                restricted_run_request=restricted_run_request,
                interval_s=landing_interval_s,
                settle_s=landing_settle_s,
                settings_fn=settings_fn,
            ),
            *notification_sensors(settings_fn),
        ],
        "asset_checks": [freshness],
    }
