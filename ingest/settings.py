"""Where the platform reads and writes: every path comes from here, driven by environment variables.

Belongs here: resolving `LEVELUP_DATA_DIR`, `LEVELUP_MIRROR`, the registry path and the fixed layout of the
data directory. Nothing here touches the network or a database.

Layout of the data directory (default `./data`):

    raw/<feed_id>/versions/<retrieved>_<sha12>.parquet   immutable landed versions
    raw/<feed_id>/current.parquet                        symlink to the version dbt reads
    raw/<feed_id>/ingest_log.jsonl                       one line per ingest attempt
    raw/<feed_id>/http_state.json                        ETag / Last-Modified for conditional GET
    warehouse/warehouse.duckdb                           written by dbt only
    releases/<release_id>/                               published releases; `current` -> last good one
    restricted/                                          restricted zone (encrypted landing, own database)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    mirror: Path | None
    registry_path: Path

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def warehouse_path(self) -> Path:
        return self.warehouse_dir / "warehouse.duckdb"

    @property
    def releases_dir(self) -> Path:
        return self.data_dir / "releases"

    @property
    def current_release(self) -> Path:
        return self.releases_dir / "current"

    @property
    def restricted_dir(self) -> Path:
        return self.data_dir / "restricted"

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    def feed_dir(self, feed_id: str) -> Path:
        return self.raw_dir / feed_id


def get_settings() -> Settings:
    """Read settings from the environment at call time (tests change the environment between calls)."""
    data_dir = Path(os.environ.get("LEVELUP_DATA_DIR") or PROJECT_ROOT / "data").resolve()
    mirror_env = os.environ.get("LEVELUP_MIRROR")
    mirror = Path(mirror_env).resolve() if mirror_env else None
    if mirror is not None and not mirror.is_dir():
        raise NotADirectoryError(f"LEVELUP_MIRROR={mirror_env!r} is not a directory")
    registry = Path(os.environ.get("LEVELUP_REGISTRY") or PROJECT_ROOT / "registry" / "feeds.yaml").resolve()
    return Settings(data_dir=data_dir, mirror=mirror, registry_path=registry)
