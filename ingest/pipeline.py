"""One feed, end to end through ingest: fetch -> parse -> contract -> (accept) -> land, with a log line either way.

Belongs here: the sequence and its outcome (`landed`, `unchanged` or `failed`). The steps themselves live in
`fetch`, `parse`, `contract` and `land`; the parse and the checks run in one in-memory DuckDB per feed
(memory-limited, streaming over the file), so nothing of the file passes through Python row by row.

A CSV feed's version is the fetched file itself (copied or moved beside the feed's other versions, then checked
through a typed view over it, `ingest.parse.csv_view`); an XLSX / JSON feed's version is the Parquet table its
parse writes.

`accept` is the hook for checks that judge a version against the feed's history (the quality layer's drift and
row-count checks; injected by orchestration so that ingest never imports quality): it gets the feed, the candidate
version (a typed relation on the candidate's DuckDB connection, `Candidate.relation`, and the same for the version
currently serving, `Candidate.current_relation`), and returns the
reasons to reject it (empty = accept). A rejected version is kept in the raw zone but never made current; the
previous version keeps serving. Dagster's per-feed assets, the CLI and the landing sensor all call `ingest_feed`.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from core.fsio import sha256_file
from core.registry import FeedSpec
from core.settings import Settings, get_settings
from ingest.changes import remember_mirror_file, remembered_state
from ingest.contract import ContractError, validate
from ingest.fetch import Fetched, FetchError, fetch, mirror_file, read_mirror
from ingest.land import FeedStore, VersionInfo
from ingest.parse import (
    DATA_COLUMNS,
    ParseError,
    csv_view,
    explain_csv_failure,
    field_count_problems,
    literal,
    raw_cells,
    scan_view,
    write_parsed,
)


class IngestFailed(RuntimeError):
    """A feed failed to ingest; nothing of the new version became current. The previous version stays current."""


@dataclass(frozen=True)
class Candidate:
    """A parsed version that passed its contract, offered to `accept` before it becomes current."""

    feed: FeedSpec
    path: Path  # the candidate version's file (the source CSV, or the parsed Parquet)
    sha256: str
    rows: int
    con: (
        duckdb.DuckDBPyConnection
    )  # an in-memory DuckDB on which `relation` (and `current_relation`) are views
    current: VersionInfo | None
    relation: str = "parsed"  # the candidate, typed and line-numbered
    current_relation: str | None = None  # the version serving now, typed the same way (None: nothing serving)


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
    con = duckdb.connect(config=settings.duckdb_config)
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
            rows, _, _ = _parse_and_validate(
                feed, Path(path), where, con, Path(tmp) / "parsed.parquet", stamp=None
            )
            return rows
        finally:
            con.close()


def version_view(feed: FeedSpec, info: VersionInfo, con: duckdb.DuckDBPyConnection, name: str) -> str:
    """A landed version as the typed view `name` on `con` (how `accept` hooks read the version serving now).
    Returns the relation to scan when no line number is needed (cheaper for a CSV: see `scan_view`)."""
    path = Path(info.raw_file)
    if path.suffix == ".csv":
        csv_view(
            feed, path, info.location, con, name, stamp={"_feed_id": feed.id, "_source_sha256": info.sha256}
        )
        return scan_view(name)
    con.execute(f"create or replace temp view {name} as select * from read_parquet({literal(str(path))})")
    return name


def landed_table(feed: FeedSpec, settings: Settings | None = None):
    """The feed's current version, typed as the warehouse reads it, as a pyarrow Table (None: nothing landed).
    For scripts and tests; the warehouse reads the landed file through `ingest.parse.dbt_source_relation`."""
    settings = settings or get_settings()
    info = FeedStore(settings.feed_dir(feed.id), feed.id).current_info()
    if info is None:
        return None
    con = duckdb_connection(settings)
    try:
        version_view(feed, info, con, "landed")
        return con.sql(f"select {DATA_COLUMNS} from landed").to_arrow_table()
    finally:
        con.close()


def _parse_and_validate(
    feed: FeedSpec,
    path: Path,
    where: str,
    con: duckdb.DuckDBPyConnection,
    parquet_out: Path,
    *,
    stamp: dict[str, str] | None,
) -> tuple[int, int, list[str]]:
    """The typed view `parsed` on `con` over `path` (CSV: the file itself; otherwise the Parquet `parquet_out` the
    parse writes), checked against the contract. Returns (rows, checks, parse notes); raises ParseError / ContractError naming
    the lines. A CSV row that the strict reader cannot read surfaces as a duckdb.Error during the contract's scan:
    the file is then read again collecting the bad rows, to say which they are."""
    scan = None
    if feed.format == "csv":
        parsed = csv_view(feed, path, where, con, "parsed", stamp=stamp)
        scan = scan_view("parsed")
    else:
        parsed = write_parsed(feed, path, where, con, parquet_out, stamp=stamp)
        con.execute(
            f"create or replace temp view parsed as select * from read_parquet({literal(str(parquet_out))})"
        )
    try:
        rows, checks = validate(
            feed, con, "parsed", parsed.columns, parsed.rows, where,
            raw_lines=lambda lines, cols: raw_cells(feed, path, lines, cols), scan=scan,
        )  # fmt: skip
        return rows, checks, parsed.notes
    except ContractError as exc:
        raise field_count_problems(feed, path, where) or exc from None
    except duckdb.Error as exc:
        explained = explain_csv_failure(feed, path, where) if feed.format == "csv" else None
        raise explained or ParseError(
            f"feed {feed.id!r}: {where}: could not be read as {feed.format.upper()}: {exc}"
        ) from None


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
    if not feed.enabled:  # nothing is fetched or written for a feed the registry switched off
        message = (
            f"feed {feed.id!r} is disabled in the registry: {feed.disabled_reason} "
            "(set `enabled: true` in its stanza to ingest it)"
        )
        if raise_on_failure:
            raise IngestFailed(message)
        return IngestResult(feed.id, "failed", feed.url or "", None, None, None, None, None, message, 0.0)
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
        if mirror_path is not None and extra.get("sha256") and read_stat:
            now = mirror_path.stat()
            if (now.st_size, now.st_mtime_ns) == read_stat[0]:  # the file did not move while it was read
                remember_mirror_file(settings, feed, mirror_path, extra["sha256"])
        if status == "failed" and raise_on_failure:
            raise IngestFailed(message)
        return result

    state = store.http_state() if current else {}
    mirror_path, read_stat = None, []
    if source is None and settings.mirror is not None:
        try:
            mirror_path = mirror_file(feed, settings.mirror)
        except FetchError:
            mirror_path = None  # read_mirror below raises it again, inside the attempt (a failed feed)

        def source() -> Fetched:
            if mirror_path is not None and mirror_path.is_file():
                st = mirror_path.stat()
                read_stat.append((st.st_size, st.st_mtime_ns))
            # unchanged since last seen (size and mtime): no read at all; otherwise one read that hashes and, for
            # a CSV feed, copies the file beside its versions (the copy is what gets checked and landed)
            seen = remembered_state(settings, feed)
            unchanged = seen if current is not None and seen.get("sha256") == current.sha256 else None
            return read_mirror(feed, settings.mirror, unchanged_if=unchanged, defer_hash=feed.format == "csv")

    elif source is None:

        def source() -> Fetched:
            return fetch(feed, None, etag=state.get("etag"), last_modified=state.get("last_modified"))

    try:
        got = source()
    except FetchError as exc:
        return finish("failed", str(exc), contract_result="not_run")
    fetched_s = round(time.monotonic() - started, 3)
    common = {
        "seconds_by_step": {"fetch": fetched_s},
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

    def known_version(sha: str) -> IngestResult | None:
        """The outcome when `sha` is the version serving now (unchanged) or one rejected before; else None."""
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
        return None

    try:
        if got.sha256 is not None and (known := known_version(got.sha256)) is not None:
            return known
        return _parse_check_land(feed, settings, store, got, current, accept, finish, common, known_version)
    finally:
        got.discard()


def _parse_check_land(
    feed, settings, store, got, current, accept, finish, common, known_version
) -> IngestResult:
    """Parse, check and land `got`. A mirror CSV comes with its sha256 not yet known (`got.sha256` None): it is
    hashed and copied beside the feed's versions in two threads while DuckDB checks it, so the three reads of the
    file overlap; the sha256 then decides as usual (unchanged, rejected before, or a new version to land)."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"ingest-{feed.id}") as pool:
        return _parse_check_land_in(
            feed, settings, store, got, current, accept, finish, common, known_version, pool
        )


