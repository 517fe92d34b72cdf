"""The release asset: write-audit-publish of the marts the run built, gated per mart.

Belongs here: the `release/current` asset and its `gate_<mart>` checks. The work is
`publish.publisher.publish_release`.
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.assets.warehouse import last_build_dir
from publish.publisher import publish_release

RELEASE_KEY = AssetKey(["release", "current"])


def release_asset(marts: list[AssetKey], exporters: dict | None = None) -> AssetsDefinition:
    """`exporters`: extra parts of a release written by downstream layers (see publish.publisher.Exporter)."""
    release_key = RELEASE_KEY
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
            dbt_manifest=build / "manifest.json",
            dbt_run_results=build / "run_results.json",
            exporters=exporters,
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
