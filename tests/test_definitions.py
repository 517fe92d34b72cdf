"""The Dagster code location loads, with one asset per open feed, the dbt models and the release asset."""

from __future__ import annotations

from dagster import AssetKey

from core.registry import load_registry


def test_definitions_load_with_an_asset_per_feed(data_dir):
    from orchestration.definitions import defs

    keys = set(defs.resolve_all_asset_keys())
    registry = load_registry()
    for feed in registry.open_feeds:
        assert AssetKey(["raw", feed.id]) in keys
    disabled = [f for f in registry.feeds if not f.enabled]
    assert disabled, "the registry carries disabled feeds (JSON-only ESS datasets)"
    for feed in disabled:
        assert AssetKey(["raw", feed.id]) not in keys, f"disabled feed {feed.id} has an asset"
    assert AssetKey(["marts", "indicators"]) in keys
    assert AssetKey(["release", "current"]) in keys
    job = defs.resolve_job_def("full_refresh")
    assert job is not None
