"""What every route shares: the snapshot dependency (one release per request), the caller, the common
parameters (`release`, paging) and the error responses each route documents.

Belongs here: FastAPI dependencies and parameter declarations only; no queries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from serve.auth import Principal
from serve.problems import error_responses
from serve.snapshot import Snapshot

ReleaseParam = Annotated[
    str | None,
    Query(
        description="a retained release id (see /api/v1/releases); default: the current release",
        max_length=64,
    ),
]
LimitParam = Annotated[
    int | None,
    Query(
        ge=1, le=1_000_000, description="page size (at most the server's row limit; default: the row limit)"
    ),
]
OffsetParam = Annotated[int, Query(ge=0, le=100_000_000, description="rows to skip (stable order)")]

OPEN_ERRORS = error_responses(400, 401, 404, 413, 500, 503)
CLEARED_ERRORS = error_responses(400, 401, 403, 404, 413, 500, 503)
NOT_MODIFIED = {304: {"description": "Not Modified: the ETag in If-None-Match still names this answer"}}
ETAG_HEADERS = {
    "ETag": {"description": "names the release and the request", "schema": {"type": "string"}},
    "X-Release-Id": {"description": "the release the answer was read from", "schema": {"type": "string"}},
}


def ok(description: str = "OK") -> dict:
    """The 200 (with the ETag and release headers) and 304 every data route documents."""
    return {200: {"description": description, "headers": ETAG_HEADERS}, **NOT_MODIFIED}


def caller(request: Request) -> Principal:
    """The caller (anonymous when no credentials); presented but invalid credentials are a 401."""
    principal = request.app.state.auth.principal(request)
    request.state.principal = principal
    return principal


async def open_snapshot(request: Request, release: ReleaseParam = None) -> AsyncIterator[Snapshot]:
    """The open release this request reads, resolved once; closed when the answer is built.

    Async, so that the common case (an anonymous caller, a release already open) costs no thread hop: the
    route itself then runs in the thread pool once. Credentials (a JWKS fetch may wait on the network) and the
    first opening of a release run in the thread pool."""
    if request.headers.get("authorization"):
        await run_in_threadpool(caller, request)
    else:
        caller(request)
    store = request.app.state.releases
    snap = store.open_if_ready(release) or await run_in_threadpool(store.open, release)
    try:
        yield snap
    finally:
        snap.close()


Caller = Annotated[Principal, Depends(caller)]
OpenSnap = Annotated[Snapshot, Depends(open_snapshot)]
