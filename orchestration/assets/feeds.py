"""Feed assets: one Dagster asset per registered open feed (the raw zone), and the analysts' custom areas.

Belongs here: the asset definitions and what each reports (metadata, the `contract` asset check). The work is
`ingest.pipeline.ingest_feed`. Failure semantics: a feed whose new version breaks its contract keeps serving
its previous version (metadata `ingest_status=failed`, the `contract` check fails with the message); an
indicator feed with no good version at all stages as empty (the marts that need it fail their completeness
tests and are withheld); a reference feed with no good version at all fails the step (nothing can be built
without it).
"""

from concurrent.futures import ThreadPoolExecutor, as_completed

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from core.registry import FeedSpec, Registry
from core.settings import get_settings
from ingest.custom_areas import CustomAreaError, land_custom_areas
from ingest.land import FeedStore
from ingest.pipeline import IngestFailed, ingest_feed
from quality.feed_checks import check_version

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
    feeds = {raw_key(f): f for f in registry.open_feeds}

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
        _import_before_threads()
        with ThreadPoolExecutor(max_workers=INGEST_THREADS) as pool:
            futures = {
                pool.submit(ingest_feed, f, settings, raise_on_failure=False, accept=check_version): f
                for f in selected
            }
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
                serving_sha = (serving.sha256 if serving else res.sha256) or ""
                yield MaterializeResult(
                    asset_key=raw_key(feed),
                    data_version=DataVersion(serving_sha) if serving_sha else None,
                    metadata={
                        "ingest_status": res.status,
                        "serving_sha256": serving_sha,
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


def _import_before_threads() -> None:
    """Load lazily imported modules once, before the ingest threads start: two threads importing the same
    package at once can see it half-initialised (seen once as `partially initialized module
    'sqlalchemy.orm.exc'`)."""
    import ibis
    import sqlalchemy.orm  # noqa: F401  (Dagster's storage and Great Expectations use it)

    ibis.duckdb  # noqa: B018  (Ibis loads a backend on first attribute access)
