"""Restricted-zone assets: encrypted deliveries landed, the zone's disclosure-controlled export, the cleared release.

Belongs here: asset definitions around `restricted.pickup`, `restricted.export` and `restricted.cleared`, and
what each reports. Messages pass through `restricted.keys.redact`; no value of a record ever reaches Dagster.
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from core.settings import get_settings
from orchestration.assets.feeds import CONTRACT_CHECK
from restricted.cleared import publish_cleared_release
from restricted.export import build_restricted_aggregates
from restricted.keys import RestrictedError, redact
from restricted.pickup import ingest_restricted
from restricted.zone import Zone

RESTRICTED_INGEST_KEY = AssetKey(["restricted", "aps-personal-wellbeing-microdata"])
RESTRICTED_EXPORT_KEY = AssetKey(["restricted", "m8_wellbeing_shares_export"])
CLEARED_RELEASE_KEY = AssetKey(["restricted", "cleared_release"])


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
    settings = get_settings()
    if not Zone(settings).cleared_export.is_dir():
        return MaterializeResult(metadata={"status": "no_export"})
    path = publish_cleared_release(settings)
    return MaterializeResult(metadata={"status": "published", "path": MetadataValue.path(str(path))})
