"""One feed, end to end through ingest: fetch → parse → contract → land, with an ingest-log line either way.

Belongs here: the sequence and its outcome (`landed`, `unchanged` or `failed`). The steps themselves live in
`fetch`, `parse`, `contract` and `land`. Dagster's per-feed assets and the CLI both call `ingest_feed`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from core.registry import FeedSpec
from core.settings import Settings, get_settings
from ingest.contract import ContractError, validate
from ingest.fetch import Fetched, FetchError, fetch
from ingest.land import FeedStore, VersionInfo
from ingest.parse import ParseError, parse


class IngestFailed(RuntimeError):
    """A feed failed to ingest; nothing of the new version landed. The previous version stays current."""


@dataclass(frozen=True)
class IngestResult:
    feed_id: str
    status: str  # landed | unchanged | failed
    url: str
    via: str | None
    sha256: str | None
    rows: int | None
    bytes: int | None
    raw_file: str | None
    message: str
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def ingest_feed(
    feed: FeedSpec,
    settings: Settings | None = None,
    *,
    raise_on_failure: bool = True,
    source: Callable[[], Fetched] | None = None,
) -> IngestResult:
    """Ingest one feed. `source` supplies the bytes: by default the mirror or the network (`ingest.fetch`);
    a dropped landing file for manual deliveries (`ingest.landing`)."""
    settings = settings or get_settings()
    store = FeedStore(settings.feed_dir(feed.id), feed.id)
    started = time.monotonic()
    current = store.current_info()
    log = {"feed_id": feed.id, "url": feed.url, "started_at": datetime.now(UTC).isoformat()}

    def finish(status: str, message: str, **extra) -> IngestResult:
        result = IngestResult(
            feed_id=feed.id,
            status=status,
            url=feed.url or "",
            via=extra.get("via"),
            sha256=extra.get("sha256"),
            rows=extra.get("rows"),
            bytes=extra.get("bytes"),
            raw_file=extra.get("raw_file"),
            message=message,
            seconds=round(time.monotonic() - started, 3),
        )
        store.append_log(
            {
                **log,
                **extra,
                "contract_result": extra.get("contract_result"),
                "status": status,
                "message": message,
                "finished_at": datetime.now(UTC).isoformat(),
            }
        )
        if status == "failed" and raise_on_failure:
            raise IngestFailed(message)
        return result

    state = store.http_state() if current else {}
    if source is None:

        def source() -> Fetched:
            return fetch(
                feed, settings.mirror, etag=state.get("etag"), last_modified=state.get("last_modified")
            )

    try:
        got = source()
    except FetchError as exc:
        return finish("failed", str(exc), contract_result="not_run")
    common = {
        "via": got.via,
        "location": got.location,
        "retrieved_at": got.retrieved_at.isoformat(),
        "etag": got.etag,
        "last_modified": got.last_modified,
        "attempts": got.attempts,
    }
    if got.not_modified and current:
        return finish(
            "unchanged",
            "HTTP 304 Not Modified",
            **common,
            sha256=current.sha256,
            rows=current.rows,
            bytes=current.bytes,
            raw_file=current.raw_file,
            contract_result="not_run",
        )
    sha = got.sha256
    if current and current.sha256 == sha:
        return finish(
            "unchanged",
            "same sha256 as the current version; not re-landed",
            **common,
            sha256=sha,
            rows=current.rows,
            bytes=got.n_bytes,
            raw_file=current.raw_file,
            contract_result="not_run",
        )
    try:
        df = parse(feed, got.body, got.location)
        valid = validate(feed, df, got.location)
    except (ParseError, ContractError) as exc:
        return finish(
            "failed",
            str(exc),
            **common,
            sha256=sha,
            bytes=got.n_bytes,
            contract_result="failed" if isinstance(exc, ContractError) else "unparseable",
        )
    valid = valid.reset_index(names="_source_line")
    valid.insert(0, "_feed_id", feed.id)
    valid["_source_sha256"] = sha
    info = VersionInfo(
        feed_id=feed.id,
        sha256=sha,
        rows=len(valid),
        bytes=got.n_bytes,
        url=feed.url or "",
        location=got.location,
        via=got.via,
        retrieved_at=got.retrieved_at.isoformat(),
        etag=got.etag,
        last_modified=got.last_modified,
        raw_file="",
    )
    path = store.land(valid, info)
    if got.via == "http":
        store.save_http_state(got.etag, got.last_modified)
    return finish(
        "landed",
        f"landed {len(valid)} rows",
        **common,
        sha256=sha,
        rows=len(valid),
        bytes=got.n_bytes,
        raw_file=str(path),
        contract_result="passed",
    )