def _parse_check_land_in(feed, settings, store, got, current, accept, finish, common, known_version, pool):
    sha = got.sha256
    steps = common["seconds_by_step"]
    clock = time.monotonic()

    def step(name: str) -> None:  # the time each step took, kept in the ingest log
        nonlocal clock
        now = time.monotonic()
        steps[name] = round(now - clock, 3)
        clock = now

    is_csv = feed.format == "csv"
    deferred = sha is None
    candidate = store.candidate_path(sha or f"{time.monotonic_ns():x}", ".csv" if is_csv else ".parquet")
    source = candidate if is_csv else got.path
    if is_csv:  # the version is the file itself: move a download into place, copy a mirror or landing file
        if got.is_temporary:
            got.path.replace(candidate)
            got = replace(got, path=candidate, is_temporary=False)
        elif deferred:
            before = got.path.stat()
            hashed = pool.submit(sha256_file, got.path)
            copied = pool.submit(shutil.copyfile, got.path, candidate)
            source = got.path  # checked while it is hashed and copied

            def settle() -> str:
                """The sha256, once the copy is complete and the file is known not to have moved meanwhile."""
                copied.result()
                digest = hashed.result()
                after = got.path.stat()
                if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                    raise FetchError(f"feed {feed.id!r}: {got.location} changed while it was read; run again")
                return digest
        else:
            shutil.copyfile(got.path, candidate)
    step("copy")
    con = duckdb_connection(settings)
    try:
        try:
            stamp = {"_feed_id": feed.id, "_source_sha256": sha or ""}
            rows, checks, notes = _parse_and_validate(feed, source, got.location, con, candidate, stamp=stamp)
            step("contract")
        except (ParseError, ContractError) as exc:
            if deferred:
                try:
                    sha = settle()
                except FetchError as moved:
                    return finish(
                        "failed", str(moved), **common, bytes=got.n_bytes, contract_result="not_run"
                    )
                if (known := known_version(sha)) is not None:
                    return known
            return finish(
                "failed", str(exc), **common, sha256=sha, bytes=got.n_bytes,
                contract_result="failed" if isinstance(exc, ContractError) else "unparseable",
            )  # fmt: skip
        if deferred:
            try:
                sha = settle()
            except FetchError as moved:
                return finish("failed", str(moved), **common, bytes=got.n_bytes, contract_result="not_run")
            step("hash and copy (beyond the contract's time)")
            if (known := known_version(sha)) is not None:
                return known
            got = replace(got, sha256=sha)
        current_relation = version_view(feed, current, con, "serving") if current is not None else None
        relation = scan_view("parsed") if is_csv else "parsed"
        verdict = (
            accept(Candidate(feed, candidate, sha, rows, con, current, relation, current_relation))
            if accept
            else Verdict([])
        )
        reasons = verdict.reasons
        step("history checks")
        info = VersionInfo(
            feed_id=feed.id, sha256=sha, rows=rows, bytes=got.n_bytes, url=feed.url or "",
            location=got.location, via=got.via, retrieved_at=got.retrieved_at.isoformat(), etag=got.etag,
            last_modified=got.last_modified, raw_file="",
        )  # fmt: skip
        path = store.land_candidate(candidate, info, make_current=not reasons)
        step("land")
        if reasons:
            store.reject(info, reasons)
            return finish(
                "failed",
                f"feed {feed.id!r}: {got.location} passed its contract but was rejected by its quality checks; "
                "the previous version keeps serving:\n  - " + "\n  - ".join(reasons),
                notes, **common, sha256=sha, rows=rows, bytes=got.n_bytes, raw_file=str(path),
                contract_result="rejected", quality_checks=verdict.checks,
            )  # fmt: skip
        if got.via == "http":
            store.save_http_state(got.etag, got.last_modified)
        return finish(
            "landed", f"landed {rows} rows ({checks} checks passed)", notes, **common, sha256=sha,
            rows=rows, bytes=got.n_bytes, raw_file=str(path), contract_result="passed",
            quality_checks=verdict.checks,
        )  # fmt: skip
    finally:
        con.close()
        if deferred and is_csv:
            wait([hashed, copied])  # never leave a copy finishing behind the clean-up
        candidate.unlink(missing_ok=True)
