"""How data arrives other than from a public URL: the landing zone.

Belongs here:
- the landing zone (`<data dir>/landing/`): manual deliveries are dropped either into `landing/<feed_id>/`
  or, for feeds with a registry `landing_pattern`, anywhere directly under `landing/` with a matching name.
  `find_landing_files` lists the drops that are ready (fully written, not hidden, not a temp file);
  `ingest_landing_file` takes one through the same parse → contract → land path as `ingest_feed` and then
  moves it to `landing/_processed/<feed_id>/` (landed or unchanged) or `landing/_rejected/<feed_id>/` with a
  `<name>.reason.txt` naming the feed, the file and what broke. Restricted feeds are NOT landed here: their
  drops are only routed (see `orchestration.sensors`) to the restricted ingest.
"""

from __future__ import annotations

import fnmatch
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.fsio import sha256_file
from core.registry import FeedSpec, Registry
from core.settings import Settings, get_settings
from ingest.fetch import read_file
from ingest.pipeline import IngestResult, ingest_feed

PROCESSED = "_processed"
REJECTED = "_rejected"
TEMP_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".filepart", ".reason.txt")

# ---------------------------------------------------------------------------------------------------
# Landing zone


@dataclass(frozen=True)
class LandingDrop:
    feed: FeedSpec
    path: Path


@dataclass(frozen=True)
class LandingOutcome:
    result: IngestResult
    moved_to: Path | None
    reason_file: Path | None = None


def _ready(path: Path, settle_seconds: float, now: float) -> bool:
    name = path.name
    if name.startswith((".", "_", "~")) or name.lower().endswith(TEMP_SUFFIXES):
        return False
    try:
        st = path.stat()
    except OSError:
        return False
    return st.st_size > 0 and now - st.st_mtime >= settle_seconds


def _feed_accepts(feed: FeedSpec, name: str) -> bool:
    if feed.landing_pattern:
        return fnmatch.fnmatch(name, Path(feed.landing_pattern).name) or fnmatch.fnmatch(
            name, feed.landing_pattern
        )
    return name.lower().endswith("." + feed.format)


def find_landing_files(
    registry: Registry, settings: Settings | None = None, *, settle_seconds: float = 5.0
) -> tuple[list[LandingDrop], list[Path]]:
    """Ready drops in the landing zone, and files there that match no feed (left in place, reported).

    A file in `landing/<feed_id>/` belongs to that feed when its name matches the feed's `landing_pattern`
    (or, without one, ends in the feed's format). A file directly in `landing/` belongs to the one feed whose
    `landing_pattern` matches its name; a name matching several feeds is ambiguous and left in place.
    Files still being written (modified less than `settle_seconds` ago, or named *.part/*.tmp) wait.
    """
    settings = settings or get_settings()
    root = settings.landing_dir
    if not root.is_dir():
        return [], []
    now = time.time()
    drops: list[LandingDrop] = []
    unmatched: list[Path] = []
    patterned = [f for f in registry.feeds if f.landing_pattern]
    for entry in sorted(root.iterdir()):
        if entry.name in (PROCESSED, REJECTED) or entry.name.startswith("."):
            continue
        if entry.is_dir():
            feed = registry.by_id.get(entry.name)
            for path in sorted(p for p in entry.iterdir() if p.is_file()):
                if not _ready(path, settle_seconds, now):
                    continue
                if feed is not None and _feed_accepts(feed, path.name):
                    drops.append(LandingDrop(feed, path))
                else:
                    unmatched.append(path)
        elif entry.is_file() and _ready(entry, settle_seconds, now):
            matches = [
                f
                for f in patterned
                if fnmatch.fnmatch(entry.name, f.landing_pattern)
                or fnmatch.fnmatch(entry.name, Path(f.landing_pattern).name)
            ]
            if len(matches) == 1:
                drops.append(LandingDrop(matches[0], entry))
            else:
                unmatched.append(entry)
    return drops, unmatched


def _move(path: Path, dest_dir: Path) -> Path:
    dest_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = dest_dir / f"{stamp}_{path.name}"
    shutil.move(str(path), target)
    return target


def ingest_landing_file(
    feed: FeedSpec, path: Path, settings: Settings | None = None, *, move: bool = True, accept=None
) -> LandingOutcome:
    """Land one dropped file as the feed's new version through the same sequence as a download
    (`ingest_feed`: parse, contract, land, an ingest-log line either way).

    With `move`, the file goes to `_processed/<feed>/` when it landed or equals the current version, or to
    `_rejected/<feed>/` with a reason file when it failed.
    """
    if feed.sensitivity == "restricted":
        raise ValueError(
            f"feed {feed.id!r} is restricted: its drops go through the restricted ingest, not the open raw zone"
        )
    settings = settings or get_settings()
    path = Path(path)
    result = ingest_feed(
        feed, settings, raise_on_failure=False, source=lambda: read_file(feed, path, "landing"), accept=accept
    )
    sha = sha256_file(path)
    if not move:
        return LandingOutcome(result, None)
    if result.status == "failed":
        moved = _move(path, settings.landing_dir / REJECTED / feed.id)
        reason = moved.with_name(moved.name + ".reason.txt")
        reason.write_text(
            f"feed: {feed.id}\nfile: {path}\nrejected_at: {datetime.now(UTC).isoformat()}\n"
            f"sha256: {sha}\n\n{result.message}\n",
            encoding="utf-8",
        )
        return LandingOutcome(result, moved, reason)
    return LandingOutcome(result, _move(path, settings.landing_dir / PROCESSED / feed.id))
