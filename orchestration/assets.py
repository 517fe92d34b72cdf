"""The Dagster assets: one per registered feed (raw zone), the dbt models (warehouse), and the release.

Belongs here: asset definitions and what each reports (metadata, asset checks). The work itself is done by
`ingest`, dbt and `publish`; these functions only call them and describe the outcome to Dagster.

Failure semantics (so that one bad feed never stops the others):
- a feed whose new version breaks its contract keeps serving its previous version: the asset records that
  (metadata `ingest_status=failed`) and its `contract` check fails with the message; the warehouse builds
  on the previous version and the manifest marks the feed stale. An indicator feed with no good version at
  all stages as empty (the marts that need it fail their completeness tests and are withheld; the others
  publish); a reference feed with no good version at all fails the step (nothing can be built without it).
- dbt runs `seed`, `run`, then `test`; test failures are asset checks that do not block in Dagster: the
  publish gate reads them and holds back only the marts downstream of the failing node.
"""

import json
import shutil
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)
from dagster_dbt import DbtCliResource, dbt_assets

from ingest.crashpoint import crashpoint
from ingest.land import FeedStore
from ingest.pipeline import IngestFailed, ingest_feed
from ingest.registry import FeedSpec, Registry
from ingest.settings import get_settings
from orchestration.dbt_resources import LevelupDbtTranslator
from publish.publisher import publish_release

CONTRACT_CHECK = "contract"


def raw_key(feed: FeedSpec) -> AssetKey:
    return AssetKey(["raw", feed.id])


INGEST_THREADS = 4


def _feed_spec(feed: FeedSpec) -> AssetSpec:
    return AssetSpec(
        key=raw_key(feed),
        group_name=f"raw_{feed.family}",
        description=f"{feed.title}. Source: {feed.url}. Licence: {feed.licence}. Current landed version (Parquet).",
        kinds={"parquet", "python"},
        tags={"sensitivity": feed.sensitivity, "cadence": feed.cadence},
        metadata={
            "url": MetadataValue.url(feed.url) if feed.url else "",
            "mirror_path": feed.mirror_path or "",
            "missions": ",".join(map(str, feed.missions)),
        },
        skippable=True,
    )


def ingest_assets(registry: Registry) -> AssetsDefinition:
    """One asset per open feed, computed by a single subsettable op that ingests the selected feeds in a
    thread pool: feeds land in parallel (each writes only its own raw-zone folder; no DuckDB involved)."""
    feeds = {raw_key(f): f for f in registry.feeds if f.sensitivity == "open"}

    @multi_asset(
        name="ingest_feeds",
        specs=[_feed_spec(f) for f in feeds.values()],
        check_specs=[
            AssetCheckSpec(
                CONTRACT_CHECK, asset=k, description="pandera contract generated from the registry"
            )
            for k in feeds
        ],
        can_subset=True,
        op_tags={"levelup/kind": "ingest"},
    )
    def ingest_feeds(context: AssetExecutionContext):
        settings = get_settings()
        selected = [feeds[k] for k in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string())]
        no_version = []
        with ThreadPoolExecutor(max_workers=INGEST_THREADS) as pool:
            futures = {pool.submit(ingest_feed, f, settings, raise_on_failure=False): f for f in selected}
            for fut in as_completed(futures):
                feed = futures[fut]
                res = fut.result()
                print(
                    f"[ingest] {feed.id:<55} {res.status:<9} rows={res.rows} {res.seconds:.2f}s", flush=True
                )
                serving = (
                    FeedStore(settings.feed_dir(feed.id), feed.id).current_info()
                    if res.status == "failed"
                    else None
                )
                if res.status == "failed":
                    context.log.error(res.message)
                yield AssetCheckResult(
                    asset_key=raw_key(feed),
                    check_name=CONTRACT_CHECK,
                    passed=res.status != "failed",
                    severity=AssetCheckSeverity.ERROR,
                    metadata={"message": MetadataValue.md(f"```\n{res.message}\n```")},
                )
                if res.status == "failed" and serving is None and feed.family != "ess":
                    # reference data with no version at all: the warehouse cannot be built without it
                    no_version.append(feed.id)
                    continue
                # An indicator feed with no version yet stages as empty: marts that need it fail their
                # completeness tests and are held back; the others publish (see stage_ess_feed).
                yield MaterializeResult(
                    asset_key=raw_key(feed),
                    metadata={
                        "ingest_status": res.status,
                        "serving_sha256": (serving.sha256 if serving else res.sha256) or "",
                        "rows": (serving.rows if serving else res.rows) or 0,
                        "bytes": res.bytes or 0,
                        "via": res.via or "",
                        "raw_file": (serving.raw_file if serving else res.raw_file) or "",
                        "message": res.message[:2000],
                        "seconds": res.seconds,
                    },
                )
        if no_version:
            raise IngestFailed(
                f"reference feeds with no usable version (first ingest failed): {no_version}; see the "
                "contract checks for the messages. The warehouse is not rebuilt this run."
            )

    return ingest_feeds


