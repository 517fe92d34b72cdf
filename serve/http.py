"""HTTP conventions of the data API: release-named ETags and 304s, JSON and CSV bodies, pagination links.

Belongs here: `conditional()` (every data answer goes through it: the ETag is computed from the release id and
the request before any query runs, so a conditional GET whose ETag still matches answers 304 at once), the JSON
encoder (orjson: NaN and infinities become null), the CSV writer, and the `next`/`previous` links, which pin
`release=<id>` so that paging through a result never mixes two releases even when `current` moves meanwhile.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable

import orjson
from fastapi import Request, Response
from fastapi.responses import JSONResponse

JSON_MEDIA_TYPE = "application/json"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


class CSVResponse(Response):
    media_type = CSV_MEDIA_TYPE


class JSONBody(JSONResponse):
    """JSON encoded with orjson (a JSONResponse, so the OpenAPI document gets the route's response model)."""

    media_type = JSON_MEDIA_TYPE

    def render(self, content) -> bytes:
        return content if isinstance(content, bytes) else dumps(content)


def dumps(content) -> bytes:
    return orjson.dumps(content, default=str)


def etag_for(request: Request, release: str, variant: str = "") -> str:
    items = sorted(request.query_params.multi_items())
    key = "\n".join([request.method, request.url.path, variant, *(f"{k}={v}" for k, v in items)])
    return f'"{release}.{hashlib.sha256(key.encode()).hexdigest()[:16]}"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = [t.strip() for t in if_none_match.split(",")]
    bare = etag.removeprefix("W/")
    return any(c == "*" or c.removeprefix("W/") == bare for c in candidates)


def base_headers(release: str, etag: str, *, private: bool = False) -> dict[str, str]:
    return {
        "ETag": etag,
        "X-Release-Id": release,
        "Cache-Control": "private, no-cache" if private else "no-cache",
        **({"Vary": "Authorization"} if private else {}),
    }


def conditional(
    request: Request,
    release: str,
    build: Callable[[], Response],
    *,
    variant: str = "",
    private: bool = False,
) -> Response:
    """304 when If-None-Match already names this answer; otherwise build it, with ETag and release headers."""
    etag = etag_for(request, release, variant)
    headers = base_headers(release, etag, private=private)
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    response = build()
    for k, v in headers.items():
        response.headers.setdefault(k, v)
    return response


def json_response(payload: dict) -> JSONBody:
    return JSONBody(payload)


def csv_response(
    release: str, columns: list[str], rows: Iterable[dict], filename: str, links: dict
) -> CSVResponse:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["release", *columns])
    for row in rows:
        writer.writerow([release, *(_cell(row.get(c)) for c in columns)])
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    link = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url)
    if link:
        headers["Link"] = link
    return CSVResponse(buf.getvalue().encode("utf-8"), headers=headers)


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v != v:  # NaN
        return ""
    return v


def page_links(request: Request, release: str, total: int, limit: int, offset: int) -> dict[str, str | None]:
    def url(off: int) -> str:
        return str(request.url.include_query_params(release=release, limit=limit, offset=max(0, off)))

    return {
        "next": url(offset + limit) if offset + limit < total else None,
        "previous": url(offset - limit) if offset > 0 else None,
    }
