"""`/api/v1/data.json`, `/api/v1/data.csv` and `/api/v1/provenance`: indicator values, and where each came from.

Belongs here: the routes only; parsing and SQL are in `serve.query`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from serve.catalogue import indicators
from serve.http import CSVResponse, JSONBody, conditional, csv_response, json_response, page_links
from serve.models import DataResponse, ProvenanceResponse
from serve.query import build_data_query, data_rows, run_rows
from serve.routes.common import OPEN_ERRORS, LimitParam, OffsetParam, OpenSnap, ok
from serve.snapshot import Snapshot

router = APIRouter(prefix="/api/v1", tags=["data"])


async def data_params(  # async: pure parsing, no thread hop
    indicator: Annotated[
        list[str] | None,
        Query(
            description="indicator id(s), comma-separated or repeated (default: all)",
            examples=[["employment-rate"]],
        ),
    ] = None,
    geo: Annotated[
        list[str] | None,
        Query(
            description="area code(s), comma-separated or repeated (default: all)", examples=[["E06000001"]]
        ),
    ] = None,
    geoLevel: Annotated[  # noqa: N803 (ONS parameter name)
        list[str] | None,
        Query(
            description="level(s): LAD, CTYUA, CA, RGN, CTRY, ITL1, ITL2, ITL3, PFA (or ltla, utla, ...)",
            examples=[["LAD"]],
        ),
    ] = None,
    time: Annotated[
        str | None,
        Query(
            description="latest (default), earliest, all, YYYY, YYYY-MM, YYYY-MM-DD, or a range start,end",
            max_length=40,
            examples=["2015"],
        ),
    ] = None,
    timeNearest: Annotated[  # noqa: N803
        Literal["none", "latest", "earliest", "any"],
        Query(
            description="when an indicator has no period at `time`: none, the latest before, the earliest after, the closer"
        ),
    ] = "none",
    measure: Annotated[list[str] | None, Query(description="value, lci, uci or all (default: all)")] = None,
    includeNames: Annotated[bool, Query(description="add area names (areanm)")] = False,  # noqa: N803
    includeStatus: Annotated[bool, Query(description="add the observation status")] = False,  # noqa: N803
    mart: Annotated[
        Literal["indicators_harmonised", "indicators"],
        Query(
            description="indicators_harmonised: April 2025 geography; indicators: as published (source geography)"
        ),
    ] = "indicators_harmonised",
    limit: LimitParam = None,
    offset: OffsetParam = 0,
) -> dict:
    return {
        "indicator": indicator,
        "geo": geo,
        "geo_level": geoLevel,
        "time": time,
        "time_nearest": timeNearest,
        "measure": measure,
        "include_names": includeNames,
        "include_status": includeStatus,
        "mart": mart,
        "limit": limit,
        "offset": offset,
    }


DataParams = Annotated[dict, Depends(data_params)]


def _query(request: Request, snap: Snapshot, params: dict):
    s = request.app.state.settings
    return build_data_query(snap, **params, max_codes=s.api_max_codes, max_indicators=s.api_max_indicators)


@router.get(
    "/data.json",
    response_model=DataResponse,
    response_class=JSONBody,
    responses={**ok(), **OPEN_ERRORS},
    summary="Indicator values (JSON rows)",
)
def data_json(request: Request, snap: OpenSnap, params: DataParams):
    """Indicator values over the April 2025 geography (`indicators_harmonised`), or as published
    (`mart=indicators`), filtered like the ONS Explore Local Statistics API."""

    def build():
        q = _query(request, snap, params)
        rows, total, limit, _ = data_rows(snap, q, request.app.state.settings.api_max_rows)
        links = page_links(request, snap.release_id, total, limit, q.offset)
        return json_response(
            {"release": snap.release_id, "mart": q.mart, "total": total, "limit": limit, "offset": q.offset}
            | links
            | {"data": rows}
        )

    return conditional(request, snap.release_id, build)


@router.get(
    "/data.csv",
    response_class=CSVResponse,
    responses={**ok(), **OPEN_ERRORS},
    summary="Indicator values (CSV)",
)
def data_csv(request: Request, snap: OpenSnap, params: DataParams):
    """The same rows as data.json, as CSV with a header row; the first column names the release. Paging links
    are in the `Link` header and the total in `X-Total-Count`. This is the URL to paste into Excel
    (Data > Get Data > From Web) or Power BI."""

    def build():
        q = _query(request, snap, params)
        rows, total, limit, columns = data_rows(snap, q, request.app.state.settings.api_max_rows)
        links = page_links(request, snap.release_id, total, limit, q.offset)
        resp = csv_response(snap.release_id, columns, rows, f"levelup-{snap.release_id}-data.csv", links)
        resp.headers["X-Total-Count"] = str(total)
        return resp

    return conditional(request, snap.release_id, build)


@router.get(
    "/provenance",
    response_model=ProvenanceResponse,
    response_class=JSONBody,
    responses={**ok(), **OPEN_ERRORS},
    summary="Where values came from",
)
def provenance(request: Request, snap: OpenSnap, params: DataParams):
    """For the values a data request selects (same parameters): the source file each came from (feed, URL,
    licence, sha256, retrieval time and route), its line in that file, and how it was harmonised."""

    def build():
        q = _query(request, snap, params)
        cols = [
            "feed_id",
            "indicator",
            "area_code",
            "geo_level",
            "period_raw",
            "value",
            "source_sha256",
            "source_line",
            "source_area_code",
            "harmonisation_method",
            "is_derived",
        ]
        rows, total, limit = run_rows(snap, q, cols, request.app.state.settings.api_max_rows)
        by_key = indicators(snap).by_key
        data = []
        for r in rows:
            ind = by_key.get((r[0], r[1]))
            data.append(
                {
                    "indicator": ind.id if ind else r[1],
                    "areacd": r[2],
                    "geoLevel": r[3],
                    "period": r[4],
                    "value": r[5],
                    "feed_id": r[0],
                    "source_sha256": r[6],
                    "source_line": r[7],
                    "source_area_code": r[8],
                    "harmonisation_method": r[9],
                    "is_derived": r[10],
                }
            )
        sources = _sources(snap, {(d["feed_id"], d["source_sha256"]) for d in data})
        links = page_links(request, snap.release_id, total, limit, q.offset)
        return json_response(
            {"release": snap.release_id, "mart": q.mart, "total": total, "limit": limit, "offset": q.offset}
            | links
            | {"sources": sources, "data": data}
        )

    return conditional(request, snap.release_id, build)


def _sources(snap: Snapshot, keys: set[tuple[str, str | None]]) -> list[dict]:
    if not keys or not snap.has("provenance"):
        return [{"feed_id": f, "source_sha256": s} for f, s in sorted(keys, key=str)]
    feeds = sorted({f for f, _ in keys})
    rows = snap.sql(
        f"""select feed_id, source_sha256, feed_title, publisher, licence, source_url, retrieved_via,
                   cast(retrieved_at as varchar), raw_file, is_current
            from provenance where feed_id in ({", ".join("?" for _ in feeds)})
            order by feed_id, source_sha256""",
        feeds,
    )
    names = [
        "feed_id",
        "source_sha256",
        "feed_title",
        "publisher",
        "licence",
        "source_url",
        "retrieved_via",
        "retrieved_at",
        "raw_file",
        "is_current",
    ]
    found = [dict(zip(names, r, strict=True)) for r in rows if (r[0], r[1]) in keys]
    seen = {(d["feed_id"], d["source_sha256"]) for d in found}
    found += [{"feed_id": f, "source_sha256": s} for f, s in sorted(keys, key=str) if (f, s) not in seen]
    return found
