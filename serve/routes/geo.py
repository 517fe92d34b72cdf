"""`/api/v1/geo/...`: levels, lookup, related areas (parents, children, siblings, similar) and search.

Belongs here: the geography routes only; the model is `serve.geo` (built from the release's `geography` mart)
and the similar areas come from the `similar_areas` / `area_clusters` marts when the release has them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from serve import geo
from serve.http import JSONBody, conditional, json_response
from serve.models import (
    AllRelatedResponse,
    GeoLevelsResponse,
    LookupResponse,
    RelatedResponse,
    SearchResponse,
    SimilarResponse,
)
from serve.problems import Problem
from serve.routes.common import OPEN_ERRORS, OpenSnap, ok
from serve.snapshot import Snapshot

router = APIRouter(prefix="/api/v1/geo", tags=["geography"])

Code = Annotated[
    str,
    Path(
        max_length=20, description="an area code, e.g. E08000039 (Sheffield) or TLC3", examples=["E08000039"]
    ),
]
LevelParam = Annotated[
    str | None, Query(max_length=20, description="the level of the areas returned (LAD, CTYUA, ...)")
]


def _level(value: str | None, release: str, param: str = "geoLevel") -> str | None:
    if value is None:
        return None
    code = geo.level_code(value)
    if code is None or code == "SMALL_AREA":
        raise Problem(
            400,
            "bad-request",
            f"{param}={value!r} is not a level; the levels are listed at /api/v1/geo/levels",
            release=release,
            parameter=param,
        )
    return code


def _refs(areas) -> list[dict]:
    return [a.as_dict() for a in areas]


@router.get(
    "/levels", response_model=GeoLevelsResponse, response_class=JSONBody, responses={**ok(), **OPEN_ERRORS}
)
def levels(request: Request, snap: OpenSnap):
    """The geography levels, with their ONS keys and how many areas each has."""
    return conditional(
        request,
        snap.release_id,
        lambda: json_response({"release": snap.release_id, "levels": geo.levels(snap)}),
    )


@router.get(
    "/lookup/{code}",
    response_model=LookupResponse,
    response_class=JSONBody,
    responses={**ok(), **OPEN_ERRORS},
)
def lookup(request: Request, code: Code, snap: OpenSnap):
    """An area's name, level(s) and parents."""

    def build():
        areas = geo.areas(snap)
        area = areas.get(code)
        if area is None:
            extra = areas.extra.get(code.upper())
            if extra is None:
                raise Problem(
                    404,
                    "unknown-code",
                    f"area code {code!r} is not in release {snap.release_id}: try /api/v1/geo/search/{{name}}",
                    release=snap.release_id,
                    unknown=[code],
                )
            name, level = extra
            body = {
                "area": {"areacd": code.upper(), "areanm": name, "geoLevel": level, "lads": 0},
                "levels": [level] if level else [],
                "is_standard_area": False,
                "parents": [],
            }
        else:
            body = {
                "area": area.as_dict(),
                "levels": [a.level for a in areas.by_code[area.code]],
                "is_standard_area": True,
                "parents": _refs(areas.parents(area)),
            }
        return json_response({"release": snap.release_id} | body)

    return conditional(request, snap.release_id, build)


@router.get(
    "/related/{code}",
    response_model=AllRelatedResponse,
    response_class=JSONBody,
    responses={**ok(), **OPEN_ERRORS},
)
def related(request: Request, code: Code, snap: OpenSnap):
    """Parents, children, siblings and (when published) similar areas, in one answer."""

    def build():
        areas = geo.areas(snap)
        area = areas.require(code, snap.release_id)
        similar = None
        if snap.has("similar_areas"):
            try:
                similar = _similar(snap, area.code, None, 10)["areas"]
            except Problem:
                similar = []
        return json_response(
            {
                "release": snap.release_id,
                "areacd": area.code,
                "parents": _refs(areas.parents(area)),
                "children": _refs(areas.children(area)[1]),
                "siblings": _refs(areas.siblings(area)[1]),
                "similar": similar,
            }
        )

    return conditional(request, snap.release_id, build)


@router.get(
    "/related/{code}/parents",
    response_model=RelatedResponse,
    response_class=JSONBody,
    responses={**ok(), **OPEN_ERRORS},
)
def parents(request: Request, code: Code, snap: OpenSnap, geoLevel: LevelParam = None):  # noqa: N803
    """The areas that contain this one (every coarser level), coarsest first; `geoLevel` keeps one level."""

    def build():
        areas = geo.areas(snap)
        area = areas.require(code, snap.release_id)
        level = _level(geoLevel, snap.release_id)
        found = [p for p in areas.parents(area) if level is None or p.level == level]
        return json_response(
            {"release": snap.release_id, "areacd": area.code, "relation": "parents", "geoLevel": level}
            | {"areas": _refs(found)}
        )

    return conditional(request, snap.release_id, build)


