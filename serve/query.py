"""The data query engine behind `/api/v1/data.*`, `/provenance` and the mission routes.

Belongs here: parsing the ONS-style parameters (`indicator`, `geo`, `geoLevel`, `time`, `timeNearest`,
`measure`, ...) into a checked query (unknown indicators and codes are named; too many values is refused), the
SQL that answers it over one snapshot (parameters bound, never formatted in), the stable order every page
shares, and the row limit. Time semantics, per indicator (or metric):

    time=latest | earliest          the indicator's latest / earliest period among the selected areas (default)
    time=all                        every period
    time=2022 | 2022-04             periods that start in that year / month
    time=2022-06-30                 the period that contains that day
    time=2015,2020 | earliest,2019  periods starting within the range (bounds as above, inclusive)
    timeNearest=none|latest|earliest|any   when an indicator has no period at a single `time`: none; the
                                    latest period before it; the earliest after it; whichever is closer
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta

from serve.catalogue import HARMONISED, SOURCE, SOURCE_LEVEL_SQL, Indicator, indicators, known_codes
from serve.geo import level_code
from serve.problems import Problem
from serve.snapshot import Snapshot

TIME_TOKEN = re.compile(r"^(latest|earliest|all|\d{4}(-\d{2}(-\d{2})?)?)$")
MEASURES = {"value": "value", "lci": "lci_95", "uci": "uci_95"}

# Each data mart as the same set of columns (so one query serves both).
MART_SQL = {
    HARMONISED: """select feed_id, indicator, area_code, area_name, area_level as geo_level, period_raw,
        period_start, period_end, value, lci_95, uci_95, unit, status, is_derived, harmonisation_method,
        source_area_code, source_sha256, source_line from indicators_harmonised""",
    SOURCE: f"""select feed_id, indicator, area_code, area_name, {SOURCE_LEVEL_SQL} as geo_level, period_raw,
        period_start, period_end, value, lci_95, uci_95, unit, status, false as is_derived,
        'as published' as harmonisation_method, area_code as source_area_code, source_sha256, source_line
        from indicators""",
}


def split_values(values: list[str] | None) -> list[str]:
    """`a,b` and repeated parameters alike -> ['a', 'b'] (blanks dropped, order kept, duplicates removed)."""
    out: list[str] = []
    for v in values or []:
        for part in v.split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def check_count(values: list[str], limit: int, what: str, param: str, release: str) -> None:
    if len(values) > limit:
        raise Problem(
            400,
            "too-many-values",
            f"{len(values)} {what} in `{param}`; one request may name at most {limit}: split the request",
            release=release,
            parameter=param,
            limit=limit,
        )


# -- time ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TimeSpec:
    kind: str  # latest | earliest | all | point | range
    start: date | None = None
    end: date | None = None
    day: bool = False  # a single day: the period containing it


def _interval(token: str) -> tuple[date, date, bool]:
    parts = [int(p) for p in token.split("-")]
    if len(parts) == 1:
        return date(parts[0], 1, 1), date(parts[0], 12, 31), False
    if len(parts) == 2:
        first = date(parts[0], parts[1], 1)
        nxt = date(parts[0] + (parts[1] == 12), parts[1] % 12 + 1, 1)
        return first, nxt - timedelta(days=1), False
    d = date(*parts)
    return d, d, True


def parse_time(value: str | None, release: str) -> TimeSpec:
    raw = (value or "latest").strip().lower()
    tokens = [t.strip() for t in raw.split(",")]

    def bad(why: str) -> Problem:
        return Problem(
            400,
            "bad-request",
            f"time={value!r}: {why}. Use latest, earliest, all, YYYY, YYYY-MM, YYYY-MM-DD, or a range "
            "start,end (e.g. 2015,2020 or earliest,2019)",
            release=release,
            parameter="time",
        )

    if len(tokens) > 2 or not all(TIME_TOKEN.match(t) for t in tokens):
        raise bad("not a time")
    try:
        if len(tokens) == 1:
            t = tokens[0]
            if t in ("latest", "earliest", "all"):
                return TimeSpec(t)
            start, end, day = _interval(t)
            return TimeSpec("point", start, end, day)
        a, b = tokens
        if "all" in tokens or a == "latest" or b == "earliest":
            raise bad("a range is start,end with earliest only first and latest only last, never all")
        start = None if a == "earliest" else _interval(a)[0]
        end = None if b == "latest" else _interval(b)[1]
    except ValueError as exc:
        raise bad(str(exc)) from None
    if start and end and start > end:
        raise bad("the range starts after it ends")
    return TimeSpec("all") if start is None and end is None else TimeSpec("range", start, end)


def apply_time(base: str, params: list, spec: TimeSpec, nearest: str, partition: str) -> tuple[str, list]:
    """Wrap `base` (a select with period_start/period_end) so it keeps the periods `spec` asks for."""
    if spec.kind == "all":
        return base, params
    if spec.kind in ("latest", "earliest"):
        agg = "max" if spec.kind == "latest" else "min"
        return (
            f"select * from ({base}) qualify period_start = {agg}(period_start) over (partition by {partition})",
            params,
        )
    if spec.kind == "range":
        conds, extra = [], []
        if spec.start:
            conds.append("period_start >= ?")
            extra.append(spec.start)
        if spec.end:
            conds.append("period_start <= ?")
            extra.append(spec.end)
        return f"select * from ({base}) where {' and '.join(conds)}", params + extra
    if spec.day:
        match, mparams = "(? between period_start and coalesce(period_end, period_start))", [spec.start]
    else:
        match, mparams = "(period_start between ? and ?)", [spec.start, spec.end]
    if nearest == "none":
        return f"select * from ({base}) where {match}", params + mparams
    pick = {
        "latest": "_before",
        "earliest": "_after",
        "any": "case when _before is null then _after when _after is null then _before "
        "when date_diff('day', _before, ?::date) <= date_diff('day', ?::date, _after) then _before else _after end",
    }[nearest]
    pick_params = [spec.start, spec.end] if nearest == "any" else []
    sql = f"""select * exclude (_m, _any, _before, _after) from (
        select *, bool_or(_m) over w as _any,
               max(case when period_start <= ? then period_start end) over w as _before,
               min(case when period_start >= ? then period_start end) over w as _after
        from (select *, {match} as _m from ({base}))
        window w as (partition by {partition}))
      where _m or (not _any and period_start = {pick})"""
    # placeholders in text order: the window's bounds, the match, the base query's, then the pick's
    return sql, [spec.end, spec.start] + mparams + params + pick_params


# -- the data query --------------------------------------------------------------------------------------
@dataclass
class DataQuery:
    indicators: list[Indicator] | None
    codes: list[str] | None
    levels: list[str] | None
    time: TimeSpec
    nearest: str
    measures: list[str]
    include_names: bool
    include_status: bool
    mart: str
    limit: int | None
    offset: int


def build_data_query(
    snap: Snapshot,
    *,
    indicator: list[str] | None,
    geo: list[str] | None,
    geo_level: list[str] | None,
    time: str | None,
    time_nearest: str,
    measure: list[str] | None,
    include_names: bool,
    include_status: bool,
    mart: str,
    limit: int | None,
    offset: int,
    max_codes: int,
    max_indicators: int,
) -> DataQuery:
    rid = snap.release_id
    snap.require(mart)
    ids = split_values(indicator)
    check_count(ids, max_indicators, "indicators", "indicator", rid)
    chosen = None
    if ids and ids != ["all"]:
        index = indicators(snap)
        chosen, unknown = index.resolve(ids)
        if unknown:
            raise Problem(
                400,
                "unknown-indicator",
                f"unknown indicator(s) in release {rid}: {', '.join(unknown)}; "
                "the ids are listed at /api/v1/metadata/indicators",
                release=rid,
                unknown=unknown,
            )
    codes = [c.upper() for c in split_values(geo)]
    check_count(codes, max_codes, "area codes", "geo", rid)
    if codes:
        known = known_codes(snap)
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise Problem(
                400,
                "unknown-code",
                f"area code(s) not in release {rid}: {', '.join(unknown)}; find codes with /api/v1/geo/search/{{name}}",
                release=rid,
                unknown=unknown,
            )
    levels = []
    for lv in split_values(geo_level):
        code = level_code(lv)
        if code is None:
            raise Problem(
                400,
                "bad-request",
                f"geoLevel={lv!r} is not a level; the levels are listed at /api/v1/geo/levels",
                release=rid,
                parameter="geoLevel",
                unknown=[lv],
            )
        if code not in levels:
            levels.append(code)
    measures = split_values(measure) or list(MEASURES)
    if "all" in measures:
        measures = list(MEASURES)
    bad = [m for m in measures if m not in MEASURES]
    if bad:
        raise Problem(
            400,
            "bad-request",
            f"measure: {', '.join(bad)} not known; use value, lci, uci or all",
            release=rid,
            parameter="measure",
        )
    return DataQuery(
        indicators=chosen,
        codes=codes or None,
        levels=levels or None,
        time=parse_time(time, rid),
        nearest=time_nearest,
        measures=measures,
        include_names=include_names,
        include_status=include_status,
        mart=mart,
        limit=limit,
        offset=offset,
    )


def _filters(q: DataQuery) -> tuple[list[str], list]:
    where, params = [], []
    if q.indicators:
        where.append("(" + " or ".join("(feed_id = ? and indicator = ?)" for _ in q.indicators) + ")")
        for ind in q.indicators:
            params += [ind.feed_id, ind.label]
    if q.codes:
        where.append(f"area_code in ({', '.join('?' for _ in q.codes)})")
        params += q.codes
    if q.levels:
        where.append(f"geo_level in ({', '.join('?' for _ in q.levels)})")
        params += q.levels
    return where, params


ORDER = "indicator, feed_id, area_code, geo_level, period_start, period_end"
# The columns a data query can return (period_start / period_end as ISO dates).
FIELDS = (
    "feed_id",
    "indicator",
    "area_code",
    "area_name",
    "geo_level",
    "period_raw",
    "period_start",
    "period_end",
    "value",
    "lci_95",
    "uci_95",
    "unit",
    "status",
    "is_derived",
    "harmonisation_method",
    "source_area_code",
    "source_sha256",
    "source_line",
)
POS = {name: i for i, name in enumerate(FIELDS)}
# Requests that name their indicators are answered from an in-memory index of the harmonised mart, built once
# per release (in the background: until it is ready, and for `mart=indicators` or all indicators, by SQL). Both
# give the same rows in the same order (tests/test_api_routes.py compares them). Tests switch it off here.
FAST_PATH = True


def _expr(name: str) -> str:
    return f"cast({name} as varchar)" if name in ("period_start", "period_end") else name


@dataclass(frozen=True)
class IndicatorRows:
    """One indicator's harmonised rows in FIELDS order (+ period_start, period_end as dates), in ORDER."""

    rows: list
    by_area: dict  # area_code -> its rows, in ORDER


