"""One feed, end to end through ingest: fetch -> parse -> contract -> (accept) -> land, with a log line either way.

Belongs here: the sequence and its outcome (`landed`, `unchanged` or `failed`). The steps themselves live in
`fetch`, `parse`, `contract` and `land`; the parse and the checks run in one in-memory DuckDB per feed
(memory-limited, streaming over the file), so nothing of the file passes through Python row by row.

`accept` is the hook for checks that judge a version against the feed's history (the quality layer's drift and
row-count checks; injected by orchestration so that ingest never imports quality): it gets the feed, the candidate
version (a Parquet file the DuckDB connection can read) and the version currently serving, and returns the
reasons to reject it (empty = accept). A rejected version is kept in the raw zone but never made current; the
previous version keeps serving. Dagster's per-feed assets, the CLI and the landing sensor all call `ingest_feed`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from core.registry import FeedSpec
from core.settings import Settings, get_settings
from ingest.contract import ContractError, validate
from ingest.fetch import Fetched, FetchError, fetch
from ingest.land import FeedStore, VersionInfo
from ingest.parse import ParseError, field_count_problems, literal, raw_cells, write_parsed


class IngestFailed(RuntimeError):
    """A feed failed to ingest; nothing of the new version became current. The previous version stays current."""


@dataclass(frozen=True)
class Candidate:
    """A parsed version that passed its contract, offered to `accept` before it becomes current."""

    feed: FeedSpec
    path: Path  # Parquet: the typed table with _source_line
    sha256: str
    rows: int
    con: duckdb.DuckDBPyConnection  # an in-memory DuckDB that can read `path` and the current version
    current: VersionInfo | None


@dataclass(frozen=True)
class Verdict:
    """What an `accept` hook says of a candidate: the reasons to reject it (none: accept) and the figures it
    judged (kept in the ingest log)."""

    reasons: list[str]
    checks: list[dict] = field(default_factory=list)


Accept = Callable[[Candidate], Verdict]


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
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def duckdb_connection(settings: Settings) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for one feed: memory-limited (spilling to the feed's folder if it must), no progress bar."""
    config = {"memory_limit": settings.duckdb_memory_limit}
    if settings.duckdb_threads:
        config["threads"] = settings.duckdb_threads
    con = duckdb.connect(config=config)
    con.execute("SET enable_progress_bar = false")
    return con


def check_file(feed: FeedSpec, path: Path, where: str | None = None) -> int:
    """Parse and contract-check a local file as `feed` without landing anything; returns its data rows.
    Raises ParseError / ContractError (onboarding uses it to prove a scaffolded stanza accepts its sample)."""
    import tempfile

    where = where or str(path)
    with tempfile.TemporaryDirectory(prefix="levelup-check-") as tmp:
        con = duckdb_connection(get_settings())
        try:
            out = Path(tmp) / "parsed.parquet"
            parsed = write_parsed(feed, Path(path), where, con, out)
            con.execute(f"create view parsed as select * from read_parquet({literal(str(out))})")
            try:
                validate(feed, con, "parsed", parsed.columns, parsed.rows, where,
                         raw_lines=lambda lines, cols: raw_cells(feed, Path(path), lines, cols))  # fmt: skip
            except ContractError as exc:
                raise field_count_problems(feed, Path(path), where) or exc from None
            return parsed.rows
        finally:
            con.close()


