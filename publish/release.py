"""Releases: build a new release directory from the warehouse, then promote it atomically (write-audit-publish).

Belongs here: the release directory layout, copying marts out of the warehouse (fresh) or out of the
previous release (unchanged, or carried over when a mart's gate failed: its Parquet is hard-linked, never
re-exported), the order-independent content hash that tells a rebuilt-but-identical mart from a changed one,
the manifest, the atomic switch of `releases/current`, retention and rollback. Deciding *whether* a mart passes
is the quality gate's job (`quality.gate`); this module only carries out the verdicts.

Layout:
    releases/.building-<id>/      work in progress (never read by analysts; removed on the next run)
    releases/<id>/                a promoted release: never modified again
        marts.duckdb              every published mart as a table (DuckDB storage v1.5.0: 1.x clients can open it)
        parquet/<mart>.parquet
        manifest.json
    releases/current -> <id>      symlink, swapped with os.replace (atomic)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core import releases
from core.crashpoint import crashpoint
from core.releases import new_release_id, read_manifest  # noqa: F401  (re-exported for publish callers)
from core.settings import PROJECT_ROOT, Settings

STORAGE_VERSION = "v1.5.0"


class PublishError(RuntimeError):
    pass


@dataclass
class MartPlan:
    """What to publish for one mart: fresh from the warehouse, carried over, or withheld."""

    name: str
    source: str  # "warehouse" | "previous" | "none"
    reasons: list[str] = field(default_factory=list)
    failing_samples: list[dict] = field(default_factory=list)
    carried_from: str | None = None
    unchanged: bool = False  # not rebuilt by this (partial) run: the previous release's copy is still current
    identical: bool = False  # rebuilt, but its content equals the previous release's copy: files are reused
    content_hash: str | None = None

    @property
    def reused(self) -> bool:
        """Files (Parquet, CSV, ...) come from the previous release as they are (hard links), not re-exported."""
        return self.source == "previous" or self.identical

    @property
    def status(self) -> str:
        if self.unchanged or self.identical:
            return "unchanged"
        return {"warehouse": "fresh", "previous": "carried_over", "none": "withheld"}[self.source]

    @property
    def held_back(self) -> bool:
        return self.status in ("carried_over", "withheld")


def code_version() -> str:
    """The git commit the platform runs from (with -dirty when the work tree has changes), else the package version."""
    try:
        sha = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        from importlib.metadata import version

        return f"levelup-platform {version('levelup-platform')}"


def current_release_dir(settings: Settings) -> Path | None:
    return releases.current_dir(settings.releases_dir)


def list_releases(settings: Settings) -> list[Path]:
    return releases.list_release_dirs(settings.releases_dir)


def warehouse_marts(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()
    return [r[0] for r in rows]


def clean_incomplete(settings: Settings) -> list[Path]:
    """Remove leftovers of a crashed publish (building dirs, temp symlinks). Safe: none is ever read."""
    return releases.clean_incomplete(settings.releases_dir)


def content_hash(con: duckdb.DuckDBPyConnection, ref: str) -> str:
    """Row count and the sum of every row's hash: equal for equal tables whatever their row order. Floating-point
    columns are hashed at 12 significant digits: a parallel sum may differ in its last bit between two builds of
    the same inputs, and that is not a change of content."""
    cols = con.execute(f"describe select * from {ref}").fetchall()
    exprs = []
    for name, typ, *_ in cols:
        q = '"' + name.replace('"', '""') + '"'
        if typ in ("DOUBLE", "FLOAT", "REAL"):
            exprs.append(f"round({q}, 11 - cast(floor(log10(greatest(abs({q}), 1e-300))) as integer))")
        else:
            exprs.append(q)
    n, h = con.execute(
        f"select count(*), coalesce(sum(hash({', '.join(exprs)})::hugeint), 0) from {ref}"
    ).fetchone()
    return f"{n}:{h}"


def link_or_copy(src: Path, dst: Path) -> None:
    """A file carried over from the previous release: hard link (free, same bytes), copy across filesystems."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def stage_release(settings: Settings, plans: list[MartPlan], release_id: str) -> Path:
    """Build marts.duckdb and parquet/ for a new release in a hidden building directory. Marts from the
    previous release (unchanged, identical or carried over) are copied into marts.duckdb and their Parquet is
    hard-linked; only marts with new content are exported."""
    settings.releases_dir.mkdir(parents=True, exist_ok=True)
    build = releases.building_dir(settings.releases_dir, release_id)
    if build.exists():
        shutil.rmtree(build)
    (build / "parquet").mkdir(parents=True)
    db_path = build / "marts.duckdb"
    previous = current_release_dir(settings)
    con = duckdb.connect(":memory:", config=settings.duckdb_config)
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{db_path}' AS rel (STORAGE_VERSION '{STORAGE_VERSION}')")
        if any(p.source == "warehouse" and not p.identical for p in plans):
            con.execute(f"ATTACH '{settings.warehouse_path}' AS wh (READ_ONLY)")
        if previous is not None and any(p.reused for p in plans):
            con.execute(f"ATTACH '{previous / 'marts.duckdb'}' AS prev (READ_ONLY)")
        for plan in plans:
            if plan.source == "none":
                continue
            parquet = build / "parquet" / f"{plan.name}.parquet"
            if plan.reused and previous is not None:
                con.execute(f'CREATE TABLE rel.main."{plan.name}" AS SELECT * FROM prev.main."{plan.name}"')
                if plan.source == "previous":
                    plan.carried_from = previous.name
                prev_parquet = previous / "parquet" / f"{plan.name}.parquet"
                if prev_parquet.exists():
                    link_or_copy(prev_parquet, parquet)
                    continue
            else:
                con.execute(f'CREATE TABLE rel.main."{plan.name}" AS SELECT * FROM wh.marts."{plan.name}"')
            con.execute(f"COPY rel.main.\"{plan.name}\" TO '{parquet}' (FORMAT parquet, COMPRESSION zstd)")
        con.execute(
            "CREATE TABLE rel.main.release_info AS SELECT ? AS release_id, now() AS built_at, ? AS code_version",
            [release_id, code_version()],
        )
        con.execute("CHECKPOINT rel")
        con.execute("DETACH rel")
    finally:
        con.close()
    if db_path.with_suffix(".duckdb.wal").exists():
        raise PublishError(f"{db_path} still has a write-ahead log after close; refusing to publish it")
    return build