def _fact_name(ind: Indicator) -> str:
    return f"series:{ind.feed_id}\x1f{ind.label}"


def _load_rows(snap: Snapshot, ind: Indicator) -> IndicatorRows:
    cols = ", ".join(_expr(f) for f in FIELDS)
    rows = snap.sql(
        f"""select {cols}, period_start, period_end from ({MART_SQL[HARMONISED]})
            where feed_id = ? and indicator = ? order by {ORDER}""",
        [ind.feed_id, ind.label],
    )
    by_area: dict = {}
    for r in rows:
        by_area.setdefault(r[2], []).append(r)
    return IndicatorRows(rows, by_area)


def indicator_rows(snap: Snapshot, ind: Indicator) -> IndicatorRows:
    """An indicator's rows, loaded now if need be (the release watcher loads them before requests need them)."""
    snap.handle.start_once(_fact_name(ind))
    return snap.fact(_fact_name(ind), lambda s: _load_rows(s, ind))


def warm_rows(snap: Snapshot) -> None:
    """Load every indicator's rows, one indicator at a time (short steps, so requests keep being answered)."""
    if not snap.has(HARMONISED):
        return
    for ind in indicators(snap).items:
        indicator_rows(snap, ind)
        time.sleep(0.001)


def rows_ready(snap: Snapshot, ind: Indicator) -> IndicatorRows | None:
    """The indicator's rows if loaded; otherwise None, and they are loaded in the background (a request never
    waits for them: it is answered by SQL meanwhile)."""
    name = _fact_name(ind)
    found = snap.handle.peek(name)
    if found is not None or not snap.has(HARMONISED):
        return found
    if snap.handle.start_once(name):
        store, rid = snap.store, snap.release_id

        def load():
            try:
                other = store.open(rid)
            except Problem:
                return
            try:
                other.fact(name, lambda s: _load_rows(s, ind))
            finally:
                other.close()

        threading.Thread(target=load, name=f"levelup-rows-{rid}", daemon=True).start()
    return None