def ingest_feed(
    feed: FeedSpec,
    settings: Settings | None = None,
    *,
    raise_on_failure: bool = True,
    source: Callable[[], Fetched] | None = None,
    accept: Accept | None = None,
) -> IngestResult:
    """Ingest one feed. `source` supplies the bytes: by default the mirror or the network (`ingest.fetch`);
    a dropped landing file for manual deliveries (`ingest.landing`)."""
    settings = settings or get_settings()
    store = FeedStore(settings.feed_dir(feed.id), feed.id)
    started = time.monotonic()
    current = store.current_info()
    log = {"feed_id": feed.id, "url": feed.url, "started_at": datetime.now(UTC).isoformat()}

    def finish(status: str, message: str, notes: list[str] | None = None, **extra) -> IngestResult:
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
            notes=notes or [],
        )
        store.append_log(
            {
                **log,
                **extra,
                "contract_result": extra.get("contract_result"),
                "status": status,
                "message": message,
                "notes": notes or [],
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
            "unchanged", "HTTP 304 Not Modified", **common, sha256=current.sha256, rows=current.rows,
            bytes=current.bytes, raw_file=current.raw_file, contract_result="not_run",
        )  # fmt: skip
    sha = got.sha256
    try:
        if current and current.sha256 == sha:
            return finish(
                "unchanged", "same sha256 as the current version; not re-landed", **common, sha256=sha,
                rows=current.rows, bytes=got.n_bytes, raw_file=current.raw_file, contract_result="not_run",
            )  # fmt: skip
        rejected = store.rejection(sha)
        if rejected:
            return finish(
                "failed",
                f"feed {feed.id!r}: {got.location} is a version rejected earlier (sha256 {sha[:12]}); the previous "
                "version keeps serving. Reasons:\n  - " + "\n  - ".join(rejected["reasons"]),
                **common, sha256=sha, bytes=got.n_bytes, contract_result="rejected",
            )  # fmt: skip
        return _parse_check_land(feed, settings, store, got, current, accept, finish, common)
    finally:
        got.discard()


def _parse_check_land(feed, settings, store, got, current, accept, finish, common) -> IngestResult:
    sha = got.sha256
    candidate = store.candidate_path(sha)
    con = duckdb_connection(settings)
    try:
        try:
            stamp = {"_feed_id": feed.id, "_source_sha256": sha}
            parsed = write_parsed(feed, got.path, got.location, con, candidate, stamp=stamp)
            con.execute(f"create view parsed as select * from read_parquet({literal(str(candidate))})")
            checks = validate(
                feed, con, "parsed", parsed.columns, parsed.rows, got.location,
                raw_lines=lambda lines, cols: raw_cells(feed, got.path, lines, cols),
            )  # fmt: skip
        except (ParseError, ContractError) as exc:
            if isinstance(exc, ContractError):
                exc = field_count_problems(feed, got.path, got.location) or exc
            return finish(
                "failed", str(exc), **common, sha256=sha, bytes=got.n_bytes,
                contract_result="failed" if isinstance(exc, ContractError) else "unparseable",
            )  # fmt: skip
        verdict = (
            accept(Candidate(feed, candidate, sha, parsed.rows, con, current)) if accept else Verdict([])
        )
        reasons = verdict.reasons
        info = VersionInfo(
            feed_id=feed.id, sha256=sha, rows=parsed.rows, bytes=got.n_bytes, url=feed.url or "",
            location=got.location, via=got.via, retrieved_at=got.retrieved_at.isoformat(), etag=got.etag,
            last_modified=got.last_modified, raw_file="",
        )  # fmt: skip
        path = store.land_candidate(candidate, info, make_current=not reasons)
        if reasons:
            store.reject(info, reasons)
            return finish(
                "failed",
                f"feed {feed.id!r}: {got.location} passed its contract but was rejected by its quality checks; "
                "the previous version keeps serving:\n  - " + "\n  - ".join(reasons),
                parsed.notes, **common, sha256=sha, rows=parsed.rows, bytes=got.n_bytes, raw_file=str(path),
                contract_result="rejected", quality_checks=verdict.checks,
            )  # fmt: skip
        if got.via == "http":
            store.save_http_state(got.etag, got.last_modified)
        return finish(
            "landed", f"landed {parsed.rows} rows ({checks} checks passed)", parsed.notes, **common, sha256=sha,
            rows=parsed.rows, bytes=got.n_bytes, raw_file=str(path), contract_result="passed",
            quality_checks=verdict.checks,
        )  # fmt: skip
    finally:
        con.close()
        candidate.unlink(missing_ok=True)
