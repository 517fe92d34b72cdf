"""Validation of every dashboard page against a release: a broken query or an unknown column fails, naming the
page (and its file), the query and the column, so a bad page never reaches a release.

Belongs here: `check_pages` (each page's filters' option queries run, each query run as
`select * from (<sql>) limit 0` with its default parameters, and the columns every component uses looked up in
the query's result), the report it returns (per page: ok / failed / unavailable, and why), and its text and JSON
forms. A page that reads a mart the release withheld is *unavailable*, not failed: that is a data problem the
release manifest already reports. A table that no mart of the release is called is a failure.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field

from dashboards.pagetypes import PageSet
from dashboards.pagetypes.base import Page, PageContext, PageError, QueryCheck
from dashboards.pagetypes.declarative import DeclarativePage
from dashboards.release import ReleaseData
from dashboards.spec import params_of

COLUMN = re.compile(r'Referenced column "([^"]+)" not found|does not have a column named "([^"]+)"')
TABLE = re.compile(r"Table with name (\S+) does not exist")


class DashboardCheckError(RuntimeError):
    """At least one page failed its check; the message lists every failure."""


@dataclass
class PageReport:
    page: str
    title: str
    kind: str
    file: str | None
    access: str
    template: bool
    status: str = "ok"  # ok | failed | unavailable
    queries: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class CheckReport:
    release_id: str
    pages: list[PageReport]
    seconds: float
    load_errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.load_errors and all(p.status != "failed" for p in self.pages)

    def failures(self) -> list[str]:
        out = [err for _name, err in sorted(self.load_errors.items())]
        for p in self.pages:
            out += p.problems
        return out

    def as_dict(self) -> dict:
        return {
            "release_id": self.release_id,
            "ok": self.ok,
            "seconds": round(self.seconds, 2),
            "load_errors": self.load_errors,
            "pages": [asdict(p) for p in self.pages],
        }

    def text(self) -> str:
        lines = [f"dashboards check on release {self.release_id}: {'OK' if self.ok else 'FAILED'}"]
        for name, err in sorted(self.load_errors.items()):
            lines.append(f"  FAILED  {name}: {err}")
        for p in self.pages:
            where = f" ({p.file})" if p.file else ""
            lines.append(f"  {p.status.upper():<11} {p.page}{where}: {p.queries} queries")
            lines += [f"      {m}" for m in p.problems + p.notes]
        lines.append(f"  {len(self.pages)} pages checked in {self.seconds:.2f} s")
        return "\n".join(lines)


def _limit0(sql: str) -> str:
    return f"select * from ({sql.strip().rstrip(';')}) as page_query limit 0"


def _name(page: Page) -> str:
    return f"page {page.id!r}" + (f" ({page.source_file})" if page.source_file else "")


def _run_check(ctx: PageContext, page: Page, q: QueryCheck, params: dict, report: PageReport) -> None:
    bound = {p: params.get(p) for p in params_of(q.sql)}
    try:
        cur = ctx.con.execute(_limit0(q.sql), bound)
        columns = [d[0] for d in cur.description]
        cur.fetchall()
    except Exception as exc:  # noqa: BLE001 - every DuckDB error is a page problem, reported by name
        first = str(exc).splitlines()[0]
        col = COLUMN.search(str(exc))
        tab = TABLE.search(str(exc))
        what = (
            f"unknown column {(col.group(1) or col.group(2))!r}"
            if col
            else f"unknown table {tab.group(1)}"
            if tab
            else "error"
        )
        report.problems.append(f"{_name(page)}, query {q.name!r}: {what}: {first}")
        return
    for component, needed in q.columns.items():
        missing = [c for c in needed if c not in columns]
        for c in missing:
            report.problems.append(
                f"{_name(page)}, query {q.name!r}, {component}: unknown column {c!r} (the query returns "
                f"{', '.join(columns)})"
            )


def check_page(page: Page, data: ReleaseData, known_marts: set[str], *, template: bool = False) -> PageReport:
    report = PageReport(page.id, page.title, page.kind, page.source_file, page.access, template)
    checks = page.checks()
    report.queries = len(checks)
    if page.access != "cleared" and getattr(page, "reads_restricted", None):
        report.status = "failed"
        report.problems.append(
            f"{_name(page)}: an open page reads restricted table(s) {sorted(page.reads_restricted)}; "
            "set `access: cleared` (the page is then served to the cleared role only)"
        )
        return report
    needs_restricted = page.access == "cleared" or any(q.restricted for q in checks)
    if needs_restricted and not data.restricted_tables:
        report.status = "unavailable"
        report.notes.append("needs the cleared release (restricted zone), which is not there: not checked")
        return report
    absent = page.reads - data.tables - set(data.restricted_tables)
    if isinstance(page, DeclarativePage):  # a YAML page naming a table no mart is called: a bug in the page
        unknown, withheld = sorted(absent - known_marts), sorted(absent & known_marts)
    else:  # a built-in page: its marts are the platform's own; absent means withheld (or not built yet)
        unknown, withheld = [], sorted(absent)
    if unknown:
        report.problems.append(
            f"{_name(page)}: reads table(s) {unknown}, which are not marts of this release"
        )
    if withheld:
        report.status = "unavailable"
        report.notes.append(f"reads mart(s) {withheld}, not in this release: the page says so when opened")
        return report
    with data.connect() as con:
        ctx = PageContext(data, con, role="cleared" if needs_restricted else "public")
        params: dict = {}
        if isinstance(page, DeclarativePage):
            try:
                params = {f.name: f.value for f in page.filters(ctx)}
            except PageError as exc:
                report.problems.append(f"{_name(page)}: {exc}")
        for q in checks:
            if q.optional and not q.reads <= data.tables:
                report.notes.append(
                    f"query {q.name!r} skipped: optional mart(s) {sorted(q.reads - data.tables)} absent"
                )
                continue
            if q.reads - data.tables - set(data.restricted_tables) and not q.restricted:
                continue  # already reported as unknown tables
            _run_check(ctx, page, q, {**q.params, **params}, report)
    if report.problems:
        report.status = "failed"
    return report


def check_pages(pageset: PageSet, data: ReleaseData, known_marts: set[str] | None = None) -> CheckReport:
    """Check every page (built-in, YAML, templates) against the release `data` was opened on. `known_marts`:
    every mart the release plans (manifest or publisher statuses), published or withheld."""
    started = time.perf_counter()
    known = set(known_marts or ()) | data.tables
    loaded = pageset.loaded()
    reports = [check_page(p, data, known) for p in pageset.builtin]
    reports += [check_page(p, data, known) for p in loaded.pages]
    reports += [check_page(p, data, known, template=True) for p in loaded.templates]
    return CheckReport(data.release_id, reports, time.perf_counter() - started, dict(loaded.errors))


def check_release(release_dir, *, known_marts: set[str] | None = None, settings=None) -> CheckReport:
    """Check every page against the release folder `release_dir` (with the cleared release attached when there
    is one, for the cleared pages); `known_marts` default: the marts its manifest lists."""
    from pathlib import Path

    from core.releases import read_manifest
    from core.settings import get_settings
    from dashboards.release import cleared_release_dir

    settings = settings or get_settings()
    release_dir = Path(release_dir)
    if known_marts is None and (release_dir / "manifest.json").exists():
        known_marts = set(read_manifest(release_dir).get("marts", {}))
    data = ReleaseData(release_dir, cleared_release_dir(settings))
    try:
        return check_pages(PageSet(lambda: settings.dashboards_pages_dir), data, known_marts)
    finally:
        data.close()