CUSTOM_AREAS_KEY = AssetKey(["raw", "custom-areas"])
RESTRICTED_INGEST_KEY = AssetKey(["restricted", "aps-personal-wellbeing-microdata"])
RESTRICTED_EXPORT_KEY = AssetKey(["restricted", "m8_wellbeing_shares_export"])
CLEARED_RELEASE_KEY = AssetKey(["restricted", "cleared_release"])


@asset(
    key=CUSTOM_AREAS_KEY,
    group_name="raw_custom",
    kinds={"parquet", "python"},
    description="Analyst-defined areas dropped into <data dir>/custom_areas/ (CSV or YAML), validated and landed "
    "as raw/custom-areas/current.parquet (see docs/geography.md).",
    check_specs=[
        AssetCheckSpec(CONTRACT_CHECK, asset=CUSTOM_AREAS_KEY, description="custom-area files are valid")
    ],
)
def custom_areas(context: AssetExecutionContext):
    from ingest.custom_areas import CustomAreaError, land_custom_areas

    settings = get_settings()
    try:
        summary = land_custom_areas(settings)
    except CustomAreaError as exc:
        previous = settings.raw_dir / "custom-areas" / "current.parquet"
        yield AssetCheckResult(
            check_name=CONTRACT_CHECK,
            passed=False,
            severity=AssetCheckSeverity.ERROR,
            metadata={"message": str(exc)},
        )
        if not previous.exists():
            raise
        context.log.error(f"custom areas rejected, the previous list stays: {exc}")
        yield MaterializeResult(metadata={"status": "failed", "message": str(exc)})
        return
    print(
        f"[ingest] {'custom-areas':<55} {summary['status']:<9} areas={summary['areas']} "
        f"members={summary['members']}",
        flush=True,
    )
    yield AssetCheckResult(check_name=CONTRACT_CHECK, passed=True)
    yield MaterializeResult(
        metadata={k: v for k, v in summary.items() if k != "files"} | {"files": len(summary["files"])}
    )


@asset(
    key=RESTRICTED_INGEST_KEY,
    group_name="restricted",
    kinds={"python"},
    tags={"sensitivity": "restricted"},
    description="Restricted APS well-being microdata: encrypted deliveries picked up from the landing zone, "
    "landed encrypted at rest, decrypted only into the restricted zone's own DuckDB (never the warehouse).",
    check_specs=[
        AssetCheckSpec(
            CONTRACT_CHECK, asset=RESTRICTED_INGEST_KEY, description="deliveries pass the contract"
        )
    ],
)
def restricted_ingest(context: AssetExecutionContext):
    from ingest.restricted import RestrictedError, ingest_restricted, redact

    try:
        summary = ingest_restricted(get_settings())
    except RestrictedError as exc:  # e.g. a delivery is waiting but no key is configured
        yield AssetCheckResult(
            check_name=CONTRACT_CHECK,
            passed=False,
            severity=AssetCheckSeverity.ERROR,
            metadata={"message": redact(str(exc))},
        )
        yield MaterializeResult(metadata={"status": "failed", "message": redact(str(exc))})
        return
    failed = [d for f in summary["feeds"].values() for d in f["failed"]]
    yield AssetCheckResult(
        check_name=CONTRACT_CHECK,
        passed=not failed,
        severity=AssetCheckSeverity.ERROR,
        metadata={"failed_deliveries": MetadataValue.json(failed)},
    )
    yield MaterializeResult(metadata={"summary": MetadataValue.json(summary)})