def mart_row_counts(db_path: Path) -> dict[str, int]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute("select table_name from information_schema.tables order by 1").fetchall()
        ]
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}


def write_manifest(build: Path, manifest: dict) -> None:
    path = build / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")


def promote(settings: Settings, build: Path, release_id: str) -> Path:
    """Make the staged release visible: fsync, rename to its final name, then swap `current` atomically."""
    return releases.promote(
        settings.releases_dir, build, release_id, before_switch=lambda: crashpoint("publish")
    )


def point_current(settings: Settings, release_dir: Path) -> None:
    releases.point_current(settings.releases_dir, release_dir)


def prune(settings: Settings, keep: int) -> list[Path]:
    """Keep the newest `keep` releases (and always the current one); delete older ones."""
    return releases.prune(settings.releases_dir, keep)


def rollback(settings: Settings, release_id: str | None = None) -> Path:
    """Re-point `current` to `release_id`, or to the release before the current one."""
    releases = list_releases(settings)
    if not releases:
        raise PublishError(f"no releases in {settings.releases_dir}")
    if release_id:
        target = settings.releases_dir / release_id
        if target not in releases:
            raise PublishError(f"release {release_id!r} not found; available: {[r.name for r in releases]}")
    else:
        current = current_release_dir(settings)
        older = [r for r in releases if current is None or r.name < current.name]
        if not older:
            raise PublishError("no release older than the current one to roll back to")
        target = older[-1]
    point_current(settings, target)
    return target
