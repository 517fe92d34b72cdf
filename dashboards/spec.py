"""The declarative page format: one YAML file per page in `dashboards/pages/` (see `_template.yml`).

Belongs here: the schema (pydantic, unknown keys refused), loading one file with errors that name the file and
the field, and loading the whole folder (files starting with `_` are templates: checked, never served). What a
page's SQL means is checked against a release by `dashboards.check`; this module only checks the file itself:
names, that every component names a declared query, that every `$parameter` in a query is a declared filter.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PAGE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
RESERVED_PARAMS = {"release"}


class SpecError(ValueError):
    """A page file is invalid; the message names the file and the field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OptionSpec(Strict):
    value: str
    label: str | None = None


class FilterSpec(Strict):
    name: str = Field(description="the URL query parameter, and `$name` in the queries")
    label: str
    type: Literal["select", "multi", "radio"] = "select"
    options: list[OptionSpec | str] | None = None
    options_query: str | None = Field(None, description="SQL returning value (and optionally label) columns")
    default: str | list[str] | None = Field(None, description="default: the first option (multi: none)")
    help: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME.match(v) or v in RESERVED_PARAMS:
            raise ValueError(f"{v!r} must be lower_snake_case and not one of {sorted(RESERVED_PARAMS)}")
        return v

    @model_validator(mode="after")
    def _one_source(self) -> FilterSpec:
        if (self.options is None) == (self.options_query is None):
            raise ValueError("give exactly one of `options` and `options_query`")
        return self


class QuerySpec(Strict):
    sql: str
    description: str | None = None


ChartType = Literal["line", "bar", "histogram", "scatter"]


class ComponentSpec(Strict):
    type: Literal["line", "bar", "histogram", "scatter", "table", "text", "metric"]
    title: str | None = None
    query: str | None = None
    x: str | None = None
    y: str | None = None
    color: str | None = None
    label: str | None = Field(None, description="bar: the column naming each bar (default x)")
    columns: list[str] | None = Field(None, description="table: the columns shown (default: all)")
    orientation: Literal["v", "h"] = "v"
    sort: Literal["ascending", "descending"] | None = None
    unit: str | None = None
    decimal_places: int | None = None
    text: str | None = None
    summary: str | None = Field(None, description="a sentence shown before the automatic chart summary")
    max_rows: int | None = None

    @model_validator(mode="after")
    def _fields(self) -> ComponentSpec:
        if self.type == "text":
            if not self.text:
                raise ValueError("a text component needs `text`")
            return self
        if not self.query:
            raise ValueError(f"a {self.type} component needs `query`")
        if self.type in ("line", "bar", "scatter") and not (self.x and self.y):
            raise ValueError(f"a {self.type} chart needs `x` and `y`")
        if self.type == "histogram" and not self.x:
            raise ValueError("a histogram needs `x`")
        if self.type == "metric" and not self.y:
            raise ValueError("a metric needs `y` (the column holding the number)")
        return self

    def needed_columns(self) -> list[str]:
        cols = [self.x, self.y, self.color, self.label, *(self.columns or [])]
        return [c for c in dict.fromkeys(cols) if c]


class PageSpec(Strict):
    id: str
    title: str
    description: str = ""
    owner: str = Field(description="who maintains the page (team, department)")
    access: Literal["open", "cleared"] = "open"
    filters: list[FilterSpec] = Field(default_factory=list)
    queries: dict[str, QuerySpec]
    components: list[ComponentSpec]

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not PAGE_ID.match(v):
            raise ValueError(f"{v!r} must be kebab-case (letters, digits, hyphens)")
        return v

    @field_validator("queries", mode="before")
    @classmethod
    def _plain_sql(cls, v):
        return {k: ({"sql": q} if isinstance(q, str) else q) for k, q in (v or {}).items()}

    @model_validator(mode="after")
    def _references(self) -> PageSpec:
        names = [f.name for f in self.filters]
        if len(set(names)) != len(names):
            raise ValueError(f"filter names must be unique: {names}")
        for i, c in enumerate(self.components, start=1):
            if c.query and c.query not in self.queries:
                raise ValueError(
                    f"components[{i}] ({c.type} {c.title!r}) uses query {c.query!r}, which is not declared "
                    f"(queries: {sorted(self.queries)})"
                )
        for qname, q in self.queries.items():
            unknown = sorted(set(PARAM.findall(q.sql)) - set(names))
            if unknown:
                raise ValueError(
                    f"query {qname!r} uses ${', $'.join(unknown)}, which is not a filter (filters: {names})"
                )
        return self


def _describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(page)"
        parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)


def load_page(path: Path) -> PageSpec:
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpecError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise SpecError(f"{path.name}: expected a mapping with title, owner, queries, components")
    doc.setdefault("id", path.stem.lstrip("_"))
    try:
        return PageSpec.model_validate(doc)
    except ValidationError as exc:
        raise SpecError(f"{path.name}: {_describe(exc)}") from None


def page_files(folder: Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())


def is_template(path: Path) -> bool:
    return Path(path).name.startswith("_")


def folder_signature(folder: Path) -> tuple:
    """Changes whenever a page file is added, removed or edited (names, sizes, mtimes)."""
    out = []
    for p in page_files(folder):
        st = p.stat()
        out.append((p.name, st.st_size, st.st_mtime_ns))
    return tuple(out)


def params_of(sql: str) -> list[str]:
    return list(dict.fromkeys(PARAM.findall(sql)))
