"""The Dagster code location loads, with one asset per open feed, the dbt models and the release asset."""

from __future__ import annotations

from dagster import AssetKey

from core.registry import load_registry


def test_definitions_load_with_an_asset_per_feed(data_dir):
    from orchestration.definitions import defs

    keys = set(defs.resolve_all_asset_keys())
    for feed in load_registry().feeds:
        if feed.sensitivity == "open":
            assert AssetKey(["raw", feed.id]) in keys
    assert AssetKey(["marts", "indicators"]) in keys
    assert AssetKey(["release", "current"]) in keys
    job = defs.resolve_job_def("full_refresh")
    assert job is not None
