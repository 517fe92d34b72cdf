"""`/api/v1/cleared/...`: the cleared release (restricted zone), for authenticated callers with the cleared role.

Belongs here: the cleared-tier routes and their guard. Every request to them, granted or refused, is written to
the audit log before it is answered; anything but a caller with the `cleared` role gets 401/403 and no row.
They read only `<data>/restricted/releases/<id>/parquet/*.parquet` (e.g. `m8_wellbeing_shares_detail`),
through the cleared `ReleaseStore`; the open routes never read the restricted zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serve.auth import Principal, forbidden
from serve.http import CSVResponse, JSONBody, conditional, csv_response, json_response, page_links
from serve.models import ClearedDataResponse, ClearedReleasesResponse, ClearedTablesResponse
from serve.problems import Problem
from serve.query import (
    apply_time,
    check_count,
    check_not_too_large,
    page_rows,
    page_size,
    parse_time,
    split_values,
)
from serve.routes.common import CLEARED_ERRORS, LimitParam, OffsetParam, ReleaseParam, caller, ok
from serve.snapshot import TABLE_NAME, Snapshot

router = APIRouter(prefix="/api/v1/cleared", tags=["cleared (restricted)"])
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="an API token (`levelup api-token create`) or an OIDC access token from the configured issuer; "
    "the caller needs the `cleared` role",
)
INVALID = Principal("invalid-credentials", frozenset(), "invalid")
Multi = Annotated[list[str] | None, Query(description="comma-separated or repeated")]
FILTERS = {"metric": "metric_id", "geo": "area_code", "geoLevel": "area_level", "breakdown": "breakdown"}
FILTERS |= {"breakdownValue": "breakdown_value"}


def cleared_caller(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None
) -> Principal:
    audit = request.app.state.audit
    try:
        principal = caller(request)
    except Problem as p:
        audit.record(request, INVALID, status=p.status, rows=0, release=None, outcome="refused: " + p.detail)
        raise
    if not principal.cleared:
        p = forbidden(principal) if principal.method != "anonymous" else _anonymous()
        audit.record(request, principal, status=p.status, rows=0, release=None, outcome="refused: " + p.slug)
        raise p
    return principal


def _anonymous() -> Problem:
    from serve.auth import unauthenticated

    return unauthenticated(
        "the cleared release needs credentials with the cleared role (Authorization: Bearer ...)"
    )


ClearedCaller = Annotated[Principal, Depends(cleared_caller)]


def cleared_snapshot(
    request: Request, principal: ClearedCaller, release: ReleaseParam = None
) -> Iterator[Snapshot]:
    audit = request.app.state.audit
    try:
        snap = request.app.state.cleared.open(release)
    except Problem as p:
        audit.record(request, principal, status=p.status, rows=0, release=None, outcome="error: " + p.slug)
        raise
    request.state.audited = False
    try:
        yield snap
    except Problem as p:
        if not getattr(request.state, "audited", False):
            audit.record(
                request,
                principal,
                status=p.status,
                rows=0,
                release=snap.release_id,
                outcome="error: " + p.slug,
            )
        raise
    finally:
        snap.close()


ClearedSnap = Annotated[Snapshot, Depends(cleared_snapshot)]


def _granted(request: Request, snap: Snapshot, rows: int, table: str | None = None) -> None:
    request.app.state.audit.record(
        request,
        request.state.principal,
        status=200,
        rows=rows,
        release=snap.release_id,
        table=table,
        outcome="granted",
    )
    request.state.audited = True


def _answer(request: Request, snap: Snapshot, build, table: str | None = None):
    """conditional() with the audit record: a 304 is audited too (0 rows)."""
    response = conditional(request, snap.release_id, build, private=True)
    if response.status_code == 304:
        request.app.state.audit.record(
            request,
            request.state.principal,
            status=304,
            rows=0,
            release=snap.release_id,
            table=table,
            outcome="not modified",
        )
    return response


@router.get(
    "/releases",
    response_model=ClearedReleasesResponse,
    response_class=JSONBody,
    responses={**ok(), **CLEARED_ERRORS},
)
def cleared_releases(request: Request, principal: ClearedCaller):
    """The retained cleared releases, newest first."""
    store = request.app.state.cleared
    current = store.current_id()
    items = []
    for rid in reversed(store.release_ids()):
        m = store.manifest(rid) or {}
        items.append(
            {
                "id": rid,
                "is_current": rid == current,
                "created_at": m.get("created_at"),
                "files": m.get("files", {}),
            }
        )
    request.app.state.audit.record(
        request, principal, status=200, rows=len(items), release=current, outcome="granted"
    )
    return json_response({"release": current, "releases": items})


@router.get(
    "/tables",
    response_model=ClearedTablesResponse,
    response_class=JSONBody,
    responses={**ok(), **CLEARED_ERRORS},
)
def tables(request: Request, snap: ClearedSnap):
    """The tables of the cleared release, with their row counts and columns."""

    def build():
        items = [
            {
                "table": t,
                "rows": snap.sql(f'select count(*) from "{t}"')[0][0],
                "columns": snap.columns(f'"{t}"'),
            }
            for t in sorted(snap.handle.tables)
        ]
        _granted(request, snap, 0)
        return json_response({"release": snap.release_id, "tables": items})

    return _answer(request, snap, build)


def _rows(request: Request, snap: Snapshot, table: str, filters: dict, time: str | None, limit, offset):
    if not TABLE_NAME.match(table) or not snap.has(table):
        raise Problem(
            404,
            "unknown-table",
            f"no table {table!r} in cleared release {snap.release_id}; tables: {', '.join(sorted(snap.handle.tables))}",
            release=snap.release_id,
            unknown=[table],
        )
    s = request.app.state.settings
    cols = snap.columns(f'"{table}"')
    where, params = [], []
    for param, values in filters.items():
        values = split_values(values)
        if not values:
            continue
        column = FILTERS[param]
        if column not in cols:
            raise Problem(
                400,
                "bad-request",
                f"table {table} has no {column} to filter by `{param}`",
                release=snap.release_id,
                parameter=param,
            )
        check_count(values, s.api_max_codes, "values", param, snap.release_id)
        if param == "geo":
            values = [v.upper() for v in values]
        where.append(f"{column} in ({', '.join('?' for _ in values)})")
        params += values
    base = f'select * from "{table}"' + (f" where {' and '.join(where)}" if where else "")
    spec = parse_time(time or "all", snap.release_id)
    if spec.kind != "all":
        if "period_start" not in cols:
            raise Problem(
                400,
                "bad-request",
                f"table {table} has no period to filter by `time`",
                release=snap.release_id,
                parameter="time",
            )
        partition = ", ".join(c for c in ("metric_id", "breakdown", "breakdown_value") if c in cols) or "true"
        base, params = apply_time(base, params, spec, "none", partition)
    page = page_size(limit, s.api_max_rows, snap.release_id)
    rows, total = page_rows(snap, base, params, select="*", order_by="all", page=page, offset=offset)
    check_not_too_large(limit, total, s.api_max_rows, snap.release_id)
    data = []
    for r in rows:
        d = dict(zip(cols, r, strict=True))
        for k, v in d.items():
            if hasattr(v, "isoformat"):
                d[k] = v.isoformat()
        data.append(d)
    return cols, data, total, page


def _filters(metric, geo, geoLevel, breakdown, breakdownValue) -> dict:  # noqa: N803
    return {
        "metric": metric,
        "geo": geo,
        "geoLevel": geoLevel,
        "breakdown": breakdown,
        "breakdownValue": breakdownValue,
    }


TableName = Annotated[
    str,
    Path(
        max_length=63,
        description="a table of the cleared release (see /cleared/tables)",
        examples=["m8_wellbeing_shares_detail"],
    ),
]


@router.get(
    "/data/{table}.json",
    response_model=ClearedDataResponse,
    response_class=JSONBody,
    responses={**ok(), **CLEARED_ERRORS},
)
def cleared_json(
    request: Request,
    table: TableName,
    snap: ClearedSnap,
    metric: Multi = None,
    geo: Multi = None,
    geoLevel: Multi = None,  # noqa: N803
    breakdown: Multi = None,
    breakdownValue: Multi = None,  # noqa: N803
    time: Annotated[str | None, Query(max_length=40, description="as in data.json; default: all")] = None,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
):
    """Rows of a cleared table (disclosure-controlled; suppressed cells carry status and sdc_code)."""

    def build():
        filters = _filters(metric, geo, geoLevel, breakdown, breakdownValue)
        _, data, total, page = _rows(request, snap, table, filters, time, limit, offset)
        _granted(request, snap, len(data), table)
        return json_response(
            {"release": snap.release_id, "table": table, "total": total, "limit": page, "offset": offset}
            | page_links(request, snap.release_id, total, page, offset)
            | {"data": data}
        )

    return _answer(request, snap, build, table)


@router.get(
    "/data/{table}.csv",
    response_class=CSVResponse,
    responses={**ok(), **CLEARED_ERRORS},
)
def cleared_csv(
    request: Request,
    table: TableName,
    snap: ClearedSnap,
    metric: Multi = None,
    geo: Multi = None,
    geoLevel: Multi = None,  # noqa: N803
    breakdown: Multi = None,
    breakdownValue: Multi = None,  # noqa: N803
    time: Annotated[str | None, Query(max_length=40)] = None,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
):
    """The same rows as CSV; the first column names the cleared release."""

    def build():
        filters = _filters(metric, geo, geoLevel, breakdown, breakdownValue)
        cols, data, total, page = _rows(request, snap, table, filters, time, limit, offset)
        _granted(request, snap, len(data), table)
        links = page_links(request, snap.release_id, total, page, offset)
        resp = csv_response(
            snap.release_id, cols, data, f"levelup-cleared-{snap.release_id}-{table}.csv", links
        )
        resp.headers["X-Total-Count"] = str(total)
        return resp

    return _answer(request, snap, build, table)
