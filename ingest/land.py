"""The raw zone: immutable Parquet versions per feed, the `current` pointer dbt reads, and the ingest log.

Belongs here: turning a parsed candidate file into a version (fsync, rename: a crash never leaves a
half-written version), switching `current.parquet` atomically (symlink replaced with os.replace), the
per-version sidecar metadata, versions rejected by a quality check after their contract passed (kept, never
made current, with the reason beside them), the append-only ingest log and the HTTP validator state. Each feed
writes only inside its own folder, so feeds can be ingested in parallel processes without any shared lock.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

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

    def version_path(self, sha256: str) -> Path:
        return self.versions / f"{sha256[:16]}.parquet"

    def candidate_path(self, sha256: str) -> Path:
        """Where a version is parsed to before it is checked (hidden; removed if it does not land)."""
        self.versions.mkdir(parents=True, exist_ok=True)
        return self.versions / f".candidate-{sha256[:16]}-{os.getpid()}.parquet"

    def rejection(self, sha256: str) -> dict | None:
        """Why a version whose contract passed was not accepted (a quality check), or None."""
        path = self.version_path(sha256).with_suffix(".rejected")
        return json.loads(path.read_text()) if path.exists() else None

    def clean_candidates(self) -> None:
        if self.versions.is_dir():
            for p in self.versions.glob(".candidate-*"):
                p.unlink(missing_ok=True)

    # -- writing --------------------------------------------------------------------------------
    def land_candidate(self, candidate: Path, info: VersionInfo, *, make_current: bool = True) -> Path:
        """Move a checked candidate into place as the version named by its sha256 (idempotent), write its sidecar,
        and (unless it was rejected) make it current."""
        target = self.version_path(info.sha256)
        if target.exists():
            candidate.unlink(missing_ok=True)
        else:
            finish_atomic(candidate, target)
        crashpoint("ingest")  # version written, sidecar and pointer not yet
        info = VersionInfo(**{**asdict(info), "raw_file": str(target)})
        atomic_write_bytes(target.with_suffix(".json"), info.to_json().encode())
        if make_current:
            swap_symlink(self.current, os.path.relpath(target, self.dir))
        return target

    def reject(self, info: VersionInfo, reasons: list[str]) -> None:
        """Record that a landed version was rejected by a quality check: it is never made current."""
        path = self.version_path(info.sha256).with_suffix(".rejected")
        atomic_write_bytes(path, json.dumps({"sha256": info.sha256, "reasons": reasons}, indent=2).encode())

    def save_http_state(self, etag: str | None, last_modified: str | None) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(
            self.http_state_file, json.dumps({"etag": etag, "last_modified": last_modified}).encode()
        )

    def append_log(self, entry: dict) -> None:
        append_jsonl(self.log, entry)

    def read_log(self) -> list[dict]:
        return read_jsonl(self.log)
