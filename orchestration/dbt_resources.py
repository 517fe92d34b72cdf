"""dbt as Dagster sees it: the project, the CLI resource and a manifest that is always current.

Belongs here: locating the dbt project and executable inside the venv, keeping `target/manifest.json` in
step with the SQL (re-parse when any model, macro, seed or yml is newer), and the translator that maps dbt
nodes to Dagster asset keys and turns dbt tests into asset checks. dbt test checks are reported but not
Dagster-blocking: the publish gate (quality.gate) reads dbt's own results and holds back only the marts
downstream of a failure, instead of Dagster skipping everything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetCheckSpec, AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject

from ingest.settings import PROJECT_ROOT

DBT_DIR = PROJECT_ROOT / "dbt_project"
MANIFEST = DBT_DIR / "target" / "manifest.json"


def dbt_executable() -> Path:
    exe = Path(sys.executable).parent / "dbt"
    if not exe.exists():
        raise FileNotFoundError(
            f"dbt is not installed next to {sys.executable}; run `make run` to bootstrap .venv"
        )
    return exe


def _newest_source_mtime() -> float:
    newest = 0.0
    for sub in ("models", "macros", "seeds", "tests"):
        for p in (DBT_DIR / sub).rglob("*"):
            if p.is_file():
                newest = max(newest, p.stat().st_mtime)
    for f in ("dbt_project.yml", "profiles.yml"):
        newest = max(newest, (DBT_DIR / f).stat().st_mtime)
    return newest


def ensure_manifest() -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project's files."""
    if MANIFEST.exists() and MANIFEST.stat().st_mtime >= _newest_source_mtime():
        return MANIFEST
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        [
            str(dbt_executable()),
            "parse",
            "--profiles-dir",
            str(DBT_DIR),
            "--project-dir",
            str(DBT_DIR),
            "--quiet",
        ],
        cwd=DBT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{proc.stdout}\n{proc.stderr}")
    return MANIFEST


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


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(DBT_DIR), profiles_dir=str(DBT_DIR), dbt_executable=str(dbt_executable())
    )
