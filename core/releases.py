"""Release directories, whoever builds them: ids, atomic promotion, the `current` pointer, listing, pruning.

Belongs here: the mechanics every write-audit-publish in the platform shares (the open release in
`publish/`, the cleared release in `restricted/`): a release is built in a hidden `.building-<id>` folder,
fsynced, renamed to `<id>`, and only then is `current` swapped to it (atomic symlink replace). A promoted
release is never modified. What goes into a release is its builder's business.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from core.fsio import fsync_dir, fsync_tree, swap_symlink

BUILDING_PREFIX = ".building-"


def new_release_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"


def building_dir(releases_dir: Path, release_id: str) -> Path:
    return Path(releases_dir) / f"{BUILDING_PREFIX}{release_id}"


def point_current(releases_dir: Path, release_dir: Path) -> None:
    """`<releases_dir>/current` -> release_dir (a sibling), swapped atomically."""
    swap_symlink(Path(releases_dir) / "current", Path(release_dir).name)


def promote(releases_dir: Path, build: Path, release_id: str, *, before_switch=None) -> Path:
    """fsync the built folder, rename it to its final name, then swap `current` to it."""
    fsync_tree(build)
    final = Path(releases_dir) / release_id
    os.replace(build, final)
    fsync_dir(Path(releases_dir))
    if before_switch is not None:
        before_switch()
    point_current(releases_dir, final)
    return final


def current_dir(releases_dir: Path) -> Path | None:
    cur = Path(releases_dir) / "current"
    if cur.is_symlink() and cur.resolve().is_dir():
        return cur.resolve()
    return None


def list_release_dirs(releases_dir: Path) -> list[Path]:
    releases_dir = Path(releases_dir)
    if not releases_dir.exists():
        return []
    return sorted(
        p
        for p in releases_dir.iterdir()
        if p.is_dir() and not p.is_symlink() and not p.name.startswith(".") and (p / "manifest.json").exists()
    )


def read_manifest(release_dir: Path) -> dict:
    return json.loads((Path(release_dir) / "manifest.json").read_text())


def clean_incomplete(releases_dir: Path) -> list[Path]:
    """Remove leftovers of a crashed publish (building dirs, temp symlinks). Safe: none is ever read."""
    removed = []
    releases_dir = Path(releases_dir)
    if releases_dir.exists():
        for p in releases_dir.iterdir():
            if p.name.startswith(BUILDING_PREFIX) and p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
            elif p.name.startswith((".current.tmp", ".current")) and p.is_symlink():
                p.unlink()
                removed.append(p)
    return removed


def prune(releases_dir: Path, keep: int) -> list[Path]:
    """Keep the newest `keep` releases (and always the current one); delete older ones."""
    releases = list_release_dirs(releases_dir)
    current = current_dir(releases_dir)
    doomed = [r for r in releases[:-keep] if keep > 0 and r != current] if len(releases) > keep else []
    for r in doomed:
        shutil.rmtree(r, ignore_errors=True)
    return doomed
