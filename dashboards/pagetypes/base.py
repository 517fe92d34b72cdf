"""What every dashboard page is: its filters (bound to URL query parameters), its content, its queries.

Belongs here: `Page` (the interface the app, the CSV route, the checker and the static export use), `Filter`
and `Option`, the `PageContext` a page reads through (one release, one connection, the caller's role), and
`QueryCheck` (a query the checker runs with LIMIT 0 and the columns it must return). Filters are independent of
each other: their options depend on the release only, so the app renders them once per page load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

if TYPE_CHECKING:
    from dashboards.release import ReleaseData


class PageError(RuntimeError):
    """A page cannot be shown (a query failed, a mart is missing); the message names the page and the cause."""


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass
class Filter:
    name: str  # the URL query parameter
    label: str
    options: list[Option]
    value: str | list[str] | None
    kind: str = "select"  # select (searchable) | multi | radio
    help: str | None = None

    def resolve(self, raw: list[str] | None) -> tuple[str | list[str] | None, str | None]:
        """The value for URL values `raw` (invalid values fall back to the default); and a notice if any."""
        allowed = {o.value for o in self.options}
        if not raw:
            return self.value, None
        if self.kind == "multi":
            values = [v for part in raw for v in ([part] if part in allowed else part.split(",")) if v]
            good = [v for v in dict.fromkeys(values) if v in allowed]
            bad = [v for v in values if v not in allowed]
            notice = f"{self.label}: ignored unknown value(s) {', '.join(bad)}" if bad else None
            return good, notice
        v = raw[0]
        if v in allowed:
            return v, None
        return self.value, f"{self.label}: unknown value {v!r}; showing the default"


@dataclass
class QueryCheck:
    page: str
    name: str
    sql: str
    params: dict = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)  # component label -> columns it needs
    reads: set[str] = field(default_factory=set)  # marts; the check reports the page unavailable without them
    optional: bool = False  # part of a page that degrades when its marts are absent
    restricted: bool = False


@dataclass
class PageContext:
    data: ReleaseData
    con: duckdb.DuckDBPyConnection
    role: str = "public"
    release_param: str | None = None  # the ?release= the request asked for (kept in links)

    @property
    def release_id(self) -> str:
        return self.data.release_id

    @property
    def tables(self) -> set[str]:
        return self.data.tables

    @property
    def catalogue(self):
        return self.data.catalogue

    def df(self, sql: str, params: dict | list | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or {}).df()

    def rows(self, sql: str, params: dict | list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or {}).fetchall()

    def href(self, path: str, **params) -> str:
        """A link inside the dashboards that keeps the pinned release, if any."""
        from urllib.parse import urlencode

        q = {k: v for k, v in params.items() if v not in (None, "", [])}
        if self.release_param:
            q["release"] = self.release_param
        return path + ("?" + urlencode(q, doseq=True) if q else "")


class Page:
    """A dashboard page. Subclasses set the attributes and implement `filters` and `content`."""

    id: str = ""
    path: str = ""
    title: str = ""
    description: str = ""
    kind: str = ""
    access: str = "open"  # open | cleared
    owner: str | None = None
    source_file: str | None = None
    reads: frozenset[str] = frozenset()  # marts the page needs (absent: the page says so)

    def filters(self, ctx: PageContext) -> list[Filter]:
        return []

    def content(self, ctx: PageContext, values: dict) -> list:
        raise NotImplementedError

    def checks(self) -> list[QueryCheck]:
        return []

    def missing(self, ctx: PageContext) -> list[str]:
        return sorted(self.reads - ctx.tables)

    def title_for(self, ctx: PageContext, values: dict) -> str:
        return self.title
