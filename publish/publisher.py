"""Write-audit-publish for one refresh: judge each mart, stage, export only what changed, promote.

Belongs here: the sequence that turns a finished warehouse build into a promoted release, and the manifest's
content (the inputs the release was built from; feeds with source URL, sha256, rows, last ingest and why it
failed, restricted feeds included; marts with rows, status and why, content hash; checks with their
tolerances). The mechanics of directories and symlinks are in `publish.release`; check logic in `quality`.

The consistency rule, applied to every release: a release is built from one set of feed versions. A feed
version that fails a check is not used anywhere: at ingest it is rejected before it becomes current
(`quality.feed_checks`); when a check on the marts fails after an ingest and the failure traces back to feeds
whose version changed in this run, `rebuild` (given by orchestration) rejects those versions, restores the
previous ones and rebuilds their lineage, and the gate runs again. A failure that no changed feed explains (a
code or reference-data problem) holds back the marts downstream of the failing node, with the reason. Marts the
run did not touch, or rebuilt with identical content, are carried over: their files are hard-linked, not
re-exported.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from core.crashpoint import crashpoint
from core.fingerprint import release_inputs
from core.registry import Registry, load_registry
from core.settings import Settings, get_settings
from ingest.custom_areas import last_attempt as last_custom_areas_attempt
from ingest.freshness import feed_freshness
from ingest.land import FeedStore
from publish import release as rel
from publish.exports import write_exports
from publish.report import write_quality_report
from quality.gate import MartVerdict, dbt_verdicts, upstream_feeds
from quality.release_checks import check_marts
from restricted.keys import redact
from restricted.scanner import scan_release
from restricted.zone import Zone, pending_deliveries, read_export_log, read_log

log = logging.getLogger(__name__)

CONSISTENCY_RULE = (
    "One set of feed versions per release: a feed version that fails a check (at ingest, or a mart check that "
    "traces back to it) is rejected and the feed's previous version is used throughout; the manifest names it "
    "under `rejected_versions`. Failures no changed feed explains hold back only the marts downstream of them."
)

# An exporter writes one more part of a release into the staged (not yet promoted) folder. It is given the
# folder and the marts of the release with their status (fresh / carried_over / unchanged / withheld), and returns
# what it wrote (relative paths, for the manifest's `exports[<name>]`), or {"skipped": reason}. Layers downstream
# of publish (dashboards, ...) contribute theirs through `publish_release(exporters=...)`, wired by orchestration.
Exporter = Callable[[Path, dict[str, str]], dict]

# Given to publish_release by orchestration: reject the current versions of these feeds (with these reasons),
# restore their previous versions, rebuild their lineage; return the dbt run results covering the rebuilt nodes.
Rebuild = Callable[[list[str], list[str]], Path | None]


@dataclass
class PublishOutcome:
    release_id: str
    release_dir: Path
    manifest: dict

    @property
    def held_back(self) -> list[str]:
        return [m for m, v in self.manifest["marts"].items() if v["status"] in ("carried_over", "withheld")]


def _step(label: str, started: float) -> float:
    now = time.monotonic()
    print(f"[publish] {label} ({now - started:.1f}s)", flush=True)
    return now


def feed_summary(settings: Settings, registry: Registry) -> dict[str, dict]:
    """Every feed: the version the warehouse read (current) and how its latest ingest attempt ended. Restricted
    feeds are listed too (their current encrypted version, the last delivery and export attempts), with every
    message redacted: a wrong key or a broken delivery is a failed feed like any other."""
    out = {}
    for feed in registry.feeds:
        if not feed.enabled:
            continue
        if feed.sensitivity == "restricted":
            out[feed.id] = _restricted_summary(settings, feed)
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
            "sensitivity": feed.sensitivity,
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
            "last_quality_checks": last.get("quality_checks"),
            "freshness": freshness,
            "is_stale": status == "failed" or bool(freshness["is_overdue"]),
        }
    return out


def _restricted_summary(settings: Settings, feed) -> dict:
    """A restricted feed is failed when a delivery still waiting in the landing zone could not be landed (wrong
    key, truncated or tampered file, contract) or when the zone's last export failed (e.g. the current version
    cannot be decrypted with the configured key); the previous good export keeps serving meanwhile. Each delivery
    is judged by its own latest attempt, so a good delivery landed in the same run does not hide a bad one."""
    zone = Zone(settings)
    attempts = read_log(settings, feed.id)
    exports = [e for e in read_export_log(settings) if e.get("feed_id") in (None, feed.id)]
    waiting = {p.name for p in pending_deliveries(settings, feed)}
    latest: dict[str, dict] = {}
    for e in attempts:
        latest[e.get("delivery") or ""] = e
    problems = [
        f"delivery {name}: {e.get('message') or 'failed'}"
        for name, e in sorted(latest.items())
        if name in waiting and e.get("status") == "failed"
    ]
    if exports and exports[-1].get("status") == "failed":
        problems.append(f"restricted export: {exports[-1].get('message') or 'failed'}")
    cur = zone.current_version(feed.id)
    if problems:
        status = "failed"
    elif cur.exists() or any(e.get("status") == "landed" for e in attempts):
        status = "landed"
    else:
        status = "no_delivery"
    return {
        "title": feed.title,
        "family": feed.family,
        "sensitivity": "restricted",
        "url": None,
        "licence": feed.licence,
        "sha256": None,
        "current_version": cur.resolve().name if cur.exists() else None,
        "rows": None,
        "last_ingest_status": status,
        "last_ingest_message": redact("\n".join(problems)) if problems else None,
        "is_stale": status == "failed",
    }


def custom_areas_report(settings: Settings) -> dict:
    """How the analysts' custom areas fared: the last landing attempt (a rejected file is `failed`, with its
    message, and the previous list stays in use) and every area that yields no row in custom_area_indicators,
    with why (no member matched a known area; or the members matched but no additive indicator covers them)."""
    attempt = last_custom_areas_attempt(settings)
    out = {
        "status": attempt.get("status", "none"),
        "message": attempt.get("message"),
        "finished_at": attempt.get("finished_at"),
        "areas": 0,
        "without_rows": [],
    }
    if not settings.warehouse_path.exists():
        return out
    try:
        with duckdb.connect(":memory:", config=settings.duckdb_config) as con:
            con.execute(f"ATTACH '{settings.warehouse_path}' AS wh (READ_ONLY)")
            rows = con.execute(
                """
                with m as (
                    select custom_area, count(*) as listed, count(*) filter (where is_matched) as matched
                    from wh.intermediate.int_geography_custom_area_members group by custom_area
                ),
                p as (select distinct custom_area from wh.marts.custom_area_indicators)
                select m.custom_area, m.listed, m.matched, p.custom_area is not null
                from m left join p on p.custom_area = m.custom_area order by m.custom_area
                """
            ).fetchall()
    except duckdb.Error:  # a warehouse without the custom-area models (first run failed early)
        return out
    out["areas"] = len(rows)
    for area, listed, matched, has_rows in rows:
        if has_rows:
            continue
        reason = (
            f"none of its {listed} members matches a known area (check the codes)"
            if not matched
            else f"{matched} of its {listed} members match, but no additive (count) indicator is published for "
            "them, so the area has no row"
        )
        out["without_rows"].append(
            {"custom_area": area, "members": listed, "matched": matched, "reason": reason}
        )
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
            plans.append(
                rel.MartPlan(
                    name,
                    "previous" if name in prev_marts else "none",
                    reasons=verdict.reasons(),
                    failing_samples=[s for c in verdict.blocking_failures for s in c.failing_samples][:5],
                )
            )
    return plans


def _audit(settings, verdicts, previous, code_changed) -> None:
    """Release-level checks on the marts this run rebuilt, read from the warehouse before anything is staged."""
    built = [m for m, v in verdicts.items() if v.passed]
    if not built:
        return
    with duckdb.connect(":memory:", config=settings.duckdb_config) as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{settings.warehouse_path}' AS wh (READ_ONLY)")
        prev_tables = set()
        if previous is not None:
            con.execute(f"ATTACH '{previous / 'marts.duckdb'}' AS prev (READ_ONLY)")
            prev_tables = {
                r[0]
                for r in con.execute(
                    "select table_name from duckdb_tables() where database_name = 'prev'"
                ).fetchall()
            }
        results = check_marts(
            con,
            {m: f'wh.marts."{m}"' for m in built},
            {m: f'prev.main."{m}"' for m in built if m in prev_tables},
            code_changed=code_changed,
        )
    for mart, checks in results.items():
        verdicts[mart].checks.extend(checks)


def _suspects(
    manifest_path: Path, verdicts: dict[str, MartVerdict], changed: set[str]
) -> tuple[list[str], list[str]]:
    """The feeds whose version changed in this run and that the blocking failures trace back to."""
    manifest = json.loads(manifest_path.read_text())
    marts = {
        n["name"]: uid
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] == "model" and n.get("schema") == "marts"
    }
    feeds: set[str] = set()
    reasons = []
    for mart, verdict in verdicts.items():
        if verdict.passed or verdict.model_status == "not_run" and not verdict.blocking_failures:
            continue
        hit = upstream_feeds(manifest, marts[mart]) & changed if mart in marts else set()
        if hit:
            feeds |= hit
            reasons += [f"{mart}: {r}" for r in verdict.reasons()[:3]]
    return sorted(feeds), reasons


def _merge_results(first: Path, second: Path | None) -> Path:
    """dbt results of the build, with the nodes a rebuild re-ran replaced by their new results."""
    if second is None:
        return first
    a = {r["unique_id"]: r for r in json.loads(first.read_text())["results"]}
    a.update({r["unique_id"]: r for r in json.loads(second.read_text())["results"]})
    out = first.with_name("run_results.merged.json")
    out.write_text(json.dumps({"results": list(a.values())}))
    return out


def publish_release(
    settings: Settings | None = None,
    *,
    dbt_manifest: Path,
    dbt_run_results: Path,
    registry: Registry | None = None,
    keep: int | None = None,
    exporters: dict[str, Exporter] | None = None,
    rebuild: Rebuild | None = None,
) -> PublishOutcome:
    started = time.monotonic()
    settings = settings or get_settings()
    registry = registry or load_registry(settings.registry_path)
    rel.clean_incomplete(settings)
    release_id = rel.new_release_id()
    previous = rel.current_release_dir(settings)
    prev_manifest = rel.read_manifest(previous) if previous else {}
    inputs = release_inputs(settings)
    code_changed = (prev_manifest.get("inputs") or {}).get("code_fingerprint") != inputs["code_fingerprint"]
    feeds = feed_summary(settings, registry)
    prev_feeds = prev_manifest.get("feeds") or {}
    changed = {
        f
        for f, v in feeds.items()
        if v.get("sha256") and v.get("sha256") != (prev_feeds.get(f) or {}).get("sha256")
    }

    verdicts = dbt_verdicts(dbt_manifest, dbt_run_results)
    _audit(settings, verdicts, previous, code_changed)
    rejected: dict[str, dict] = {}
    suspects, why = _suspects(dbt_manifest, verdicts, changed)
    if suspects and rebuild is not None:
        print(
            f"[publish] checks failed on marts built from the new versions of {suspects}: rejecting them",
            flush=True,
        )
        rejected = {f: {"sha256": feeds[f]["sha256"], "reasons": why} for f in suspects}
        results = _merge_results(dbt_run_results, rebuild(suspects, why))
        verdicts = dbt_verdicts(dbt_manifest, results)
        feeds = feed_summary(settings, registry)
        _audit(settings, verdicts, previous, code_changed)
    started = _step("gate judged every mart", started)

    plans = plan_marts(settings, verdicts)
    prev_hashes = {m: v.get("content_hash") for m, v in (prev_manifest.get("marts") or {}).items()}
    with duckdb.connect(":memory:", config=settings.duckdb_config) as con:
        con.execute(f"ATTACH '{settings.warehouse_path}' AS wh (READ_ONLY)")
        for p in plans:
            if p.source == "warehouse":
                p.content_hash = rel.content_hash(con, f'wh.marts."{p.name}"')
                if previous is not None and prev_hashes.get(p.name) == p.content_hash:
                    p.identical = True
                    p.reasons = ["rebuilt with content identical to the previous release: files carried over"]
            elif p.reused:
                p.content_hash = prev_hashes.get(p.name)
    build = rel.stage_release(settings, plans, release_id)
    started = _step(
        f"staged {sum(1 for p in plans if p.source != 'none')} marts "
        f"({sum(1 for p in plans if p.source == 'warehouse' and not p.identical)} with new content)",
        started,
    )

    # Disclosure scanner over every staged file: respondent-level data or an unprotected small cell in a shared
    # release blocks the whole release (it is a disclosure risk, not a data-quality one).
    leaks = [c for c in scan_release(build) if not c.passed]
    if leaks:
        shutil.rmtree(build, ignore_errors=True)
        raise rel.PublishError(
            "disclosure scanner blocked the release: "
            + "; ".join(f"{c.target}: {c.message}" for c in leaks[:5])
        )
    crashpoint("checks")  # staged and scanned, not yet exported

    counts = rel.mart_row_counts(build / "marts.duckdb")
    statuses = {p.name: p.status for p in plans}
    exports = write_exports(
        build,
        [p.name for p in plans if p.source != "none"],
        dbt_manifest.parent,
        release_id=release_id,
        reuse_from=previous,
        # the export code may have changed with the rest: then the CSVs and the workbook are written anew
        reused=set() if code_changed else {p.name for p in plans if p.reused},
    )
    for name, exporter in (exporters or {}).items():
        exports[name] = exporter(build, statuses)
    started = _step("exports written", started)
    manifest = {
        "release_id": release_id,
        "created_at": datetime.now(UTC).isoformat(),
        "code_version": rel.code_version(),
        "previous_release": previous.name if previous else None,
        "attribution": "Source: Office for National Statistics licensed under the Open Government Licence v3.0; "
        "geography lookups from the repositories named per feed (url).",
        "consistency_rule": CONSISTENCY_RULE,
        "inputs": inputs,
        "feeds": feeds,
        "custom_areas": custom_areas_report(settings),
        "rejected_versions": rejected,
        "marts": {
            p.name: {
                "status": p.status,
                "rows": counts.get(p.name),
                "parquet": f"parquet/{p.name}.parquet" if p.source != "none" else None,
                "carried_from": p.carried_from,
                "content_hash": p.content_hash,
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
    rel.prune(settings, settings.keep_releases if keep is None else keep)
    _step(f"promoted release {release_id}", started)
    log.info(
        "published release %s (%s)",
        release_id,
        json.dumps({m: v["status"] for m, v in manifest["marts"].items()}),
    )
    return PublishOutcome(release_id, final, manifest)