def _time_filter(rows: list[tuple], spec: TimeSpec, nearest: str) -> list[tuple]:
    """`apply_time` over rows of one (feed_id, indicator), in Python: the same semantics as the SQL."""
    ps, pe = len(FIELDS), len(FIELDS) + 1
    if spec.kind == "all" or not rows:
        return rows
    if spec.kind in ("latest", "earliest"):
        starts = [r[ps] for r in rows if r[ps] is not None]
        if not starts:
            return []
        pick = max(starts) if spec.kind == "latest" else min(starts)
        return [r for r in rows if r[ps] == pick]
    if spec.kind == "range":
        return [
            r
            for r in rows
            if r[ps] is not None
            and (spec.start is None or r[ps] >= spec.start)
            and (spec.end is None or r[ps] <= spec.end)
        ]
    if spec.day:
        matched = [
            r
            for r in rows
            if r[ps] is not None and r[ps] <= spec.start <= (r[pe] if r[pe] is not None else r[ps])
        ]
    else:
        matched = [r for r in rows if r[ps] is not None and spec.start <= r[ps] <= spec.end]
    if matched or nearest == "none":
        return matched
    before = max((r[ps] for r in rows if r[ps] is not None and r[ps] <= spec.end), default=None)
    after = min((r[ps] for r in rows if r[ps] is not None and r[ps] >= spec.start), default=None)
    if nearest == "latest":
        pick = before
    elif nearest == "earliest" or before is None:
        pick = after
    elif after is None:
        pick = before
    else:
        pick = before if (spec.start - before).days <= (after - spec.end).days else after
    return [r for r in rows if pick is not None and r[ps] == pick]