@router.get(
    "/related/{code}/children",
    response_model=RelatedResponse,
    response_class=JSONBody,
    responses={**ok(), **OPEN_ERRORS},
)
def children(request: Request, code: Code, snap: OpenSnap, geoLevel: LevelParam = None):  # noqa: N803
    """The areas inside this one, at the next level down (or at `geoLevel`)."""

    def build():
        areas = geo.areas(snap)
        area = areas.require(code, snap.release_id)
        level, found = areas.children(area, _level(geoLevel, snap.release_id))
        return json_response(
            {"release": snap.release_id, "areacd": area.code, "relation": "children", "geoLevel": level}
            | {"areas": _refs(found)}
        )

    return conditional(request, snap.release_id, build)


@router.get(
    "/related/{code}/siblings",
    response_model=RelatedResponse,
    response_class=JSONBody,
    responses={**ok(), **OPEN_ERRORS},
)
def siblings(
    request: Request,
    code: Code,
    snap: OpenSnap,
    parentLevel: Annotated[  # noqa: N803
        str | None, Query(max_length=20, description="the shared parent's level (default: region, or nation)")
    ] = None,
):
    """Areas of the same level that share this area's parent."""

    def build():
        areas = geo.areas(snap)
        area = areas.require(code, snap.release_id)
        plevel, found = areas.siblings(area, _level(parentLevel, snap.release_id, "parentLevel"))
        return json_response(
            {"release": snap.release_id, "areacd": area.code, "relation": "siblings", "geoLevel": area.level}
            | {"parentLevel": plevel, "areas": _refs(found)}
        )

    return conditional(request, snap.release_id, build)


def _similar(snap: Snapshot, code: str, model: str | None, limit: int) -> dict:
    snap.require("similar_areas")
    models = [r[0] for r in snap.sql("select distinct model from similar_areas order by 1")]
    if model is None:
        model = models[0] if models else ""
    elif model not in models:
        raise Problem(
            400,
            "bad-request",
            f"model {model!r} is not in release {snap.release_id}; models: {', '.join(models) or 'none'}",
            release=snap.release_id,
            parameter="model",
        )
    rows = snap.sql(
        """select neighbour_code, neighbour_name, rank, distance from similar_areas
           where model = ? and area_code = ? order by rank, neighbour_code limit ?""",
        [model, code, limit],
    )
    if not rows:
        raise Problem(
            404,
            "not-found",
            f"{code} has no similar areas in model {model!r} of release {snap.release_id}",
            release=snap.release_id,
        )
    cluster = None
    if snap.has("area_clusters"):
        found = snap.sql("select cluster from area_clusters where model = ? and area_code = ?", [model, code])
        cluster = found[0][0] if found else None
    return {
        "model": model,
        "models": models,
        "cluster": cluster,
        "areas": [{"areacd": r[0], "areanm": r[1], "rank": r[2], "distance": r[3]} for r in rows],
    }


@router.get(
    "/related/{code}/similar",
    response_model=SimilarResponse,
    response_class=JSONBody,
    responses={**ok(), **OPEN_ERRORS},
)
def similar(
    request: Request,
    code: Code,
    snap: OpenSnap,
    model: Annotated[
        str | None, Query(max_length=100, description="similarity model (default: the first)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
):
    """The most similar areas (nearest neighbours), from the release's similar-areas marts."""

    def build():
        snap.require("similar_areas")
        area = geo.areas(snap).get(code)
        target = area.code if area else code.upper()
        body = _similar(snap, target, model, limit)
        return json_response({"release": snap.release_id, "areacd": target} | body)

    return conditional(request, snap.release_id, build)


@router.get(
    "/search/{name}",
    response_model=SearchResponse,
    response_class=JSONBody,
    responses={**ok(), **OPEN_ERRORS},
)
def search(
    request: Request,
    name: Annotated[
        str,
        Path(
            min_length=1,
            max_length=100,
            description="part of an area name, or a code",
            examples=["Sheffield"],
        ),
    ],
    snap: OpenSnap,
    geoLevel: LevelParam = None,  # noqa: N803
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
):
    """Areas whose name matches (exact, then starts with, then a word starts with, then contains)."""

    def build():
        found = geo.areas(snap).search(name, _level(geoLevel, snap.release_id), limit)
        return json_response({"release": snap.release_id, "query": name, "areas": found})

    return conditional(request, snap.release_id, build)
