"""The Dagster code location: every asset, job, schedule and sensor of the platform.

Belongs here: assembling `Definitions` from the registry and the dbt manifest. `workspace.yaml` points
`dagster dev` here; the CLI (`orchestration.cli`) runs the same jobs headless. Importing this module is cheap:
it reads the registry and the manifest the install step built; it never runs dbt (`orchestration.dbt`).
"""

from __future__ import annotations

from dagster import Definitions, in_process_executor, job, op

from core.registry import load_registry
from core.settings import init_settings
from orchestration import jobs
from orchestration.assets.feeds import custom_areas, ingest_assets
from orchestration.assets.release import release_asset
from orchestration.assets.restricted import (
    RESTRICTED_INGEST_KEY,
    cleared_release,
    restricted_export,
    restricted_ingest,
)
from orchestration.assets.warehouse import mart_keys, warehouse_assets
from orchestration.automation import build_automation
from orchestration.dbt import dbt_resource
from warehouse.project import manifest_path

init_settings()  # absolute paths for dbt, whichever folder `dagster dev` was started from

REGISTRY = load_registry()
MANIFEST = manifest_path()

raw_assets = ingest_assets(REGISTRY)
dbt_assets_def = warehouse_assets(MANIFEST)


def export_dashboards(build, statuses):
    """The dashboards' part of a release (dashboards.export; imported when a release is published, not at load)."""
    from dashboards.export import export_dashboards as export

    return export(build, statuses)


# extra parts of each release written by layers downstream of publish (see publish.publisher.Exporter)
EXPORTERS: dict = {"dashboards": export_dashboards}
release = release_asset(mart_keys(MANIFEST), exporters=EXPORTERS)
full_refresh = jobs.full_refresh_job()
restricted_refresh = jobs.restricted_refresh_job(RESTRICTED_INGEST_KEY)


@op(description="does nothing: measures the framework's own cost (levelup run --job noop)")
def nothing() -> None:
    return None


@job(name="noop", description="An empty job: the floor a refresh's cost is compared with (make bench).")
def noop():
    nothing()


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
        jobs=[full_refresh, restricted_refresh, noop],
        resources={"dbt": dbt_resource()},
        # three steps in order in one process (ingest -> dbt -> publish); feeds ingest in parallel threads inside
        # the ingest step; dbt is the only process that writes the warehouse file
        executor=in_process_executor,
    )


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


def noop_job():
    return defs.resolve_job_def("noop")
