"""`/api/v1/missions`, `/missions/{n}` and `/missions/{n}/gaps`: the 12 Levelling Up missions' metrics and gaps.

Belongs here: the mission routes; they read the `mission_metrics`, `mission_gaps` and `mission_gap_groups`
marts of the snapshot.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from serve.http import JSONBody, conditional, json_response, page_links
from serve.models import GapsResponse, MissionResponse, MissionsResponse
from serve.problems import Problem
from serve.query import (
    apply_time,
    check_count,
    check_not_too_large,
    page_rows,
    page_size,
    parse_time,
    split_values,
    too_large,
)
from serve.routes.common import OPEN_ERRORS, LimitParam, OffsetParam, OpenSnap, ok
from serve.snapshot import Snapshot

router = APIRouter(prefix="/api/v1/missions", tags=["missions"])

NAMES = {
    1: "Living standards",
    2: "Research and development",
    3: "Transport infrastructure",
    4: "Digital connectivity",
    5: "Education",
    6: "Skills",
    7: "Health",
    8: "Well-being",
    9: "Pride in place",
    10: "Housing",
    11: "Crime",
    12: "Local leadership",
}
# the API's level codes -> mission_metrics.geography_level
MISSION_LEVELS = {
    "LAD": ["lower_tier_la"],
    "CTYUA": ["upper_tier_la"],
    "RGN": ["region"],
    "ITL1": ["itl1"],
    "PFA": ["police_force_area"],
    "CTRY": ["country", "nation"],
}
MissionNo = Annotated[int, Path(description="mission number, 1 to 12", examples=[7])]
Multi = Annotated[list[str] | None, Query(description="comma-separated or repeated")]


def _mission(n: int, release: str) -> str:
    if n not in NAMES:
        raise Problem(
            404, "not-found", f"there is no mission {n}: missions are numbered 1 to 12", release=release
        )
    return NAMES[n]


def _metrics(snap: Snapshot, n: int, requested: list[str], s) -> list[str]:
    known = [
        r[0]
        for r in snap.sql("select distinct metric_id from mission_metrics where mission = ? order by 1", [n])
    ]
    known += [
        r[0]
        for r in (
            snap.sql("select distinct metric_id from mission_gaps where mission = ? order by 1", [n])
            if snap.has("mission_gaps")
            else []
        )
        if r[0] not in known
    ]
    check_count(requested, s.api_max_indicators, "metrics", "metric", snap.release_id)
    unknown = [m for m in requested if m not in known]
    if unknown:
        raise Problem(
            400,
            "unknown-metric",
            f"metric(s) not in mission {n} of release {snap.release_id}: {', '.join(unknown)}; "
            f"mission {n} has: {', '.join(known)}",
            release=snap.release_id,
            unknown=unknown,
        )
    return requested


@router.get("", response_model=MissionsResponse, response_class=JSONBody, responses={**ok(), **OPEN_ERRORS})
def missions(request: Request, snap: OpenSnap):
    """The 12 missions, with how many metrics each has and how many are available."""

    def build():
        snap.require("mission_metrics")
        counts = {
            m: (n, a)
            for m, n, a in snap.sql(
                """select mission, count(distinct metric_id),
                          count(distinct metric_id) filter (where status <> 'not_available')
                   from mission_metrics group by 1"""
            )
        }
        items = [
            {
                "mission": n,
                "name": name,
                "metrics": counts.get(n, (0, 0))[0],
                "available_metrics": counts.get(n, (0, 0))[1],
            }
            for n, name in NAMES.items()
        ]
        return json_response({"release": snap.release_id, "missions": items})

    return conditional(request, snap.release_id, build)


@router.get(
    "/{n}", response_model=MissionResponse, response_class=JSONBody, responses={**ok(), **OPEN_ERRORS}
)
def mission(
    request: Request,
    n: MissionNo,
    snap: OpenSnap,
    metric: Multi = None,
    geo: Multi = None,
    geoLevel: Multi = None,  # noqa: N803
    time: Annotated[str | None, Query(max_length=40, description="as in data.json; default: all")] = None,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
):
    """A mission's metrics (what each is, whether it is available, at which levels) and their values."""

    def build():
        name = _mission(n, snap.release_id)
        snap.require("mission_metrics")
        s = request.app.state.settings
        metrics = _metrics(snap, n, split_values(metric), s)
        codes = [c.upper() for c in split_values(geo)]
        check_count(codes, s.api_max_codes, "area codes", "geo", snap.release_id)
        levels: list[str] = []
        for lv in split_values(geoLevel):
            mapped = MISSION_LEVELS.get(lv.upper()) or (
                [lv.lower()] if lv.lower() in _mission_levels(snap) else None
            )
            if mapped is None:
                raise Problem(
                    400,
                    "bad-request",
                    f"geoLevel={lv!r} is not a mission geography level; use one of "
                    f"{', '.join(sorted(_mission_levels(snap)))} or LAD, CTYUA, RGN, ITL1, PFA, CTRY",
                    release=snap.release_id,
                    parameter="geoLevel",
                )
            levels += mapped
        where, params = ["mission = ?"], [n]
        if metrics:
            where.append(f"metric_id in ({', '.join('?' for _ in metrics)})")
            params += metrics
        if codes:
            where.append(f"area_code in ({', '.join('?' for _ in codes)})")
            params += codes
        if levels:
            where.append(f"geography_level in ({', '.join('?' for _ in levels)})")
            params += levels
        base = f"select * from mission_metrics where {' and '.join(where)}"
        sql, params = apply_time(
            base, params, parse_time(time or "all", snap.release_id), "none", "metric_id"
        )
        page = page_size(limit, s.api_max_rows, snap.release_id)
        cols = snap.columns("mission_metrics")
        order = "metric_id, area_code, geography_level, period_start, period_end"
        rows, total = page_rows(snap, sql, params, select="*", order_by=order, page=page, offset=offset)
        check_not_too_large(limit, total, s.api_max_rows, snap.release_id)
        data = []
        for r in rows:
            d = dict(zip(cols, r, strict=True))
            d["areacd"], d["areanm"] = d.pop("area_code", None), d.pop("area_name", None)
            for k in ("period_start", "period_end"):
                d[k] = d[k].isoformat() if d.get(k) is not None else None
            data.append(d)
        return json_response(
            {"release": snap.release_id, "mission": n, "name": name, "metrics": _summaries(snap, n)}
            | {"total": total, "limit": page, "offset": offset}
            | page_links(request, snap.release_id, total, page, offset)
            | {"data": data}
        )

    return conditional(request, snap.release_id, build)


