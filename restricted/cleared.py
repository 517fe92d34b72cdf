"""The cleared analysts' release, inside the restricted zone.

Belongs here: `publish_cleared_release`, which copies the zone's `cleared` export into a new release folder
under `<zone>/releases/`, scans it again with the disclosure scanner, writes its manifest and promotes it with
the same write-audit-publish mechanics as the open release (`core.releases`). The open release never contains
these files; only a caller with the cleared role may read them (see docs/restricted.md and the data API).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from core import releases
from core.settings import Settings, get_settings
from restricted import scanner, sdc
from restricted.crypto import secure_dir
from restricted.keys import RestrictedError
from restricted.zone import Zone


def publish_cleared_release(settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    zone = Zone(settings)
    src = zone.cleared_export
    if not src.is_dir():
        raise RestrictedError("no cleared export to publish (run the restricted export first)")
    rid = releases.new_release_id()
    secure_dir(zone.cleared_releases)
    releases.clean_incomplete(zone.cleared_releases)
    build = releases.building_dir(zone.cleared_releases, rid)
    shutil.copytree(src, build / "parquet")
    checks = scanner.scan_directory(build, min_count=sdc.min_count_from_env())
    if any(not c.passed for c in checks):
        shutil.rmtree(build, ignore_errors=True)
        raise RestrictedError("disclosure scanner blocked the cleared release")
    export_manifest = json.loads((zone.export_dir / "export_manifest.json").read_text())
    manifest = {
        "release_id": rid,
        "audience": "cleared analysts (restricted release; see docs/restricted.md)",
        "created_at": datetime.now(UTC).isoformat(),
        "source_feed": "aps-personal-wellbeing-microdata",
        "min_count": export_manifest.get("min_count"),
        "suppression": export_manifest.get("suppression"),
        "files": {
            p.name: pq.read_metadata(p).num_rows for p in sorted((build / "parquet").glob("*.parquet"))
        },
        "checks": [c.as_dict() for c in checks],
    }
    (build / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return releases.promote(zone.cleared_releases, build, rid)
