"""Write-audit-publish for one refresh: plan each mart from the gate, stage, audit, export, promote.

Belongs here: the sequence that turns a finished warehouse build into a promoted release, and the manifest's
content (feeds with source URL, sha256, rows; marts with rows and fresh/carried-over status and why; checks).
The mechanics of directories and symlinks are in `publish.release`; check logic is in `quality`.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.checks import CheckResult
from core.crashpoint import crashpoint
from core.registry import Registry, load_registry
from core.settings import Settings, get_settings
from ingest.freshness import feed_freshness
from ingest.land import FeedStore
from publish import release as rel
from publish.exports import write_exports
from publish.report import write_quality_report
from quality.expectations import validate_release
from quality.gate import MartVerdict, dbt_verdicts
from restricted.scanner import scan_release

log = logging.getLogger(__name__)
KEEP_RELEASES = 5

# An exporter writes one more part of a release into the staged (not yet promoted) folder. It is given the
# folder and the marts of the release with their status (fresh / carried_over / unchanged / withheld), and returns
# what it wrote (relative paths, for the manifest's `exports[<name>]`), or {"skipped": reason}. Layers downstream
# of publish (dashboards, ...) contribute theirs through `publish_release(exporters=...)`, wired by orchestration.
Exporter = Callable[[Path, dict[str, str]], dict]


@dataclass
class PublishOutcome:
    release_id: str
    release_dir: Path
    manifest: dict

    @property
    def held_back(self) -> list[str]:
        return [m for m, v in self.manifest["marts"].items() if v["status"] in ("carried_over", "withheld")]


def feed_summary(settings: Settings, registry: Registry) -> dict[str, dict]:
    """Every open feed: the version the warehouse read (current), and how its latest ingest attempt ended."""
    out = {}
    for feed in registry.feeds:
        if feed.sensitivity != "open":
            continue
        store = FeedStore(settings.feed_dir(feed.id), feed.id)
        cur = store.current_info()
        freshness = feed_freshness(feed, settings)
        attempts = store.read_log()
        last = attempts[-1] if attempts else {}
        status = last.get("status", "never_ingested")
        out[feed.id] = {
            "title": feed.title,
            "family": feed.family,
            "url": feed.url,
            "licence": feed.licence,
            "sha256": cur.sha256 if cur else None,
            "rows": cur.rows if cur else None,
            "bytes": cur.bytes if cur else None,
            "retrieved_at": cur.retrieved_at if cur else None,
            "via": cur.via if cur else None,
            "raw_file": Path(cur.raw_file).name if cur else None,
            "last_ingest_status": status,
            "last_ingest_message": last.get("message") if status == "failed" else None,
            "freshness": freshness,
            "is_stale": status == "failed" or bool(freshness["is_overdue"]),
        }
    return out


def plan_marts(settings: Settings, verdicts: dict[str, MartVerdict]) -> list[rel.MartPlan]:
    previous = rel.current_release_dir(settings)
    prev_marts = set(rel.mart_row_counts(previous / "marts.duckdb")) if previous else set()
    plans = []
    for name, verdict in sorted(verdicts.items()):
        if verdict.passed:
            plans.append(rel.MartPlan(name, "warehouse"))
        elif verdict.model_status == "not_run" and not verdict.blocking_failures and name in prev_marts:
            # A partial run (one feed's lineage) did not touch this mart: the previous release's copy stands.
            plans.append(
                rel.MartPlan(
                    name, "previous", reasons=["not in this run's lineage: unchanged"], unchanged=True
                )
            )
        else:
            source = "previous" if name in prev_marts else "none"
            plans.append(
                rel.MartPlan(
                    name,
                    source,
                    reasons=verdict.reasons(),
                    failing_samples=[s for c in verdict.blocking_failures for s in c.failing_samples][:5],
                )
            )
    return plans


def publish_release(
    settings: Settings | None = None,
    *,
    dbt_manifest: Path,
    dbt_run_results: Path,
    registry: Registry | None = None,
    extra_checks: list[CheckResult] | None = None,
    keep: int = KEEP_RELEASES,
    exporters: dict[str, Exporter] | None = None,
) -> PublishOutcome:
    settings = settings or get_settings()
    registry = registry or load_registry(settings.registry_path)
    rel.clean_incomplete(settings)
    release_id = rel.new_release_id()
    verdicts = dbt_verdicts(dbt_manifest, dbt_run_results)
    for check in extra_checks or []:
        if check.target in verdicts:
            verdicts[check.target].checks.append(check)

    # Write: stage every mart that passed dbt (and carry over the rest).
    plans = plan_marts(settings, verdicts)
    build = rel.stage_release(settings, plans, release_id)

    # Disclosure scanner over every staged file: respondent-level data or an unprotected small cell in a shared
    # release blocks the whole release (it is a disclosure risk, not a data-quality one).
    leaks = [c for c in scan_release(build) if not c.passed]
    if leaks:
        shutil.rmtree(build, ignore_errors=True)
        raise rel.PublishError(
            "disclosure scanner blocked the release: "
            + "; ".join(f"{c.target}: {c.message}" for c in leaks[:5])
        )
    crashpoint("checks")  # staged, not yet audited
    # Audit: Great Expectations on the staged fresh marts against the previous release.
    previous = rel.current_release_dir(settings)
    fresh = [p.name for p in plans if p.source == "warehouse"]
    gx_results = validate_release(
        build / "marts.duckdb", previous / "marts.duckdb" if previous else None, fresh
    )
    for mart, checks in gx_results.items():
        verdicts[mart].checks.extend(checks)
    failed_gx = [m for m in fresh if not verdicts[m].passed]
    if failed_gx:
        log.warning("Great Expectations held back %s; re-staging with their previous copies", failed_gx)
        plans = plan_marts(settings, verdicts)
        build = rel.stage_release(settings, plans, release_id)

    counts = rel.mart_row_counts(build / "marts.duckdb")
    exports = write_exports(
        build, [p.name for p in plans if p.source != "none"], dbt_manifest.parent, release_id=release_id
    )
    statuses = {p.name: p.status for p in plans}
    for name, exporter in (exporters or {}).items():
        exports[name] = exporter(build, statuses)
    manifest = {
        "release_id": release_id,
        "created_at": datetime.now(UTC).isoformat(),
        "code_version": rel.code_version(),
        "previous_release": previous.name if previous else None,
        "attribution": "Source: Office for National Statistics licensed under the Open Government Licence v3.0; "
        "geography lookups from the repositories named per feed (url).",
        "feeds": feed_summary(settings, registry),
        "marts": {
            p.name: {
                "status": p.status,
                "rows": counts.get(p.name),
                "parquet": f"parquet/{p.name}.parquet" if p.source != "none" else None,
                "carried_from": p.carried_from,
                "reasons": p.reasons,
                "failing_samples": p.failing_samples,
            }
            for p in plans
        },
        "checks": {m: [c.as_dict() for c in v.checks] for m, v in sorted(verdicts.items())},
        "quality_report": "quality_report.html",
        "exports": exports,
    }
    write_quality_report(build / "quality_report.html", manifest)
    rel.write_manifest(build, manifest)
    final = rel.promote(settings, build, release_id)
    rel.prune(settings, keep)
    log.info(
        "published release %s (%s)",
        release_id,
        json.dumps({m: v["status"] for m, v in manifest["marts"].items()}),
    )
    return PublishOutcome(release_id, final, manifest)
