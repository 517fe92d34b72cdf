"""The `levelup` command line. `main` builds the root command from the modules below, one per concern:

    common      start-up shared by every command (settings, Dagster home, run lock), running a selection
    run         run (the full refresh `make run` calls), ingest, sync-dbt, validate-registry
    releases    releases, rollback, manifest
    feeds       scaffold-feed, refresh-feeds, sensor-tick (onboarding and hand-run automation)
    restricted  restricted new-key | ingest | export | publish-cleared
    ui          dagster-dev
Command modules never import `main` (no cycle); `main` imports them.
"""