def _fast_rows(snap: Snapshot, q: DataQuery) -> list[tuple] | None:
    if not FAST_PATH or q.mart != HARMONISED or not q.indicators:
        return None
    loaded = {ind: rows_ready(snap, ind) for ind in q.indicators}
    if any(v is None for v in loaded.values()):
        return None
    levels = set(q.levels) if q.levels else None
    level = POS["geo_level"]
    codes = sorted(set(q.codes)) if q.codes else None
    out: list[tuple] = []
    # ORDER is indicator, feed_id, area_code, then level and period within an area: concatenating the loaded
    # (already ordered) rows in that order needs no sort.
    for ind in sorted(q.indicators, key=lambda i: (i.label, i.feed_id)):
        series = loaded[ind]
        rows = [r for c in codes for r in series.by_area.get(c, ())] if codes is not None else series.rows
        if levels is not None:
            rows = [r for r in rows if r[level] in levels]
        out += _time_filter(rows, q.time, q.nearest)
    return out


def page_size(limit: int | None, max_rows: int, release: str) -> int:
    """The page a caller asked for (`limit`), or the largest one; 400 when it is above the largest page."""
    page = limit if limit is not None else max_rows
    if page > max_rows:
        raise Problem(
            400,
            "bad-request",
            f"limit={page} is above the largest page, {max_rows} rows",
            release=release,
            parameter="limit",
            limit=max_rows,
        )
    return page


