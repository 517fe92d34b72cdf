"""dbt as Dagster sees it: the project handle, the CLI resource and the translator.

Belongs here: `dbt_project()` (dagster-dbt's `DbtProject` over the shared project; under `dagster dev` the
manifest is re-parsed if the project changed, as `prepare_if_dev()` would, but with the venv's dbt; otherwise the
manifest built by the install step / `levelup run` is used as is, so importing the definitions never runs dbt), the `DbtCliResource`, and the translator that maps dbt nodes to
Dagster asset keys (`<schema>/<name>`) and turns dbt tests into non-blocking asset checks: the publish gate
(`quality.gate`) reads dbt's own results and holds back only the marts downstream of a failure.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from dagster import AssetCheckSpec, AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject

from core.dbt import dbt_executable
from core.settings import SECRET_VARIABLES
from warehouse.project import ensure_manifest, manifest_path, project_dir


class ManifestMissing(RuntimeError):
    """The dbt manifest has not been built: run `levelup sync-dbt` (the install step does)."""


class LevelupDbtTranslator(DagsterDbtTranslator):
    def __init__(self):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id) or {}
        if node.get("resource_type") in ("model", "seed"):
            layer = node.get("schema") or "dbt"
            return spec.replace_attributes(key=AssetKey([layer, node["name"]]), group_name=layer)
        return spec

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project) -> AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=spec.description,
            additional_deps=list(spec.additional_deps),
            metadata=spec.metadata,
            blocking=False,
        )


@cache
def dbt_project() -> DbtProject:
    root = project_dir()
    project = DbtProject(project_dir=root, profiles_dir=root)
    if os.environ.get("DAGSTER_IS_DEV_CLI"):
        ensure_manifest()  # dagster-dbt's prepare_if_dev(), with the venv's dbt executable
    if not manifest_path().exists():
        raise ManifestMissing(
            f"{manifest_path()} does not exist: run `levelup sync-dbt` (make does it on install) before loading "
            "the Dagster definitions"
        )
    return project


_environ_guard = threading.Lock()


@contextlib.contextmanager
def secrets_hidden() -> Iterator[None]:
    """os.environ without the secret variables for the duration of the block. dagster-dbt builds the dbt child's
    environment from `os.environ.copy()` (and initialises dbt's adapter in this process), with no way to pass
    one: so the secrets are taken out while it does, and put back after. The steps of a run execute one after
    the other (in_process_executor), so no other step needs the key meanwhile."""
    with _environ_guard:
        saved = {k: os.environ.pop(k) for k in SECRET_VARIABLES if k in os.environ}
        try:
            yield
        finally:
            os.environ.update(saved)


class SecretFreeDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, except the dbt process never sees LEVELUP_RESTRICTED_KEY & co in its environment
    (registry text is refused if it holds a template, and dbt could not read a secret even if one got through)."""

    def cli(self, args, **kwargs):  # noqa: D102 - DbtCliResource.cli, with the secrets hidden at spawn time
        with secrets_hidden():
            return super().cli(args, **kwargs)

    @property
    def _cli_version(self):
        """dagster-dbt asks `dbt --version` (a 3 s child process) at every invocation; the executable is this
        venv's (`core.dbt.dbt_executable`), so its version is the installed dbt-core's."""
        from importlib.metadata import version as installed

        from packaging import version

        return version.parse(installed("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        """No adapter in this process: dagster-dbt opens one (2-3 s per invocation) only to fetch row counts or
        column metadata after a model builds, which the assets do not ask for (the marts' row counts and
        columns are read by the publish step from the warehouse itself)."""
        return None


def dbt_resource() -> DbtCliResource:
    root = project_dir()
    return SecretFreeDbtCliResource(
        project_dir=str(root), profiles_dir=str(root), dbt_executable=str(dbt_executable())
    )
