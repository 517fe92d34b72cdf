"""The raw zone: immutable versions per feed, the `current` pointer dbt reads, and the ingest log.

A version is the source file itself for CSV feeds (`versions/<sha16>.csv`, byte for byte what was fetched: its
sha256 is the file's), and a Parquet table for the small XLSX / JSON reference files (`versions/<sha16>.parquet`).
Belongs here: turning a checked candidate file into a version (fsync, rename: a crash never leaves a
half-written version), switching `current.<csv|parquet>` atomically (symlink replaced with os.replace) with its
sidecar `current.json` (the pointer of record: what the warehouse reads), the
per-version sidecar metadata, versions rejected by a quality check after their contract passed (kept, never
made current, with the reason beside them), the append-only ingest log and the HTTP validator state. Each feed
writes only inside its own folder, so feeds can be ingested in parallel processes without any shared lock.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
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
        self.pointer = feed_dir / "current.json"
        self.log = feed_dir / "ingest_log.jsonl"
        self.http_state_file = feed_dir / "http_state.json"

    # -- reading --------------------------------------------------------------------------------
    def current_info(self) -> VersionInfo | None:
        """The version the warehouse reads (None when nothing has landed)."""
        if not self.pointer.exists():
            return None
        info = VersionInfo(**json.loads(self.pointer.read_text()))
        return info if Path(info.raw_file).exists() else None

    @property
    def current(self) -> Path | None:
        """The current version's file (through the `current.<suffix>` link dbt reads)."""
        info = self.current_info()
        return self.dir / f"current{Path(info.raw_file).suffix}" if info else None

    def http_state(self) -> dict:
        if self.http_state_file.exists():
            return json.loads(self.http_state_file.read_text())
        return {}

    def version_path(self, sha256: str, suffix: str = ".parquet") -> Path:
        return self.versions / f"{sha256[:16]}{suffix}"

    def candidate_path(self, sha256: str, suffix: str = ".parquet") -> Path:
        """Where a version is written before it is checked (hidden; removed if it does not land)."""
        self.versions.mkdir(parents=True, exist_ok=True)
        return self.versions / f".candidate-{sha256[:16]}-{os.getpid()}{suffix}"

    def _rejection_file(self, sha256: str) -> Path:
        return self.versions / f"{sha256[:16]}.rejected"

    def rejection(self, sha256: str) -> dict | None:
        """Why a version whose contract passed was not accepted (a quality check), or None."""
        path = self._rejection_file(sha256)
        return json.loads(path.read_text()) if path.exists() else None

    def clean_candidates(self) -> None:
        if self.versions.is_dir():
            for p in self.versions.glob(".candidate-*"):
                p.unlink(missing_ok=True)

    # -- writing --------------------------------------------------------------------------------
    def land_candidate(self, candidate: Path, info: VersionInfo, *, make_current: bool = True) -> Path:
        """Move a checked candidate into place as the version named by its sha256 (idempotent), write its sidecar,
        and (unless it was rejected) make it current."""
        target = self.version_path(info.sha256, candidate.suffix)
        if target.exists():
            candidate.unlink(missing_ok=True)
        else:
            finish_atomic(candidate, target)
        crashpoint("ingest")  # version written, sidecar and pointer not yet
        info = VersionInfo(**{**asdict(info), "raw_file": str(target)})
        atomic_write_bytes(target.with_suffix(".json"), info.to_json().encode())
        if make_current:
            self._point_current(info)
        return target

    def _point_current(self, info: VersionInfo) -> None:
        """Swap `current.<suffix>` to this version, then `current.json` (its sidecar, the pointer of record)."""
        suffix = Path(info.raw_file).suffix
        swap_symlink(self.dir / f"current{suffix}", os.path.relpath(info.raw_file, self.dir))
        atomic_write_bytes(self.pointer, info.to_json().encode())
        for other in (".csv", ".parquet"):
            if other != suffix and (self.dir / f"current{other}").is_symlink():
                (self.dir / f"current{other}").unlink()

    def version_files(self) -> list[Path]:
        """Every version's data file (accepted or rejected; not candidates), by name."""
        if not self.versions.is_dir():
            return []
        return sorted(
            p
            for p in self.versions.iterdir()
            if p.suffix in (".csv", ".parquet") and not p.name.startswith(".")
        )

    def accepted_versions(self) -> list[VersionInfo]:
        """Every version that was made current at some point and not rejected since, oldest first."""
        out = []
        for meta in sorted(self.versions.glob("*.json")) if self.versions.is_dir() else []:
            info = VersionInfo(**json.loads(meta.read_text()))
            if Path(info.raw_file).exists() and self.rejection(info.sha256) is None:
                out.append(info)
        return sorted(out, key=lambda i: i.retrieved_at)

    def restore_previous(self, reasons: list[str]) -> VersionInfo | None:
        """Reject the current version (a check downstream of it failed) and make the previous accepted version
        current again. Returns that version, or None (and changes nothing) when there is no earlier version."""
        cur = self.current_info()
        if cur is None:
            return None
        earlier = [
            v
            for v in self.accepted_versions()
            if v.sha256 != cur.sha256 and v.retrieved_at <= cur.retrieved_at
        ]
        if not earlier:
            return None
        self.reject(cur, reasons)
        self._point_current(earlier[-1])
        self.append_log(
            {
                "feed_id": self.feed_id,
                "sha256": cur.sha256,
                "status": "failed",
                "contract_result": "rejected",
                "message": f"feed {self.feed_id!r}: version {cur.sha256[:12]} passed ingest but a check on the marts "
                f"built from it failed; rejected, and the previous version {earlier[-1].sha256[:12]} restored "
                "and used throughout:\n  - " + "\n  - ".join(reasons),
                "restored_sha256": earlier[-1].sha256,
                "finished_at": datetime.now(UTC).isoformat(),
            }
        )
        return earlier[-1]

    def reject(self, info: VersionInfo, reasons: list[str]) -> None:
        """Record that a landed version was rejected by a quality check: it is never made current."""
        atomic_write_bytes(
            self._rejection_file(info.sha256),
            json.dumps({"sha256": info.sha256, "reasons": reasons}, indent=2).encode(),
        )

    def save_http_state(self, etag: str | None, last_modified: str | None) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(
            self.http_state_file, json.dumps({"etag": etag, "last_modified": last_modified}).encode()
        )

    def append_log(self, entry: dict) -> None:
        append_jsonl(self.log, entry)

    def read_log(self) -> list[dict]:
        return read_jsonl(self.log)
