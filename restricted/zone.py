"""The restricted zone's folders and its attempt log.

Belongs here: the layout under `<data dir>/restricted/` (`Zone`), listing deliveries waiting in
`<data dir>/landing/restricted/`, and the zone's append-only log of delivery attempts. The zone's folders are
0700 and its files 0600 (`restricted.crypto.secure_dir`).

    restricted/raw/<feed>/versions/<sha16>.parquet.enc   encrypted landed versions
    restricted/raw/<feed>/current.parquet.enc            symlink to the version the zone builds from
    restricted/raw/<feed>/ingest_log.jsonl               one line per delivery attempt (no values, no key)
    restricted/export_log.jsonl                          one line per export attempt (exported / failed, why)
    restricted/export/{open,cleared}/                    disclosure-controlled outputs (the zone's only exit)
    restricted/releases/<id>/, releases/current          cleared analysts' releases
    restricted/dbt/{target,logs}/                        the restricted dbt project's artefacts
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from core.fsio import append_jsonl, read_jsonl
from core.registry import FeedSpec
from core.settings import Settings
from restricted.crypto import secure_dir


@dataclass(frozen=True)
class Zone:
    settings: Settings

    @property
    def root(self) -> Path:
        return self.settings.restricted_dir

    @property
    def landing(self) -> Path:
        return self.settings.landing_dir / "restricted"

    def feed_dir(self, feed_id: str) -> Path:
        return self.root / "raw" / feed_id

    def current_version(self, feed_id: str) -> Path:
        return self.feed_dir(feed_id) / "current.parquet.enc"

    @property
    def database(self) -> Path:
        """Where earlier versions kept a plaintext zone database; removed on sight (see restricted.database)."""
        return self.root / "restricted.duckdb"

    @property
    def export_dir(self) -> Path:
        return self.root / "export"

    @property
    def open_export(self) -> Path:
        return self.export_dir / "open"

    @property
    def cleared_export(self) -> Path:
        return self.export_dir / "cleared"

    @property
    def cleared_releases(self) -> Path:
        return self.root / "releases"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt" / "target"

    @property
    def dbt_logs(self) -> Path:
        return self.root / "dbt" / "logs"


def pending_deliveries(settings: Settings, feed: FeedSpec) -> list[Path]:
    zone = Zone(settings)
    if not zone.landing.is_dir():
        return []
    return sorted(
        p
        for p in zone.landing.iterdir()
        if p.is_file() and fnmatch.fnmatch(p.name, feed.landing_pattern or "")
    )


def log_attempt(settings: Settings, feed_id: str, entry: dict) -> None:
    fdir = secure_dir(Zone(settings).feed_dir(feed_id))
    append_jsonl(fdir / "ingest_log.jsonl", entry, mode=0o600)


def read_log(settings: Settings, feed_id: str) -> list[dict]:
    return read_jsonl(Zone(settings).feed_dir(feed_id) / "ingest_log.jsonl")


def log_export(settings: Settings, entry: dict) -> None:
    """One line per attempt to build the zone's export (exported / failed, and why: counts and names only)."""
    append_jsonl(secure_dir(Zone(settings).root) / "export_log.jsonl", entry, mode=0o600)


def read_export_log(settings: Settings) -> list[dict]:
    return read_jsonl(Zone(settings).root / "export_log.jsonl")
