"""The page types and the set of pages the dashboards serve.

Belongs here: `builtin_pages()` (area profile, indicator explorer, mission dashboards, custom areas),
`PageSet` (the built-in pages plus every YAML page of the pages folder, re-read whenever a file there is added,
removed or edited: a new page appears on the next request, no restart), and the index page listing them all.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from dashboards.blocks import Column, Links, Section, Table, Text
from dashboards.catalogue import LEVELS
from dashboards.pagetypes.area_profile import AreaProfile
from dashboards.pagetypes.base import Page, PageContext
from dashboards.pagetypes.custom_areas import CustomAreas
from dashboards.pagetypes.declarative import DeclarativePage
from dashboards.pagetypes.indicator_explorer import IndicatorExplorer
from dashboards.pagetypes.missions import MissionDashboard
from dashboards.spec import SpecError, folder_signature, is_template, load_page, page_files


def builtin_pages() -> list[Page]:
    return [AreaProfile(), IndicatorExplorer(), MissionDashboard(), CustomAreas()]


@dataclass
class LoadedPages:
    signature: tuple
    pages: list[Page]  # served (templates excluded)
    templates: list[Page]
    errors: dict[str, str]  # file name -> why it could not be loaded


def load_folder(folder: Path) -> LoadedPages:
    pages, templates, errors = [], [], {}
    seen: dict[str, str] = {}
    for path in page_files(folder):
        try:
            page = DeclarativePage(load_page(path), source_file=path.name)
        except (SpecError, Exception) as exc:  # noqa: BLE001 - a bad file must not take the others down
            errors[path.name] = str(exc)
            continue
        if is_template(path):
            templates.append(page)
            continue
        if page.id in seen:
            errors[path.name] = f"{path.name}: page id {page.id!r} is already used by {seen[page.id]}"
            continue
        seen[page.id] = path.name
        pages.append(page)
    return LoadedPages(folder_signature(folder), pages, templates, errors)


class PageSet:
    """Built-in pages + the pages folder, re-read when the folder changes."""

    def __init__(self, folder_factory):
        self._folder_factory = folder_factory
        self._builtin = builtin_pages()
        self._loaded: LoadedPages | None = None
        self._folder: Path | None = None
        self._lock = threading.Lock()

    def loaded(self) -> LoadedPages:
        folder = Path(self._folder_factory())
        sig = folder_signature(folder)
        with self._lock:
            if self._loaded is None or self._loaded.signature != sig or self._folder != folder:
                self._loaded = load_folder(folder)
                self._folder = folder
            return self._loaded

    @property
    def builtin(self) -> list[Page]:
        return self._builtin

    def pages(self) -> list[Page]:
        return [*self._builtin, *self.loaded().pages]

    def by_path(self, path: str) -> Page | None:
        path = (path or "/").rstrip("/") or "/"
        if path == "/":
            return IndexPage(self)
        return next((p for p in self.pages() if p.path == path), None)

    def by_id(self, page_id: str) -> Page | None:
        if page_id == "index":
            return IndexPage(self)
        return next((p for p in self.pages() if p.id == page_id), None)


class IndexPage(Page):
    id = "index"
    path = "/"
    title = "Levelling Up dashboards"
    kind = "index"
    description = "Every dashboard of this release."

    def __init__(self, pageset: PageSet):
        self.pageset = pageset

    def content(self, ctx: PageContext, values: dict) -> list:
        builtin = [(p.title, ctx.href(p.path)) for p in self.pageset.builtin]
        loaded = self.pageset.loaded()
        blocks: list = [
            Section(
                "Dashboards",
                [
                    Text(
                        "Every page has a shareable address: the filters you choose are in the URL. "
                        "Each table and chart can be downloaded as CSV."
                    ),
                    Links("Page types", builtin, key="builtin"),
                ],
                key="dashboards",
            ),  # fmt: skip
        ]
        missions = MissionDashboard().missions()
        blocks.append(
            Links(
                "Mission dashboards",
                [(f"Mission {m}: {n}", ctx.href("/mission", mission=m)) for m, n in sorted(missions.items())],
                key="missions",
            )  # fmt: skip
        )
        if loaded.pages:
            import pandas as pd

            df = pd.DataFrame(
                [
                    {
                        "title": p.title,
                        "owner": p.owner,
                        "access": p.access,
                        "file": p.source_file,
                        "description": p.description,
                        "path": p.path,
                    }
                    for p in loaded.pages
                ]  # fmt: skip
            )
            blocks.append(
                Section(
                    "Pages added by teams",
                    [
                        Table(
                            "pages",
                            "Pages added by teams",
                            df,
                            [
                                Column("title", "Page", href=lambda r: ctx.href(r["path"])),
                                Column("owner", "Owner"),
                                Column("access", "Access"),
                                Column("description", "About"),
                                Column("file", "File"),
                            ],
                        )
                    ],  # fmt: skip
                    key="team-pages",
                )
            )
        if loaded.errors:
            blocks.append(
                Section(
                    "Pages that could not be loaded",
                    [Text(f"{name}: {err}", "warning") for name, err in sorted(loaded.errors.items())],
                    key="page-errors",
                )  # fmt: skip
            )
        if "geography" in ctx.tables:
            areas = ctx.df("select level, area_code, area_name from dash_areas order by level, area_name")
            sections = []
            for level, (_one, many) in LEVELS.items():
                d = areas[areas["level"] == level]
                sections.append(
                    Links(
                        f"{many[0].upper() + many[1:]} ({len(d)})",
                        [
                            (n, ctx.href("/area", area=c))
                            for c, n in zip(d["area_code"], d["area_name"], strict=True)
                        ],
                        key=f"areas-{level.lower()}",
                    )  # fmt: skip
                )
            blocks.append(Section("Area profiles", sections, key="areas"))
        return blocks
