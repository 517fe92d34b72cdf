"""Failure notification: tell a person that a feed, a check or a run failed, and where the quality report is.

Belongs here: the notification hook itself. Two targets, both optional and configured by environment:

    LEVELUP_NOTIFY_LOG      a file; each notification is appended as one JSON line (fsynced)
    LEVELUP_NOTIFY_WEBHOOK  an http(s) URL; each notification is POSTed as JSON (timeout, retries with backoff)
    LEVELUP_NOTIFY_TIMEOUT  seconds per webhook attempt (default 5)
    LEVELUP_NOTIFY_RETRIES  webhook attempts (default 3)

The event is a plain dict. By convention it carries `kind` (run_failure | check_failure | landing_rejected |
stale_feed), `feeds`, `failed_steps`, `failed_checks`, `message` and `quality_report` (an absolute path), but
any JSON-serialisable dict is sent as given (plus `sent_at` and `platform`). Who calls it: the Dagster
sensors in `orchestration.automation` (run failure, failed checks in a successful run, rejected landing
drops). A notification problem never raises: it is logged and reported in the return value, so it cannot
hide the failure it was about.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from core.fsio import append_jsonl
from core.settings import get_settings

log = logging.getLogger(__name__)

USER_AGENT = "levelup-data-platform/0.1 notify"


def _targets() -> tuple[Path | None, str | None]:
    settings = get_settings()
    return settings.notify_log, settings.notify_webhook


def notification_configured() -> bool:
    return any(_targets())


def _post(url: str, payload: dict, timeout: float, retries: int, backoff: float) -> dict:
    """POST with retries on connection errors, timeouts, 429 and 5xx. Returns what happened."""
    last = ""
    for attempt in range(1, max(1, retries) + 1):
        try:
            resp = requests.post(
                url,
                data=json.dumps(payload, default=str),
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
                timeout=timeout,
            )
            if resp.status_code < 300:
                return {"ok": True, "status": resp.status_code, "attempts": attempt}
            last = f"HTTP {resp.status_code}"
            if resp.status_code != 429 and resp.status_code < 500:
                return {"ok": False, "status": resp.status_code, "attempts": attempt, "error": last}
        except requests.RequestException as exc:
            last = f"{type(exc).__name__}: {exc}"
        if attempt < retries:
            time.sleep(backoff * 2 ** (attempt - 1))
    return {"ok": False, "attempts": retries, "error": last}


def notify_failure(
    event: dict[str, Any],
    *,
    log_path: Path | str | None = None,
    webhook: str | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    backoff: float = 0.5,
) -> dict[str, Any]:
    """Send one failure notification to every configured target. Never raises.

    Returns {"payload": ..., "log": {...} | None, "webhook": {...} | None}.
    """
    env_log, env_hook = _targets()
    log_path = Path(log_path) if log_path else env_log
    webhook = webhook or env_hook
    settings = get_settings()
    timeout = float(timeout if timeout is not None else settings.notify_timeout)
    retries = int(retries if retries is not None else settings.notify_retries)
    payload = {
        "platform": "levelup",
        "host": socket.gethostname(),
        "sent_at": datetime.now(UTC).isoformat(),
        **event,
    }
    outcome: dict[str, Any] = {"payload": payload, "log": None, "webhook": None}
    if log_path is None and webhook is None:
        log.warning("failure (no LEVELUP_NOTIFY_LOG / LEVELUP_NOTIFY_WEBHOOK configured): %s", event)
        return outcome
    if log_path is not None:
        try:
            append_jsonl(log_path, payload)
            outcome["log"] = {"ok": True, "path": str(log_path)}
        except OSError as exc:
            log.error("could not write notification log %s: %s", log_path, exc)
            outcome["log"] = {"ok": False, "path": str(log_path), "error": str(exc)}
    if webhook is not None:
        outcome["webhook"] = _post(webhook, payload, timeout, retries, backoff)
        if not outcome["webhook"]["ok"]:
            log.error("notification webhook %s failed: %s", webhook, outcome["webhook"].get("error"))
    return outcome
