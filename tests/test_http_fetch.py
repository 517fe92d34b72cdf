"""The HTTP path, against a real server on 127.0.0.1: conditional GET, retries, bad bodies, landing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from core.registry import load_registry
from core.settings import get_settings
from ingest.fetch import FetchError, fetch_http
from ingest.land import FeedStore
from ingest.pipeline import ingest_feed

FIXTURES = Path(__file__).parent / "fixtures"
CSV = (
    b"areacd,areanm,geography,indicator,period,observation,measure,unit,lci_95,uci_95,status,notes\n"
    b"E92000001,England,Country,Happiness,2021-04-01/P1Y,7.4,Mean,Score out of 10,7.3,7.5,,\n"
    b"E08000019,Sheffield,Local Authority District,Happiness,2021-04-01/P1Y,,Mean,Score out of 10,,,x,\n"
)


@pytest.fixture
def feed_at(http_server, monkeypatch):
    """The mini registry's feed, pointed at the local server; no mirror; fast backoff."""
    monkeypatch.delenv("LEVELUP_MIRROR", raising=False)
    monkeypatch.setenv("LEVELUP_HTTP_BACKOFF", "0.01")
    base = load_registry(FIXTURES / "mini_registry.yaml").get("test-wellbeing")

    def make(body: bytes = CSV, **kw):
        route = http_server.add("/test-wellbeing.csv", body, **kw)
        feed = base.model_copy(update={"url": f"{http_server.base}/test-wellbeing.csv"})
        return feed, route

    return make


def test_conditional_get_304_does_not_reland(feed_at, data_dir):
    feed, route = feed_at()
    first = ingest_feed(feed)
    assert first.status == "landed" and first.rows == 2 and first.via == "http"
    second = ingest_feed(feed)
    assert second.status == "unchanged" and "304" in second.message
    assert route.requests[1].get("If-None-Match") == route.etag
    assert route.requests[1].get("If-Modified-Since") == route.last_modified
    store = FeedStore(get_settings().feed_dir(feed.id), feed.id)
    assert len(store.version_files()) == 1
    statuses = [e["status"] for e in store.read_log()]
    assert statuses == ["landed", "unchanged"]
    log0 = store.read_log()[0]
    assert (
        log0["sha256"] == first.sha256 and log0["bytes"] == len(CSV) and log0["contract_result"] == "passed"
    )
    assert log0["etag"] == route.etag


def test_retries_5xx_then_succeeds(feed_at, data_dir):
    feed, route = feed_at()
    route.plan = ["500", "503", "ok"]
    got = fetch_http(feed, backoff_s=0.01)
    assert (
        got.attempts == 3 and got.path.read_bytes() == CSV and got.sha256 == hashlib.sha256(CSV).hexdigest()
    )
    got.discard()
    assert len(route.requests) == 3


def test_gives_up_after_persistent_5xx_and_keeps_previous_version(feed_at, data_dir):
    feed, route = feed_at()
    assert ingest_feed(feed).status == "landed"
    route.plan = ["500"] * 10
    route.etag = '"changed"'  # force a full GET
    res = ingest_feed(feed, raise_on_failure=False)
    assert res.status == "failed"
    assert "HTTP 500" in res.message and "gave up after 4 attempts" in res.message and feed.id in res.message
    store = FeedStore(get_settings().feed_dir(feed.id), feed.id)
    assert store.current_info().rows == 2  # previous version still current


def test_404_is_not_retried(feed_at, data_dir):
    feed, route = feed_at()
    bad = feed.model_copy(update={"url": feed.url.replace("test-wellbeing", "nope")})
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_http(bad, backoff_s=0.01)


def test_truncated_body_rejected(feed_at, data_dir):
    feed, route = feed_at()
    route.plan = ["truncate"] * 10
    res = ingest_feed(feed, raise_on_failure=False)
    assert res.status == "failed"
    assert (
        "truncated" in res.message.lower()
        or "incomplete" in res.message.lower()
        or "connection" in res.message.lower()
    )
    assert not (get_settings().feed_dir(feed.id) / "current.json").exists()
    assert len(route.requests) == 4  # retried, then gave up


def test_html_error_page_rejected(feed_at, data_dir):
    feed, _ = feed_at(
        b"<!DOCTYPE html><html><body>Rate limit exceeded</body></html>", content_type="text/html"
    )
    res = ingest_feed(feed, raise_on_failure=False)
    assert res.status == "failed" and "HTML page instead of CSV" in res.message


def test_empty_body_rejected(feed_at, data_dir):
    feed, _ = feed_at(b"")
    res = ingest_feed(feed, raise_on_failure=False)
    assert res.status == "failed" and "empty body" in res.message


def test_timeout_is_retried_then_fails(feed_at, data_dir, monkeypatch):
    feed, route = feed_at()
    route.plan = ["slow"] * 10
    monkeypatch.setenv("LEVELUP_HTTP_READ_TIMEOUT", "0.3")
    with pytest.raises(FetchError, match="timed out|Read timed out"):
        fetch_http(feed, backoff_s=0.01, max_attempts=2)
    assert len(route.requests) == 2


def test_ingest_log_is_json_lines(feed_at, data_dir):
    feed, _ = feed_at()
    ingest_feed(feed)
    lines = (get_settings().feed_dir(feed.id) / "ingest_log.jsonl").read_text().splitlines()
    entry = json.loads(lines[-1])
    for key in (
        "feed_id",
        "url",
        "retrieved_at",
        "bytes",
        "sha256",
        "etag",
        "last_modified",
        "rows",
        "contract_result",
    ):
        assert key in entry
