"""Has a source changed since the platform last looked? Cheap answers, per feed, before anything is fetched in full.

Belongs here:
- `detect_change(feed, settings, seen)`: the source's current sha256 (the mirror file's, re-hashed only when its
  size or mtime moved; or a conditional GET against the validators last seen), and whether it differs from a
  baseline: the version landed (what the source-change sensor asks) or the last version an ingest attempt saw,
  accepted or not (what `levelup run` asks: a version that was rejected is not news until the source moves on);
- `source_states(...)`: that, for many feeds in parallel, with the per-feed memo kept in the raw zone;
- `unreachable_hosts(...)`: a quick TCP check of every source host, so a run with no network and no mirror stops
  in seconds with one message instead of failing feed by feed.
Nothing here lands or parses data.
"""

from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from core.fsio import atomic_write_text, sha256_file
from core.registry import FeedSpec
from core.settings import Settings
from ingest.fetch import FetchError, fetch_http, mirror_file
from ingest.land import FeedStore

MEMO = "source_state.json"


def last_attempted_sha(store: FeedStore) -> str | None:
    """The sha256 the latest ingest attempt that reached the source saw (landed, unchanged or rejected)."""
    for entry in reversed(store.read_log()):
        if entry.get("sha256"):
            return entry["sha256"]
    return None


def detect_change(
    feed: FeedSpec, settings: Settings, seen: dict[str, Any], *, baseline: str = "landed"
) -> dict[str, Any]:
    """Compare the source's current bytes with the baseline version, as cheaply as the source allows.

    Returns the new memo entry: sha256 (of the source as last seen), validators, `changed` and `error` (source
    unreachable). baseline: "landed" (the current version) or "attempted" (the last version an attempt saw)."""
    store = FeedStore(settings.feed_dir(feed.id), feed.id)
    current = store.current_info()
    base_sha = last_attempted_sha(store) if baseline == "attempted" else (current.sha256 if current else None)
    entry: dict[str, Any] = {"checked_at": datetime.now(UTC).isoformat(), "error": None}
    try:
        if settings.mirror is not None:
            path = mirror_file(feed, settings.mirror)
            if not feed.mirror_path or not path.is_file():
                raise FetchError(f"feed {feed.id!r}: mirror file {path} not found")
            st = path.stat()
            if (
                seen.get("size") == st.st_size
                and seen.get("mtime_ns") == st.st_mtime_ns
                and seen.get("sha256")
            ):
                sha = seen["sha256"]
            else:
                sha = sha256_file(path)
            entry.update(via="mirror", size=st.st_size, mtime_ns=st.st_mtime_ns, sha256=sha)
        else:
            # Ask relative to what was last seen, or else to what is landed.
            if seen.get("sha256"):
                etag, last_mod, known = seen.get("etag"), seen.get("last_modified"), seen["sha256"]
            else:
                state = store.http_state() if current else {}
                etag, last_mod, known = state.get("etag"), state.get("last_modified"), base_sha
            got = fetch_http(feed, etag=etag, last_modified=last_mod, max_attempts=2, backoff_s=0.5)
            got.discard()
            if got.not_modified:
                entry.update(via="http", status=304, etag=etag, last_modified=last_mod, sha256=known)
            else:
                entry.update(
                    via="http", status=200, etag=got.etag, last_modified=got.last_modified, sha256=got.sha256
                )
    except FetchError as exc:
        entry.update({k: seen.get(k) for k in ("sha256", "etag", "last_modified", "size", "mtime_ns")})
        entry.update(error=str(exc), changed=False)
        return entry
    entry["changed"] = entry.get("sha256") is not None and entry["sha256"] != base_sha
    return entry


def remembered_state(settings: Settings, feed: FeedSpec) -> dict[str, Any]:
    """What was last seen of the feed's source (`raw/<feed>/source_state.json`), or {}."""
    memo_path = settings.feed_dir(feed.id) / MEMO
    try:
        return json.loads(memo_path.read_text()) if memo_path.exists() else {}
    except ValueError:
        return {}


def remember_mirror_file(settings: Settings, feed: FeedSpec, path, sha256: str) -> None:
    """Record a mirror file's size, mtime and sha256 after ingest read it, so the next look need not re-hash it."""
    st = path.stat()
    entry = {"checked_at": datetime.now(UTC).isoformat(), "error": None, "changed": False, "via": "mirror",
             "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}  # fmt: skip
    memo_path = settings.feed_dir(feed.id) / MEMO
    if memo_path.parent.exists():
        atomic_write_text(memo_path, json.dumps(entry, sort_keys=True))


def source_states(
    feeds: list[FeedSpec], settings: Settings, *, threads: int = 8
) -> dict[str, dict[str, Any]]:
    """`detect_change` (baseline: the last attempt) for every feed, remembering mirror hashes and HTTP
    validators in `raw/<feed>/source_state.json` so that an unchanged mirror file is not re-hashed."""

    def one(feed: FeedSpec) -> dict[str, Any]:
        memo_path = settings.feed_dir(feed.id) / MEMO
        seen = remembered_state(settings, feed)
        entry = detect_change(feed, settings, seen, baseline="attempted")
        if not entry["error"] and memo_path.parent.exists():
            atomic_write_text(memo_path, json.dumps(entry, sort_keys=True))
        return entry

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return dict(zip([f.id for f in feeds], pool.map(one, feeds), strict=True))


def unreachable_hosts(feeds: list[FeedSpec], timeout: float) -> dict[str, list[str]]:
    """host -> feed ids, for every source host a TCP connection could not reach within `timeout` seconds."""
    hosts: dict[tuple[str, int], list[str]] = {}
    for f in feeds:
        if f.url:
            u = urlparse(f.url)
            hosts.setdefault((u.hostname or "", u.port or (443 if u.scheme == "https" else 80)), []).append(
                f.id
            )

    def reachable(host_port) -> bool:
        try:
            with socket.create_connection(host_port, timeout=timeout):
                return True
        except OSError:
            return False

    with ThreadPoolExecutor(max_workers=8) as pool:
        ok = dict(zip(hosts, pool.map(reachable, hosts), strict=True))
    return {f"{h}:{p}": ids for (h, p), ids in hosts.items() if not ok[(h, p)]}