@asset(
    key=RESTRICTED_EXPORT_KEY,
    deps=[RESTRICTED_INGEST_KEY],
    group_name="restricted",
    kinds={"parquet", "dbt"},
    tags={"sensitivity": "restricted"},
    description="Disclosure-controlled mission 8 aggregates exported from the restricted zone (restricted dbt "
    "project, primary + secondary suppression, disclosure scanner). The only restricted output the shared "
    "warehouse reads; the previous export stays when anything fails.",
    check_specs=[
        AssetCheckSpec(
            "disclosure_scanner",
            asset=RESTRICTED_EXPORT_KEY,
            description="no respondent-level data, no unprotected small cell",
        )
    ],
)
def restricted_export(context: AssetExecutionContext):
    from ingest.restricted import RestrictedError, build_restricted_aggregates, redact

    try:
        summary = build_restricted_aggregates(get_settings())
    except RestrictedError as exc:
        yield AssetCheckResult(
            check_name="disclosure_scanner",
            passed=False,
            severity=AssetCheckSeverity.ERROR,
            metadata={"message": redact(str(exc))},
        )
        yield MaterializeResult(metadata={"status": "failed", "message": redact(str(exc))})
        return
    yield AssetCheckResult(
        check_name="disclosure_scanner", passed=True, metadata={"checks": len(summary.get("scanner", []))}
    )
    print(f"[restricted] export {summary['status']}", flush=True)
    yield MaterializeResult(
        metadata={
            "status": summary["status"],
            "suppression": MetadataValue.json(summary.get("suppression", {})),
        }
    )


@asset(
    key=CLEARED_RELEASE_KEY,
    deps=[RESTRICTED_EXPORT_KEY],
    group_name="restricted",
    kinds={"parquet"},
    tags={"sensitivity": "restricted"},
    description="The cleared analysts' release (finer, still disclosure-controlled detail) in the restricted zone.",
)
def cleared_release(context: AssetExecutionContext):
    from ingest.restricted import Zone, publish_cleared_release

    settings = get_settings()
    if not Zone(settings).cleared_export.is_dir():
        return MaterializeResult(metadata={"status": "no_export"})
    path = publish_cleared_release(settings)
    return MaterializeResult(metadata={"status": "published", "path": MetadataValue.path(str(path))})


def last_build_dir() -> Path:
    return get_settings().warehouse_dir / "last_build"


def dbt_target_dir() -> Path:
    """One stable dbt target folder per data directory, so every invocation after the first parses partially."""
    return get_settings().warehouse_dir / "dbt_target"


def _save_artifacts(target: Path, results: list[dict]) -> None:
    """Keep the manifest, every invocation's results and the static docs page where publish reads them."""
    out = last_build_dir()
    out.mkdir(parents=True, exist_ok=True)
    for name in ("manifest.json", "catalog.json", "static_index.html"):
        if (target / name).exists():
            shutil.copyfile(target / name, out / name)
        else:
            (out / name).unlink(missing_ok=True)
    (out / "run_results.json").write_text(json.dumps({"results": results}))