def page_rows(snap: Snapshot, sql: str, params: list, *, select: str, order_by: str, page: int, offset: int):
    """(the page of `select` over the query `sql`, in `order_by` order; the query's total rows). The total comes
    with the page in one scan; only a page past the end costs a second count."""
    rows = snap.sql(
        f"select {select}, count(*) over () as _total from ({sql}) order by {order_by} limit ? offset ?",
        params + [page, offset],
    )
    if rows:
        total = rows[0][-1]
    elif offset:
        total = snap.sql(f"select count(*) from ({sql})", params)[0][0]
    else:
        total = 0
    return [r[:-1] for r in rows], total


def check_not_too_large(limit: int | None, total: int, max_rows: int, release: str) -> None:
    """413 when no page was asked for (`limit` unset) and the whole result is above the row limit."""
    if limit is None and total > max_rows:
        raise too_large(total, max_rows, release)


def run_rows(snap: Snapshot, q: DataQuery, columns: list[str], max_rows: int) -> tuple[list[tuple], int, int]:
    """(rows of `columns` (names from FIELDS) for the page, total rows, page size). Raises 413 when the
    result needs narrowing, 400 when the page asked for is above the row limit."""
    limit = page_size(q.limit, max_rows, snap.release_id)
    fast = _fast_rows(snap, q)
    if fast is not None:
        total = len(fast)
        idx = [POS[c] for c in columns]
        rows = [tuple(r[i] for i in idx) for r in fast[q.offset : q.offset + limit]]
    else:
        where, params = _filters(q)
        base = f"select * from ({MART_SQL[q.mart]})" + (f" where {' and '.join(where)}" if where else "")
        sql, params = apply_time(base, params, q.time, q.nearest, "feed_id, indicator")
        select = ", ".join(_expr(c) for c in columns)
        rows, total = page_rows(snap, sql, params, select=select, order_by=ORDER, page=limit, offset=q.offset)
    check_not_too_large(q.limit, total, max_rows, snap.release_id)
    return rows, total, limit


def too_large(total: int, max_rows: int, release: str) -> Problem:
    return Problem(
        413,
        "result-too-large",
        f"the result has {total} rows, above the limit of {max_rows} per response: narrow it with indicator, "
        "geo, geoLevel or time (e.g. time=latest), or page through it with limit and offset",
        release=release,
        rows=total,
        limit=max_rows,
        narrow=["indicator", "geo", "geoLevel", "time", "limit+offset"],
    )


def data_rows(snap: Snapshot, q: DataQuery, max_rows: int) -> tuple[list[dict], int, int, list[str]]:
    """The page of data rows as dicts, the total, the page size and the column order (for CSV)."""
    cols = [
        "feed_id",
        "indicator",
        "area_code",
        "area_name",
        "geo_level",
        "period_raw",
        "period_start",
        "period_end",
        *[MEASURES[m] for m in q.measures],
        "unit",
        "status",
        "is_derived",
    ]
    rows, total, limit = run_rows(snap, q, cols, max_rows)
    by_key = indicators(snap).by_key
    names = ["indicator", "areacd"]
    if q.include_names:
        names.append("areanm")
    names += ["geoLevel", "period", "period_start", "period_end", *q.measures, "unit"]
    if q.include_status:
        names.append("status")
    names += ["is_derived", "feed_id"]
    out = []
    nm = len(q.measures)
    for r in rows:
        ind = by_key.get((r[0], r[1]))
        d = {"indicator": ind.id if ind else r[1], "areacd": r[2]}
        if q.include_names:
            d["areanm"] = r[3]
        d.update(geoLevel=r[4], period=r[5], period_start=r[6], period_end=r[7])
        for i, m in enumerate(q.measures):
            d[m] = r[8 + i]
        d["unit"] = r[8 + nm]
        if q.include_status:
            d["status"] = r[9 + nm]
        d["is_derived"] = r[10 + nm]
        d["feed_id"] = r[0]
        out.append(d)
    return out, total, limit, names
