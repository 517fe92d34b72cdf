"""`/api/v1/releases` and `/api/v1/releases/{id}`: the retained open releases and their manifests.

Belongs here: the release listing routes (read from each release's `manifest.json`, never modified).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from serve.http import JSONBody, conditional, json_response
from serve.models import ReleaseDetail, ReleasesResponse
from serve.problems import Problem
from serve.routes.common import OPEN_ERRORS, Caller, ok

router = APIRouter(prefix="/api/v1/releases", tags=["releases"])


def summary(rid: str, manifest: dict, current: str | None) -> dict:
    marts = {name: (m or {}).get("status", "unknown") for name, m in (manifest.get("marts") or {}).items()}
    return {
        "id": rid,
        "is_current": rid == current,
        "created_at": manifest.get("created_at"),
        "code_version": manifest.get("code_version"),
        "previous_release": manifest.get("previous_release"),
        "marts": marts,
        "held_back": sorted(n for n, st in marts.items() if st in ("carried_over", "withheld")),
    }


@router.get("", response_model=ReleasesResponse, response_class=JSONBody, responses={**ok(), **OPEN_ERRORS})
def releases(request: Request, _: Caller):
    """The retained releases, newest first; `release` is the current one. Any of them can be read with
    `?release=<id>` on every route."""
    store = request.app.state.releases
    current = store.current_id()
    ids = store.release_ids()

    def build():
        items = [summary(rid, store.manifest(rid) or {}, current) for rid in reversed(ids)]
        return json_response({"release": current, "releases": items})

    return conditional(request, current or "none", build, variant=",".join(ids))


@router.get(
    "/{release_id}", response_model=ReleaseDetail, response_class=JSONBody, responses={**ok(), **OPEN_ERRORS}
)
def release(request: Request, release_id: Annotated[str, Path(max_length=64)], _: Caller):
    """One retained release's manifest: sources, marts (and why any is held back), checks, exports."""
    store = request.app.state.releases
    if release_id not in store.release_ids():
        raise store.not_found(release_id)
    manifest = store.manifest(release_id)
    if manifest is None:
        raise Problem(404, "release-not-found", f"release {release_id!r} has no readable manifest")
    current = store.current_id()
    return conditional(
        request,
        release_id,
        lambda: json_response(
            {"release": release_id, "is_current": release_id == current, "manifest": manifest}
        ),
        variant=str(release_id == current),
    )
