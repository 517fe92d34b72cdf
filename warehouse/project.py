"""The shared dbt project on disk: where it is, and a manifest kept in step with its files.

Belongs here: the project folder (LEVELUP_DBT_PROJECT_DIR, default dbt_project/), its `target/manifest.json`,
and `ensure_manifest()`, which runs `dbt parse` only when a model, macro, seed, test or project file is newer
than the manifest. The install step (`make`) and `levelup run` call it before anything imports the Dagster
definitions, so importing them never runs dbt. Mapping dbt nodes to Dagster assets is orchestration's job.
"""

from __future__ import annotations

from pathlib import Path

from core.dbt import run_dbt
from core.settings import get_settings


def project_dir() -> Path:
    return get_settings().dbt_project_dir


def manifest_path() -> Path:
    return project_dir() / "target" / "manifest.json"


def _newest_source_mtime(root: Path) -> float:
    newest = 0.0
    for sub in ("models", "macros", "seeds", "tests"):
        for p in (root / sub).rglob("*"):
            if p.is_file():
                newest = max(newest, p.stat().st_mtime)
    for f in ("dbt_project.yml", "profiles.yml"):
        newest = max(newest, (root / f).stat().st_mtime)
    return newest


def manifest_is_current() -> bool:
    m = manifest_path()
    return m.exists() and m.stat().st_mtime >= _newest_source_mtime(project_dir())


def ensure_manifest() -> Path:
    """`dbt parse` when the manifest is missing or older than the project's files; returns its path."""
    if manifest_is_current():
        return manifest_path()
    root = project_dir()
    settings = get_settings()
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    proc = run_dbt(root, ["parse", "--quiet"], target_path=root / "target")
    if proc.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    return manifest_path()
