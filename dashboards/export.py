"""The release exporter: `export_dashboards(staged_release, {mart: status})` writes `<release>/dashboards/`.

Belongs here: the part of a release the dashboards own, run by `publish.publisher.publish_release(exporters=...)`
before promotion (wired in `orchestration/definitions.py`):
    pages/*.yml          the page definitions the release was checked with (the folder `dashboards/pages/`)
    validation.json      every page checked against the staged marts; a failure raises, so the release is not
                         promoted (a bad page never reaches a release)
    missions/, assets/   static snapshots of the mission dashboards (plotly.js once, locally)
    index.html           the way in (the data dictionary links it)
    build.json           what the snapshots were built from: a fingerprint of the rows they read in each mart and
                         of the code and definitions; when both equal the previous release's, its snapshots are
                         copied instead of rebuilt (a no-change refresh marks marts `fresh` although their rows
                         are the same, so the fingerprint, not the status, decides)
The build cost is printed and returned (manifest `exports.dashboards.seconds`).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from pathlib import Path

from core.releases import current_dir
from core.settings import get_settings
from dashboards import static
from dashboards.check import DashboardCheckError, check_pages
from dashboards.pagetypes import PageSet
from dashboards.release import ReleaseData, cleared_release_dir
from dashboards.spec import page_files

log = logging.getLogger(__name__)
PACKAGE = Path(__file__).resolve().parent
# what the static snapshots read: the mission pages, their area links, their sources' titles and links
SNAPSHOT_INPUTS = {
    "mission_metrics": "select * from mission_metrics",
    "mission_gaps": "select * from mission_gaps",
    "mission_gap_groups": "select * from mission_gap_groups",
    "geography": "select * from geography",
    "provenance": "select feed_id, feed_title, source_url, licence from provenance where is_current",
}
SNAPSHOT_MARTS = tuple(SNAPSHOT_INPUTS)


def fingerprints(data: ReleaseData) -> dict[str, str | None]:
    """Per mart the snapshots read: row count and an order-independent hash of the rows they use."""
    out: dict[str, str | None] = {}
    with data.connect(helpers=False) as con:
        for mart, sql in SNAPSHOT_INPUTS.items():
            if mart not in data.tables:
                out[mart] = None
                continue
            n, h = con.execute(f"select count(*), bit_xor(hash(t)) from ({sql}) as t").fetchone()
            out[mart] = f"{n}:{h}"
    return out


def definitions_hash(pages_dir: Path) -> str:
    """Changes with the dashboards' code, assets, the mission catalogue or any page definition."""
    from publish.exports.catalog import CATALOGUE

    h = hashlib.sha256()
    files = sorted(PACKAGE.rglob("*.py")) + sorted((PACKAGE / "assets").glob("*")) + page_files(pages_dir)
    files.append(Path(CATALOGUE))
    files.append(get_settings().dbt_project_dir / "seeds" / "generated" / "registry_feeds.csv")  # feed titles
    for f in files:
        if f.is_file():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _reusable(previous: Path | None, prints: dict, digest: str) -> str | None:
    """The previous release's id when its snapshots were built from the same rows and definitions."""
    if previous is None:
        return None
    build = previous / "dashboards" / "build.json"
    if not build.exists() or not (previous / "dashboards" / "missions").is_dir():
        return None
    import json

    prev = json.loads(build.read_text())
    if prev.get("definitions_sha256") != digest:
        return None
    if prev.get("fingerprints") != prints:
        return None
    return previous.name


def export_dashboards(release_dir: Path, statuses: dict[str, str]) -> dict:
    """Check every page against the staged release and write its dashboards folder (see the module doc)."""
    started = time.perf_counter()
    settings = get_settings()
    release_dir = Path(release_dir)
    release_id = release_dir.name.removeprefix(".building-")
    out = release_dir / "dashboards"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    pages_dir = settings.dashboards_pages_dir
    digest = definitions_hash(pages_dir)
    previous = current_dir(
        settings.releases_dir
    )  # while the new release is staged, current is the previous one

    data = ReleaseData(release_dir, cleared_release_dir(settings))
    data.release_id = release_id
    try:
        report = check_pages(PageSet(lambda: pages_dir), data, set(statuses))
        static.write_json(out / "validation.json", report.as_dict())
        if not report.ok:
            raise DashboardCheckError(
                "dashboards check failed, the release is not promoted:\n" + report.text()
            )
        (out / "pages").mkdir()
        for f in page_files(pages_dir):
            shutil.copyfile(f, out / "pages" / f.name)

        prints = fingerprints(data)
        reused = _reusable(previous, prints, digest)
        if reused:
            shutil.copytree(previous / "dashboards" / "missions", out / "missions")
            shutil.copytree(previous / "dashboards" / "assets", out / "assets")
            import json

            missions = json.loads((previous / "dashboards" / "build.json").read_text())["missions"]
            missions = {int(k): v for k, v in missions.items()}
        else:
            static.write_assets(out)
            public = ReleaseData(release_dir)  # the snapshots are open pages: never the cleared data
            public.release_id = release_id
            try:
                missions = static.write_mission_pages(public, out) if "mission_metrics" in data.tables else {}
            finally:
                public.close()
    finally:
        data.close()
    seconds = time.perf_counter() - started
    build = {
        "release_id": release_id,
        "built_at": static.now(),
        "seconds": round(seconds, 2),
        "definitions_sha256": digest,
        "reused_from": reused,
        "marts": {m: statuses.get(m) for m in SNAPSHOT_MARTS},
        "fingerprints": prints,
        "missions": missions,
    }
    static.write_index(out, release_id, missions, report, build)
    static.write_json(out / "build.json", build)
    seconds = time.perf_counter() - started
    message = (
        f"dashboards: {len(report.pages)} pages checked, {len(missions)} mission snapshots "
        + (f"reused from {reused}" if reused else "built")
        + f" in {seconds:.1f} s (target <= 60 s)"
    )
    log.info(message)
    print(message, flush=True)
    return {
        "index": "dashboards/index.html",
        "validation": "dashboards/validation.json",
        "pages": [f"dashboards/pages/{f.name}" for f in page_files(pages_dir)],
        "missions": {str(m): f"dashboards/{v['page']}" for m, v in sorted(missions.items())},
        "checked": {p.page: p.status for p in report.pages},
        "rebuilt": not reused,
        "reused_from": reused,
        "seconds": round(seconds, 2),
    }
