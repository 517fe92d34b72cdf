"""The Dagster code location: every asset, job, schedule and sensor of the platform.

Belongs here: assembling `Definitions` from the registry and the dbt manifest. `workspace.yaml` points
`dagster dev` here; the CLI (`orchestration.cli`) runs the same jobs headless.
"""

from __future__ import annotations

import os

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from ingest.registry import load_registry
from ingest.settings import get_settings
from orchestration.assets import (
    RESTRICTED_INGEST_KEY,
    cleared_release,
    custom_areas,
    ingest_assets,
    mart_keys,
    release_asset,
    restricted_export,
    restricted_ingest,
    warehouse_assets,
)
from orchestration.automation import build_automation
from orchestration.dbt_resources import dbt_resource, ensure_manifest

# dbt (a subprocess) reads the data directory from the environment: make it absolute and explicit.
os.environ["LEVELUP_DATA_DIR"] = str(get_settings().data_dir)
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

REGISTRY = load_registry()
MANIFEST = ensure_manifest()

raw_assets = ingest_assets(REGISTRY)
dbt_assets_def = warehouse_assets(MANIFEST)
release = release_asset(mart_keys(MANIFEST))

# Three steps run in order in one process (ingest -> dbt -> publish); feeds ingest in parallel threads
# inside the ingest step. dbt is the only process that writes the warehouse file.
executor = in_process_executor

WRITES_WAREHOUSE = {"levelup/writes": "warehouse"}  # one run with this tag at a time (see dagster.yaml)

full_refresh = define_asset_job(
    "full_refresh",
    selection="*",
    tags=WRITES_WAREHOUSE,
    description="Ingest every open feed, build the warehouse with dbt, check, and publish a release.",
)
restricted_refresh = define_asset_job(
    "restricted_refresh",
    selection=AssetSelection.assets(RESTRICTED_INGEST_KEY).downstream(),
    tags=WRITES_WAREHOUSE,
    description="A restricted delivery arrived: process it in the restricted zone, export the disclosure-controlled "
    "aggregates, rebuild what depends on them and publish.",
)


def core_definitions() -> Definitions:
    """The platform without automation (tests add their own automation to it). A function, not a module-level
    object: a code location may hold only one Definitions at module scope."""
    return Definitions(
        assets=[
            raw_assets,
            custom_areas,
            restricted_ingest,
            restricted_export,
            cleared_release,
            dbt_assets_def,
            release,
        ],
        jobs=[full_refresh, restricted_refresh],
        resources={"dbt": dbt_resource()},
        executor=executor,
    )


# Schedules from each feed's cadence, change and landing-zone sensors, freshness checks, failure notifications.
AUTOMATION = build_automation(REGISTRY, raw_assets, restricted_job=restricted_refresh)

defs = Definitions.merge(
    core_definitions(),
    Definitions(
        asset_checks=AUTOMATION["asset_checks"],
        jobs=AUTOMATION["jobs"],
        schedules=AUTOMATION["schedules"],
        sensors=AUTOMATION["sensors"],
    ),
)


def full_refresh_job():
    """Module-level handle so `execute_job(reconstructable(...))` can rebuild the job in worker processes."""
    return defs.resolve_job_def("full_refresh")
