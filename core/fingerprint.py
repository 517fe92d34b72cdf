"""Fingerprints of what a release is built from, to tell cheaply whether anything changed since.

Belongs here: `code_fingerprint()` (the sha256 over every file that shapes a release: the platform's Python
packages and templates, the shared and restricted dbt projects, the registry and its overlays) and
`folder_fingerprint()` (the analysts' custom-area folder, a landing folder). Reading files only; nothing else.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from core.settings import PROJECT_ROOT, Settings

CODE_PACKAGES = (
    "core", "ingest", "restricted", "warehouse", "onboarding", "quality", "publish", "analysis", "serve",
    "dashboards", "orchestration",
)  # fmt: skip
DBT_PARTS = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")
SKIP_DIRS = {"__pycache__", "target", "logs", "dbt_packages"}


def _files(root: Path, parts) -> list[Path]:
    out = []
    for part in parts:
        p = root / part
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out += [f for f in p.rglob("*") if f.is_file() and not SKIP_DIRS.intersection(f.parts)]
    return sorted(out)


def _digest(files: list[Path], base: Path) -> str:
    h = hashlib.sha256()
    for f in files:
        try:
            rel = f.relative_to(base)
        except ValueError:
            rel = f
        h.update(str(rel).encode() + b"\0" + hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def code_fingerprint(settings: Settings) -> str:
    files = _files(PROJECT_ROOT, CODE_PACKAGES)
    files = [f for f in files if f.suffix in (".py", ".j2", ".css", ".yml", ".yaml", ".sql", ".json")]
    files += _files(settings.dbt_project_dir, DBT_PARTS)
    files += _files(PROJECT_ROOT / "dbt_restricted", DBT_PARTS)
    files += [settings.registry_path, *settings.overlay_paths]
    return _digest(files, PROJECT_ROOT)


def folder_fingerprint(folder: Path) -> str | None:
    """sha256 over a folder's visible files (names and bytes); None when it is missing or empty."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return _digest(files, folder) if files else None


def release_inputs(settings: Settings) -> dict:
    """What a release built now is built from, besides its feed versions (recorded in its manifest as `inputs`;
    `levelup run` compares them with the current release's to tell whether anything changed)."""
    return {
        "code_fingerprint": code_fingerprint(settings),
        "custom_areas": folder_fingerprint(settings.custom_areas_dir),
    }
