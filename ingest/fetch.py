"""Getting a feed's bytes onto local disk: from its public URL over HTTP, or from the mirror directory.

Belongs here: the HTTP client (timeouts, retries with exponential backoff, conditional GET with ETag /
Last-Modified, the body streamed to a temporary file while its sha256 is computed, so a large file never sits in
memory), the mirror lookup (`$LEVELUP_MIRROR/<mirror_path>`, confined to the mirror), body sanity checks that
apply before parsing (empty body, an HTML error page served instead of data, a truncated download) and the
sha256. Parsing and contract checks live in `ingest.parse` and `ingest.contract`.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from core.fsio import PathEscapeError, confine
from core.registry import FeedSpec
from core.settings import get_settings

USER_AGENT = (
    "levelup-data-platform/0.1 (+https://www.gov.uk/government/publications/levelling-up-the-united-kingdom)"
)
HEAD_BYTES = 512
CHUNK = 1 << 20


class FetchError(RuntimeError):
    """The feed could not be fetched; the message names the feed, the address and the reason."""


class TransientHTTPError(FetchError):
    """A response worth retrying (5xx, 429)."""


@dataclass(frozen=True)
class Fetched:
    feed_id: str
    url: str  # the public address (recorded even when read through the mirror)
    location: str  # where the bytes actually came from: the URL or the local file path
    via: str  # "http", "mirror" or "landing"
    retrieved_at: datetime
    path: Path | None  # the local file holding the bytes; None when the server answered 304 Not Modified
    sha256: str | None = None
    n_bytes: int = 0
    etag: str | None = None
    last_modified: str | None = None
    attempts: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    is_temporary: bool = False  # path is a download the caller deletes when done

    @property
    def not_modified(self) -> bool:
        return self.path is None

    def discard(self) -> None:
        if self.is_temporary and self.path is not None:
            self.path.unlink(missing_ok=True)


def check_head(feed: FeedSpec, head: bytes, size: int, where: str, content_type: str | None = None) -> None:
    """Reject bodies that are clearly not the data: empty, or an HTML page (error pages, login walls)."""
    if size == 0 or (size <= HEAD_BYTES and not head.strip()):
        raise FetchError(f"feed {feed.id!r}: {where} returned an empty body")
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    looks_html = start.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))
    if feed.format != "xlsx" and (looks_html or (content_type or "").startswith("text/html")):
        raise FetchError(
            f"feed {feed.id!r}: {where} returned an HTML page instead of {feed.format.upper()} "
            f"(starts {head[:60]!r}); the source is probably serving an error page"
        )


def hash_file(path: Path) -> tuple[str, int, bytes]:
    """sha256, size and the first bytes of a local file, read in chunks."""
    h, size, head = hashlib.sha256(), 0, b""
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            if not head:
                head = block[:HEAD_BYTES]
            h.update(block)
            size += len(block)
    return h.hexdigest(), size, head


def read_file(feed: FeedSpec, path: Path, via: str) -> Fetched:
    """A local file (a mirror copy or a landing-zone drop) as fetched bytes, with the same sanity checks."""
    path = Path(path)
    sha, size, head = hash_file(path)
    check_head(feed, head, size, f"{via} file {path}")
    return Fetched(
        feed_id=feed.id,
        url=feed.url or "",
        location=str(path),
        via=via,
        retrieved_at=datetime.now(UTC),
        path=path,
        sha256=sha,
        n_bytes=size,
    )


def mirror_file(feed: FeedSpec, mirror: Path, relative: str | None = None) -> Path:
    """The feed's file in the mirror; its registry path must stay inside the mirror (no absolute path, no `..`)."""
    relative = relative if relative is not None else feed.mirror_path
    try:
        return confine(mirror, relative or "", f"feed {feed.id!r}: mirror_path")
    except PathEscapeError as exc:
        raise FetchError(str(exc)) from None


def read_mirror(
    feed: FeedSpec,
    mirror: Path,
    *,
    copy_to: Path | None = None,
    unchanged_if: dict | None = None,
    defer_hash: bool = False,
) -> Fetched:
    """The feed's mirror file as fetched bytes.

    `unchanged_if`: what was seen of the file before (size, mtime_ns, sha256; `ingest.changes` keeps it) and is
    still current: when the file's size and mtime have not moved, that sha256 is returned without reading it.
    `copy_to`: a folder to copy the file into while hashing it (one read for both; the copy becomes the landed
    version, so the bytes checked and landed are the bytes hashed); otherwise the file is only hashed.
    `defer_hash`: neither: the sha256 is left to the caller (None), which hashes and copies the file while it
    checks it (`ingest.pipeline`), after the first bytes are checked here."""
    path = mirror_file(feed, mirror)
    if not feed.mirror_path or not path.is_file():
        raise FetchError(
            f"feed {feed.id!r}: mirror file {path} not found (mirror_path={feed.mirror_path!r}, "
            f"LEVELUP_MIRROR={mirror})"
        )
    st = path.stat()
    seen = unchanged_if or {}
    if seen.get("sha256") and seen.get("size") == st.st_size and seen.get("mtime_ns") == st.st_mtime_ns:
        return Fetched(
            feed_id=feed.id, url=feed.url or "", location=str(path), via="mirror", retrieved_at=datetime.now(UTC),
            path=path, sha256=seen["sha256"], n_bytes=st.st_size,
        )  # fmt: skip
    if defer_hash:
        with open(path, "rb") as fh:
            check_head(feed, fh.read(HEAD_BYTES), st.st_size, f"mirror file {path}")
        return Fetched(
            feed_id=feed.id, url=feed.url or "", location=str(path), via="mirror", retrieved_at=datetime.now(UTC),
            path=path, sha256=None, n_bytes=st.st_size,
        )  # fmt: skip
    if copy_to is None:
        return read_file(feed, path, "mirror")
    copy_to.mkdir(parents=True, exist_ok=True)
    tmp = copy_to / f"mirror-{os.getpid()}-{time.monotonic_ns()}.part"
    h, size, head = hashlib.sha256(), 0, b""
    try:
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            while block := src.read(CHUNK):
                if not head:
                    head = block[:HEAD_BYTES]
                h.update(block)
                dst.write(block)
                size += len(block)
        check_head(feed, head, size, f"mirror file {path}")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Fetched(
        feed_id=feed.id, url=feed.url or "", location=str(path), via="mirror", retrieved_at=datetime.now(UTC),
        path=tmp, sha256=h.hexdigest(), n_bytes=size, is_temporary=True,
    )  # fmt: skip