def _mission_levels(snap: Snapshot) -> set[str]:
    return snap.fact(
        "mission_levels",
        lambda s: {r[0] for r in s.sql("select distinct geography_level from mission_metrics")},
    )


def _summaries(snap: Snapshot, n: int) -> list[dict]:
    rows = snap.sql(
        """select metric_id, any_value(metric_name), any_value(metric_kind), any_value(unit), bool_or(is_proxy),
                  any_value(coverage), bool_or(status <> 'not_available'),
                  any_value(status_reason) filter (where status = 'not_available'),
                  list(distinct geography_level order by geography_level),
                  cast(min(period_start) as varchar), cast(max(period_start) as varchar), count(*)
           from mission_metrics where mission = ? group by metric_id order by metric_id""",
        [n],
    )
    names = [
        "metric_id",
        "metric_name",
        "metric_kind",
        "unit",
        "is_proxy",
        "coverage",
        "available",
        "status_reason",
        "geography_levels",
        "first_period",
        "last_period",
        "rows",
    ]
    out = []
    for r in rows:
        d = dict(zip(names, r, strict=True))
        d["geography_levels"] = [g for g in d["geography_levels"] if g is not None]
        out.append(d)
    return out


@router.get(
    "/{n}/gaps", response_model=GapsResponse, response_class=JSONBody, responses={**ok(), **OPEN_ERRORS}
)
def gaps(
    request: Request,
    n: MissionNo,
    snap: OpenSnap,
    metric: Multi = None,
    time: Annotated[str | None, Query(max_length=40, description="as in data.json; default: all")] = None,
    includeGroups: Annotated[bool, Query(description="add the areas of each gap's groups")] = False,  # noqa: N803
):
    """A mission's gap metrics (top vs the rest, per period), optionally with the areas in each group."""

    def build():
        name = _mission(n, snap.release_id)
        snap.require("mission_gaps")
        s = request.app.state.settings
        metrics = _metrics(snap, n, split_values(metric), s)
        spec = parse_time(time or "all", snap.release_id)
        out = {"release": snap.release_id, "mission": n, "name": name}
        where, params = ["mission = ?"], [n]
        if metrics:
            where.append(f"metric_id in ({', '.join('?' for _ in metrics)})")
            params += metrics
        sql, p = apply_time(
            f"select * from mission_gaps where {' and '.join(where)}", params, spec, "none", "metric_id"
        )
        cols = snap.columns("mission_gaps")
        rows = snap.sql(f"select * from ({sql}) order by metric_id, period_start", p)
        out["total"] = len(rows)
        out["data"] = [_jsonable(dict(zip(cols, r, strict=True))) for r in rows]
        if includeGroups:
            snap.require("mission_gap_groups")
            gsql, gp = apply_time(
                f"select * from mission_gap_groups where {' and '.join(where)}",
                params,
                spec,
                "none",
                "metric_id",
            )
            gcols = snap.columns("mission_gap_groups")
            grows = snap.sql(
                f"select *, count(*) over () from ({gsql}) order by metric_id, period_start, group_name, rank, area_code"
                " limit ?",
                gp + [s.api_max_rows + 1],
            )
            if grows and grows[0][-1] > s.api_max_rows:
                raise too_large(grows[0][-1], s.api_max_rows, snap.release_id)
            out["groups"] = [_jsonable(dict(zip(gcols, r[:-1], strict=True))) for r in grows]
        return json_response(out)

    return conditional(request, snap.release_id, build)


def _jsonable(d: dict) -> dict:
    for k, v in d.items():
        if hasattr(v, "isoformat"):
            d[k] = v.isoformat()
    if "area_code" in d:
        d["areacd"], d["areanm"] = d.pop("area_code"), d.pop("area_name", None)
    return d
