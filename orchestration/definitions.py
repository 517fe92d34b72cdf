"""The Dagster code location: every asset, job, schedule and sensor of the platform.

Belongs here: assembling `Definitions` from the registry and the dbt manifest. `workspace.yaml` points
`dagster dev` here; the CLI (`orchestration.cli`) runs the same jobs headless.
"""

from __future__ import annotations

import os

from dagster import Definitions, define_asset_job, in_process_executor

from ingest.registry import load_registry
from ingest.settings import get_settings
from orchestration.assets import (
    cleared_release,
    custom_areas,
    ingest_assets,
    mart_keys,
    release_asset,
    restricted_export,
    restricted_ingest,
    warehouse_assets,
)
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

full_refresh = define_asset_job(
    "full_refresh",
    selection="*",
    description="Ingest every open feed, build the warehouse with dbt, check, and publish a release.",
)

defs = Definitions(
    assets=[raw_assets, custom_areas, restricted_ingest, restricted_export, cleared_release, dbt_assets_def, release],
    jobs=[full_refresh],
    resources={"dbt": dbt_resource()},
    executor=executor,
)


def full_refresh_job():
    """Module-level handle so `execute_job(reconstructable(...))` can rebuild the job in worker processes."""
    return defs.resolve_job_def("full_refresh")
