"""`/api/v1/metadata/indicators`: what each indicator is (from the indicator catalogue when the release has it,
else from the release's marts and the feed registry).

Belongs here: the metadata routes only; the facts are computed in `serve.catalogue`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from serve.catalogue import indicators
from serve.http import JSONBody, conditional, json_response
from serve.models import IndicatorResponse, IndicatorsResponse
from serve.problems import Problem
from serve.routes.common import OPEN_ERRORS, OpenSnap, ok

router = APIRouter(prefix="/api/v1/metadata", tags=["metadata"])


@router.get(
    "/indicators",
    response_model=IndicatorsResponse,
    response_class=JSONBody,
    responses={**ok(), **OPEN_ERRORS},
    summary="Every indicator: id, label, unit, measure type, periods, levels, source",
)
def list_indicators(
    request: Request,
    snap: OpenSnap,
    mission: Annotated[
        int | None, Query(ge=1, le=12, description="only indicators informing this mission")
    ] = None,
    feed: Annotated[str | None, Query(max_length=100, description="only this feed's indicators")] = None,
):
    def build():
        items = [i.facts | {"id": i.id} for i in indicators(snap).items]
        if mission is not None:
            items = [i for i in items if mission in (i.get("missions") or [])]
        if feed is not None:
            items = [i for i in items if i["feed_id"] == feed]
        return json_response({"release": snap.release_id, "count": len(items), "indicators": items})

    return conditional(request, snap.release_id, build)


@router.get(
    "/indicators/{indicator}",
    response_model=IndicatorResponse,
    response_class=JSONBody,
    responses={**ok(), **OPEN_ERRORS},
    summary="One indicator's metadata",
)
def one_indicator(
    request: Request,
    indicator: Annotated[str, Path(max_length=200, description="indicator id", examples=["employment-rate"])],
    snap: OpenSnap,
):
    def build():
        found = indicators(snap).by_id.get(indicator.lower())
        if found is None:
            raise Problem(
                404,
                "unknown-indicator",
                f"no indicator {indicator!r} in release {snap.release_id}; see /api/v1/metadata/indicators",
                release=snap.release_id,
                unknown=[indicator],
            )
        return json_response({"release": snap.release_id, "indicator": found.facts | {"id": found.id}})

    return conditional(request, snap.release_id, build)
