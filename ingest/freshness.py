"""Whether each feed arrives often enough: the age of its current version against its registry cadence.

Belongs here: `MAX_AGE` (cadence plus a grace period for publication slippage) and `feed_freshness`, used by
the Dagster freshness checks and the release manifest. Reads the raw zone only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.registry import FeedSpec
from core.settings import Settings, get_settings
from ingest.land import FeedStore

# How old a feed's current version may be before the feed is flagged stale: the cadence plus a grace period
# for publication slippage. `adhoc` feeds are never flagged.
MAX_AGE: dict[str, timedelta | None] = {
    "daily": timedelta(days=2),
    "weekly": timedelta(days=9),
    "monthly": timedelta(days=38),
    "quarterly": timedelta(days=100),
    "annual": timedelta(days=400),
    "adhoc": None,
}


def feed_freshness(feed: FeedSpec, settings: Settings | None = None, now: datetime | None = None) -> dict:
    """Is the feed's current version younger than its cadence allows? For checks and the manifest.

    `version_age_days` counts from the retrieval of the version the warehouse reads (a re-fetch of identical
    bytes does not make it younger: an unchanged source is what "stale" means). `last_checked_at` is the last
    ingest attempt that reached the source (landed or unchanged).
    """
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    store = FeedStore(settings.feed_dir(feed.id), feed.id)
    cur = store.current_info()
    attempts = store.read_log()
    checked = [a for a in attempts if a.get("status") in ("landed", "unchanged")]
    last = attempts[-1] if attempts else {}
    max_age = MAX_AGE.get(feed.cadence)
    out = {
        "cadence": feed.cadence,
        "max_age_days": max_age.days if max_age else None,
        "retrieved_at": cur.retrieved_at if cur else None,
        "version_age_days": None,
        "last_checked_at": checked[-1].get("finished_at") if checked else None,
        "last_ingest_status": last.get("status", "never_ingested"),
        "is_overdue": False,
        "reason": None,
    }
    if cur is None:
        out.update(is_overdue=True, reason="no version has ever landed")
        return out
    retrieved = datetime.fromisoformat(cur.retrieved_at)
    if retrieved.tzinfo is None:
        retrieved = retrieved.replace(tzinfo=UTC)
    age = now - retrieved
    out["version_age_days"] = round(age.total_seconds() / 86400, 2)
    if max_age is not None and age > max_age:
        out.update(
            is_overdue=True,
            reason=(
                f"current version retrieved {cur.retrieved_at} is {age.days} days old; a {feed.cadence} feed "
                f"should have a new version within {max_age.days} days"
            ),
        )
    return out
