"""Asset checks that are not part of a materialization: each feed's freshness against its cadence.

Belongs here: `feed_freshness_checks`, one WARN check per raw feed asset, evaluated from the raw zone by
`ingest.freshness.feed_freshness` (no data is fetched).
"""

from collections.abc import Callable

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    multi_asset_check,
)

from core.settings import Settings
from ingest.freshness import feed_freshness

FRESHNESS_CHECK = "freshness"


def feed_freshness_checks(by_key: dict, settings_fn: Callable[[], Settings]):
    @multi_asset_check(
        name="feed_freshness_checks",
        specs=[
            AssetCheckSpec(
                FRESHNESS_CHECK,
                asset=k,
                blocking=False,
                description=f"The current version is younger than the `{feed.cadence}` cadence allows "
                "(registry cadence + grace; see ingest.freshness.MAX_AGE).",
            )
            for k, feed in by_key.items()
        ],
        can_subset=True,
    )
    def _checks(context: AssetCheckExecutionContext):
        settings = settings_fn()
        for check_key in sorted(
            context.selected_asset_check_keys, key=lambda c: c.asset_key.to_user_string()
        ):
            feed = by_key[check_key.asset_key]
            fr = feed_freshness(feed, settings)
            yield AssetCheckResult(
                asset_key=check_key.asset_key,
                check_name=FRESHNESS_CHECK,
                passed=not fr["is_overdue"],
                severity=AssetCheckSeverity.WARN,
                description=fr["reason"] or f"fresh ({feed.cadence})",
                metadata={
                    "cadence": fr["cadence"],
                    "max_age_days": fr["max_age_days"] if fr["max_age_days"] is not None else -1,
                    "version_age_days": fr["version_age_days"] if fr["version_age_days"] is not None else -1,
                    "retrieved_at": fr["retrieved_at"] or "",
                    "last_checked_at": fr["last_checked_at"] or "",
                    "last_ingest_status": fr["last_ingest_status"],
                    "reason": fr["reason"] or "",
                },
            )

    return _checks
