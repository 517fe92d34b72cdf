"""Failure notifications: a JSON line in a log file and/or a JSON POST to a webhook (here a server on
127.0.0.1), retried on 5xx, never raising when the target is down."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from quality.notify import notify_failure


class WebhookServer:
    """Records every POSTed JSON body; answers the status codes in `plan` first, then 200."""

    def __init__(self):
        self.received: list[dict] = []
        self.plan: list[int] = []
        srv = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                code = srv.plan.pop(0) if srv.plan else 200
                if code == 200:
                    srv.received.append(json.loads(body))
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/hooks/levelup"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def webhook():
    srv = WebhookServer()
    yield srv
    srv.close()


EVENT = {
    "kind": "run_failure",
    "feeds": ["healthy-life-expectancy"],
    "failed_checks": [{"asset": "raw/healthy-life-expectancy", "check": "contract", "severity": "ERROR"}],
    "quality_report": "data/releases/20260101T000000000Z/quality_report.html",
    "message": "feed healthy-life-expectancy broke its contract",
}


def test_log_file_gets_one_json_line_per_notification(tmp_path, monkeypatch):
    log = tmp_path / "notify" / "failures.jsonl"
    monkeypatch.setenv("LEVELUP_NOTIFY_LOG", str(log))
    monkeypatch.delenv("LEVELUP_NOTIFY_WEBHOOK", raising=False)
    notify_failure(EVENT)
    notify_failure({**EVENT, "feeds": ["gross-value-added"]})
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert [x["feeds"] for x in lines] == [["healthy-life-expectancy"], ["gross-value-added"]]
    assert lines[0]["quality_report"].endswith("quality_report.html")
    assert lines[0]["platform"] == "levelup" and lines[0]["sent_at"]


def test_webhook_receives_the_event_and_retries_server_errors(webhook, monkeypatch):
    monkeypatch.delenv("LEVELUP_NOTIFY_LOG", raising=False)
    monkeypatch.setenv("LEVELUP_NOTIFY_WEBHOOK", webhook.url)
    webhook.plan = [503, 500]
    out = notify_failure(EVENT, backoff=0.01)
    assert out["webhook"] == {"ok": True, "status": 200, "attempts": 3}
    assert len(webhook.received) == 1
    got = webhook.received[0]
    assert got["feeds"] == ["healthy-life-expectancy"]
    assert got["failed_checks"][0]["check"] == "contract"
    assert got["quality_report"] == EVENT["quality_report"]


def test_unreachable_webhook_does_not_raise_and_the_log_still_gets_written(tmp_path, monkeypatch):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens on this port now
    log = tmp_path / "failures.jsonl"
    out = notify_failure(
        EVENT, log_path=log, webhook=f"http://127.0.0.1:{port}/x", retries=2, backoff=0.01, timeout=1
    )
    assert out["webhook"]["ok"] is False and "Connection" in out["webhook"]["error"]
    assert out["log"]["ok"] is True and log.exists()


def test_client_errors_are_not_retried(webhook):
    webhook.plan = [404]
    out = notify_failure(EVENT, webhook=webhook.url, backoff=0.01)
    assert out["webhook"]["ok"] is False and out["webhook"]["attempts"] == 1