def warehouse_assets(manifest: Path, exclude: str | None = None) -> AssetsDefinition:
    @dbt_assets(
        manifest=manifest,
        dagster_dbt_translator=LevelupDbtTranslator(),
        exclude=exclude,
        name="warehouse_dbt",
        op_tags={"levelup/kind": "dbt"},
    )
    def warehouse_dbt(context: AssetExecutionContext, dbt: DbtCliResource):
        get_settings().warehouse_dir.mkdir(parents=True, exist_ok=True)
        target = dbt_target_dir()
        invocations, results = [], []
        # seeds only when the run selected one (a sensor-launched run for one feed's lineage selects none)
        steps = [["seed"]] if any(k.path[0] == "registry" for k in context.selected_asset_keys) else []
        for step in (*steps, ["run"], ["test"]):
            inv = dbt.cli(step, context=context, raise_on_error=False, target_path=target)
            yield from inv.stream()
            invocations.append(inv)
            run_results = target / "run_results.json"
            if run_results.exists():  # each invocation overwrites it: collect as we go
                results += json.loads(run_results.read_text())["results"]
            if step == ["seed"]:
                crashpoint("dbt")  # the warehouse has been written to; models not yet built
            print(f"[dbt] {step[0]:<5} {'ok' if inv.is_successful() else 'with failures'}", flush=True)
        # The data dictionary's dbt site (lineage, SQL), built while dbt is still the warehouse's only user.
        docs = dbt.cli(
            ["docs", "generate", "--static"], manifest=manifest, raise_on_error=False, target_path=target
        )
        docs.wait()
        print(
            f"[dbt] docs  {'ok' if docs.is_successful() else 'failed (the release keeps its own dictionary)'}",
            flush=True,
        )
        _save_artifacts(target, results)
        # seed/run failures stop the run here; test failures are the publish gate's to judge, per mart
        broken = [inv for inv in invocations[:-1] if not inv.is_successful()]
        if broken:
            raise RuntimeError(
                "dbt seed/run failed: the warehouse is incomplete, so nothing is published this "
                "run; the current release keeps serving. See the dbt logs above."
            )

    return warehouse_dbt


def mart_keys(manifest: Path) -> list[AssetKey]:
    data = json.loads(manifest.read_text())
    return [
        AssetKey(["marts", n["name"]])
        for n in data["nodes"].values()
        if n["resource_type"] == "model" and n.get("schema") == "marts"
    ]


def release_asset(marts: list[AssetKey]) -> AssetsDefinition:
    release_key = AssetKey(["release", "current"])
    gate_specs = [
        AssetCheckSpec(
            f"gate_{k.path[-1]}",
            asset=release_key,
            description=f"mart {k.path[-1]} is fresh in the new release (fails when held back by a check)",
        )
        for k in marts
    ]

    @asset(
        key=release_key,
        group_name="release",
        deps=marts,
        check_specs=gate_specs,
        kinds={"duckdb", "parquet"},
        description="Write-audit-publish: stage the marts into a new release, run the gate (dbt results + Great "
        "Expectations), carry over held-back marts from the previous release, promote atomically.",
    )
    def release(context: AssetExecutionContext):
        build = last_build_dir()
        outcome = publish_release(
            dbt_manifest=build / "manifest.json", dbt_run_results=build / "run_results.json"
        )
        marts_meta = outcome.manifest["marts"]
        for key in marts:
            m = marts_meta.get(key.path[-1])
            if m is None:
                continue
            yield AssetCheckResult(
                check_name=f"gate_{key.path[-1]}",
                passed=m["status"] in ("fresh", "unchanged"),
                severity=AssetCheckSeverity.ERROR,
                metadata={"status": m["status"], "reasons": MetadataValue.json(m["reasons"])},
            )
        print(f"[publish] release {outcome.release_id} -> {outcome.release_dir}", flush=True)
        yield MaterializeResult(
            metadata={
                "release_id": outcome.release_id,
                "path": MetadataValue.path(str(outcome.release_dir)),
                "held_back": MetadataValue.json(outcome.held_back),
                "quality_report": MetadataValue.path(str(outcome.release_dir / "quality_report.html")),
            }
        )

    return release