def _session() -> requests.Session:
    s = requests.Session()
    s.headers["User-Agent"] = USER_AGENT
    return s


def download_dir(feed: FeedSpec) -> Path:
    return get_settings().feed_dir(feed.id) / ".incoming"


def fetch_http(
    feed: FeedSpec,
    etag: str | None = None,
    last_modified: str | None = None,
    *,
    max_attempts: int = 4,
    backoff_s: float | None = None,
    session: requests.Session | None = None,
) -> Fetched:
    """GET the feed's URL with conditional headers, streaming the body to a temporary file in the feed's folder,
    retrying transient failures with exponential backoff."""
    if not feed.url:
        raise FetchError(f"feed {feed.id!r} has no url")
    settings = get_settings()
    backoff = settings.http_backoff if backoff_s is None else backoff_s
    timeouts = (settings.http_connect_timeout, settings.http_read_timeout)
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    sess = session or _session()
    attempts = 0
    target_dir = download_dir(feed)

    def once() -> Fetched:
        nonlocal attempts
        attempts += 1
        try:
            resp = sess.get(feed.url, headers=headers, timeout=timeouts, stream=True)
        except requests.exceptions.ChunkedEncodingError as exc:
            raise requests.exceptions.ConnectionError(f"truncated or broken body: {exc}") from exc
        with resp:
            if resp.status_code == 304:
                return Fetched(
                    feed.id, feed.url, feed.url, "http", datetime.now(UTC), None, None, 0, etag, last_modified,
                    attempts,
                )  # fmt: skip
            if resp.status_code == 429 or resp.status_code >= 500:
                raise TransientHTTPError(f"feed {feed.id!r}: GET {feed.url} answered HTTP {resp.status_code}")
            if resp.status_code != 200:
                raise FetchError(
                    f"feed {feed.id!r}: GET {feed.url} answered HTTP {resp.status_code} {resp.reason}"
                )
            target_dir.mkdir(parents=True, exist_ok=True)
            tmp = target_dir / f"download-{os.getpid()}-{attempts}.part"
            h, size, head = hashlib.sha256(), 0, b""
            try:
                with open(tmp, "wb") as fh:
                    for block in resp.iter_content(CHUNK):
                        if not head:
                            head = block[:HEAD_BYTES]
                        h.update(block)
                        size += len(block)
                        fh.write(block)
            except requests.exceptions.ChunkedEncodingError as exc:
                tmp.unlink(missing_ok=True)
                raise requests.exceptions.ConnectionError(f"truncated or broken body: {exc}") from exc
            declared = resp.headers.get("Content-Length")
            if (
                declared is not None
                and "gzip" not in resp.headers.get("Content-Encoding", "")
                and int(declared) != size
            ):
                tmp.unlink(missing_ok=True)
                raise requests.exceptions.ConnectionError(
                    f"truncated body: Content-Length {declared} but {size} bytes received"
                )
            try:
                check_head(feed, head, size, f"GET {feed.url}", resp.headers.get("Content-Type"))
            except FetchError:
                tmp.unlink(missing_ok=True)
                raise
            return Fetched(
                feed_id=feed.id,
                url=feed.url,
                location=feed.url,
                via="http",
                retrieved_at=datetime.now(UTC),
                path=tmp,
                sha256=h.hexdigest(),
                n_bytes=size,
                etag=resp.headers.get("ETag"),
                last_modified=resp.headers.get("Last-Modified"),
                attempts=attempts,
                headers={
                    k: v for k, v in resp.headers.items() if k.lower() in ("content-type", "content-length")
                },
                is_temporary=True,
            )

    retrying = Retrying(
        stop=stop_after_attempt(max_attempts),
        wait=wait_exponential(multiplier=backoff, max=30),
        retry=retry_if_exception_type(
            (TransientHTTPError, requests.exceptions.ConnectionError, requests.exceptions.Timeout)
        ),
        reraise=True,
    )
    try:
        return retrying(once)
    except TransientHTTPError as exc:
        raise FetchError(f"{exc} (gave up after {attempts} attempts)") from exc
    except FetchError:
        raise
    except requests.exceptions.RequestException as exc:
        raise FetchError(
            f"feed {feed.id!r}: GET {feed.url} failed after {attempts} attempt(s): {exc}"
        ) from exc


def fetch(
    feed: FeedSpec, mirror: Path | None, etag: str | None = None, last_modified: str | None = None
) -> Fetched:
    """The single entry point: the mirror when one is configured, otherwise the network (a public file in another
    format than the registered one, `url_format: rda`, is converted: ingest.rda)."""
    if mirror is not None:
        return read_mirror(feed, mirror)
    from ingest.rda import public_format_as_csv

    return public_format_as_csv(feed, fetch_http(feed, etag=etag, last_modified=last_modified))
