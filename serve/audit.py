"""The append-only audit log of cleared API requests: who, what, when, and how many rows were returned.

Belongs here: `AuditLog`, one JSON line per request to a cleared route (granted or refused), appended and
fsynced through `core.fsio.append_jsonl` before the answer is sent (0600, by default
`<data dir>/restricted/api_audit.jsonl`, inside the restricted zone's 0700 folder). If the line cannot be
written the request fails with 503 and no data: a cleared answer is never given without its audit record.
A line holds the caller's subject, auth method, token id (or JWT `jti`) and roles, the route, path and query,
the cleared release, the status and the row count; never a token or a value.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from fastapi import Request

from core.fsio import append_jsonl, read_jsonl
from serve.auth import Principal
from serve.problems import Problem

log = logging.getLogger("levelup.serve")


class AuditLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def record(
        self,
        request: Request,
        principal: Principal,
        *,
        status: int,
        rows: int,
        release: str | None,
        table: str | None = None,
        outcome: str,
    ) -> None:
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="microseconds"),
            "who": principal.who(),
            "client": request.client.host if request.client else None,
            "method": request.method,
            "route": getattr(request.scope.get("route"), "path", None),
            "path": request.url.path,
            "query": request.url.query,
            "table": table,
            "cleared_release": release,
            "status": status,
            "rows": rows,
            "outcome": outcome,
        }
        try:
            with self._lock:
                if not self.path.parent.exists():
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    os.chmod(self.path.parent, 0o700)
                append_jsonl(self.path, entry, mode=0o600)
        except OSError as exc:
            log.error("audit log %s cannot be written: %s", self.path, exc)
            raise Problem(
                503, "audit-unavailable", "the audit log cannot be written, so no cleared data is served"
            ) from None

    def entries(self) -> list[dict]:
        return read_jsonl(self.path)
