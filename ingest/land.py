"""The raw zone: immutable Parquet versions per feed, the `current` pointer dbt reads, and the ingest log.

Belongs here: writing a validated table as a new version (write to a temp file, fsync, rename: a crash never
leaves a half-written version), switching `current.parquet` atomically (symlink replaced with os.replace),
the per-version sidecar metadata, the append-only ingest log and the HTTP validator state. Each feed writes
only inside its own folder, so feeds can be ingested in parallel processes without any shared lock.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.crashpoint import crashpoint
from core.fsio import append_jsonl, atomic_write_bytes, finish_atomic, read_jsonl, swap_symlink


@dataclass(frozen=True)
class VersionInfo:
    feed_id: str
    sha256: str
    rows: int
    bytes: int
    url: str
    location: str
    via: str
    retrieved_at: str
    etag: str | None
    last_modified: str | None
    raw_file: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


class FeedStore:
    """One feed's folder in the raw zone."""

    def __init__(self, feed_dir: Path, feed_id: str):
        self.dir = feed_dir
        self.feed_id = feed_id
        self.versions = feed_dir / "versions"
        self.current = feed_dir / "current.parquet"
        self.log = feed_dir / "ingest_log.jsonl"
        self.http_state_file = feed_dir / "http_state.json"

    # -- reading --------------------------------------------------------------------------------
    def current_info(self) -> VersionInfo | None:
        if not self.current.is_symlink() and not self.current.exists():
            return None
        target = self.current.resolve()
        meta = target.with_suffix(".json")
        if not target.exists() or not meta.exists():
            return None
        return VersionInfo(**json.loads(meta.read_text()))

    def http_state(self) -> dict:
        if self.http_state_file.exists():
            return json.loads(self.http_state_file.read_text())
        return {}

    # -- writing --------------------------------------------------------------------------------
    def land(self, df: pd.DataFrame, info: VersionInfo) -> Path:
        """Write `df` as the version named by its sha256 (idempotent) and make it current."""
        self.versions.mkdir(parents=True, exist_ok=True)
        name = f"{info.sha256[:16]}"
        target = self.versions / f"{name}.parquet"
        if not target.exists():
            table = pa.Table.from_pandas(df, preserve_index=False)
            table = table.replace_schema_metadata(
                {
                    **(table.schema.metadata or {}),
                    b"levelup.feed_id": info.feed_id.encode(),
                    b"levelup.sha256": info.sha256.encode(),
                }
            )
            tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
            pq.write_table(table, tmp, compression="zstd")
            finish_atomic(tmp, target)
        crashpoint("ingest")  # version written, sidecar and pointer not yet
        info = VersionInfo(**{**asdict(info), "raw_file": str(target)})
        atomic_write_bytes(target.with_suffix(".json"), info.to_json().encode())
        swap_symlink(self.current, os.path.relpath(target, self.dir))
        return target

    def save_http_state(self, etag: str | None, last_modified: str | None) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(
            self.http_state_file, json.dumps({"etag": etag, "last_modified": last_modified}).encode()
        )

    def append_log(self, entry: dict) -> None:
        append_jsonl(self.log, entry)

    def read_log(self) -> list[dict]:
        return read_jsonl(self.log)
