"""The platform's Dagster jobs: what can be run, and over which assets.

Belongs here: job definitions only. Every job that writes the warehouse carries the tag
`levelup/writes=warehouse`, which the instance limits to one run at a time (`dagster.yaml`, written by the CLI),
so two refreshes never write the single-writer DuckDB at once.

    full_refresh         everything: feeds, restricted zone, dbt, release
    restricted_refresh   a restricted delivery arrived: the zone, its export, what depends on it, the release
    refresh_feeds        feeds and everything downstream; sensors run it for the changed feeds' lineage only
    refresh_<cadence>    the feeds of one registry cadence and their downstream (scheduled)
    freshness_checks     only the per-feed freshness checks
"""

from __future__ import annotations

from dagster import AssetKey, AssetSelection, define_asset_job

from core.registry import FeedSpec

WRITES_WAREHOUSE = {"levelup/writes": "warehouse"}


def full_refresh_job():
    return define_asset_job(
        "full_refresh",
        selection="*",
        tags=WRITES_WAREHOUSE,
        description="Ingest every open feed, build the warehouse with dbt, check, and publish a release.",
    )


def restricted_refresh_job(restricted_ingest_key: AssetKey):
    return define_asset_job(
        "restricted_refresh",
        selection=AssetSelection.assets(restricted_ingest_key).downstream(),
        tags=WRITES_WAREHOUSE,
        description="A restricted delivery arrived: process it in the restricted zone, export the "
        "disclosure-controlled aggregates, rebuild what depends on them and publish.",
    )


def refresh_feeds_job(raw_keys: list[AssetKey]):
    return define_asset_job(
        "refresh_feeds",
        selection=AssetSelection.assets(*raw_keys).downstream(),
        description="Feeds (raw) and everything downstream; sensors run it for the changed feeds' lineage only.",
        tags=WRITES_WAREHOUSE,
    )


def cadence_jobs(feeds: list[FeedSpec], cadences, raw_key) -> dict[str, object]:
    """One job per cadence that has feeds: those feeds and everything downstream."""
    jobs = {}
    for cadence in cadences:
        keys = [raw_key(f) for f in feeds if f.cadence == cadence]
        if keys:
            jobs[cadence] = define_asset_job(
                f"refresh_{cadence}",
                selection=AssetSelection.assets(*keys).downstream(),
                description=f"Refresh the {len(keys)} {cadence} feed(s) and everything downstream of them.",
                tags={**WRITES_WAREHOUSE, "levelup/cadence": cadence},
            )
    return jobs


def freshness_job(freshness_checks):
    return define_asset_job(
        "freshness_checks",
        selection=AssetSelection.checks(freshness_checks),
        description="Evaluate every feed's freshness against its registry cadence (no data is fetched).",
    )
