"""The feed registry: one YAML catalogue (`registry/feeds.yaml`) describing every source the platform reads.

Belongs here: the registry's schema (pydantic models), loading and validating it with errors that name the
feed and the field, and the derived names other layers use (dbt source/staging names, Dagster asset keys).
The registry drives ingest (fetch + parse options), the pandera contract, the dbt `sources:` file, the Dagster
assets and the docs. Adding a feed means adding one stanza here and one staging model in dbt.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

MeasureType = Literal["count", "rate", "share", "mean", "median", "index", "expectancy", "ratio"]
"""How an indicator may be aggregated across areas.

count       additive quantity (people, £ million): sums.
rate/share  ratio of two quantities: recomputed from numerator and denominator when both are registered,
            otherwise population-weighted with the method recorded.
mean        population-weighted.
median, index, expectancy, ratio   not aggregatable: stay at their source geography (a ratio of two
            medians, e.g. house price to earnings, is neither summed nor averaged).
"""

AGGREGATABLE = {"count": "sum", "rate": "weighted", "share": "weighted", "mean": "weighted"}
AGGREGATION_RULE = {
    "count": "sum over member areas",
    "rate": "recomputed from numerator and denominator, else population-weighted mean",
    "share": "recomputed from numerator and denominator, else population-weighted mean",
    "mean": "population-weighted mean",
    "median": "not aggregated: stays at its source geography",
    "index": "not aggregated: stays at its source geography",
    "expectancy": "not aggregated: stays at its source geography",
    "ratio": "not aggregated: stays at its source geography",
}

# Registry text reaches dbt (source descriptions) and the docs, which dbt renders as Jinja: a template
# delimiter in registry text is refused, so that registry text can never be evaluated (e.g. env_var(...)).
TEMPLATE_DELIMITERS = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")

ColumnType = Literal["str", "float", "int", "date"]
Cadence = Literal["daily", "weekly", "monthly", "quarterly", "annual", "adhoc"]
Family = Literal["ess", "reference", "restricted"]
FEED_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class RegistryError(ValueError):
    """The registry file is invalid; the message names the feed and the field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndicatorSpec(Strict):
    name: str = Field(description="the exact `indicator` label in the source")
    measure_type: MeasureType
    unit: str = Field(description="the exact `unit` label the source uses for this indicator")
    numerator: str | None = None
    denominator: str | None = None
    valid_range: tuple[float, float] | None = Field(
        default=None, description="plausible [min, max]; values outside fail the contract"
    )
    description: str | None = None
    missions: list[int] | None = Field(
        default=None, description="missions this indicator informs (default: the feed's missions)"
    )
    note: str | None = Field(default=None, description="why the measure type / unit / range were chosen")
    # The publisher's metadata for the indicator (ESS: the JSON beside the CSV), shown in indicator_catalogue.
    label: str | None = Field(default=None, description="display label (metadata `label`)")
    subtitle: str | None = None
    long_description: str | None = None
    caveats: str | None = None
    decimal_places: int | None = Field(default=None, ge=0, le=10)
    standardised: bool | None = Field(
        default=None, description="metadata `standardised`: comparable across areas (T/F in the source)"
    )

    @field_validator(
        "name", "unit", "description", "note", "label", "subtitle", "long_description", "caveats"
    )
    @classmethod
    def _no_template(cls, v: str | None) -> str | None:
        return _plain_text(v)

    @model_validator(mode="after")
    def _components_pair(self) -> IndicatorSpec:
        if (self.numerator is None) != (self.denominator is None):
            raise ValueError("numerator and denominator must be given together")
        if self.numerator and self.measure_type not in ("rate", "share"):
            raise ValueError("numerator/denominator only apply to rate or share indicators")
        if self.valid_range and self.valid_range[0] > self.valid_range[1]:
            raise ValueError(f"valid_range {self.valid_range} has min > max")
        return self


def _plain_text(v: str | None) -> str | None:
    if v is not None and TEMPLATE_DELIMITERS.search(v):
        raise ValueError(
            f"{v[:60]!r} contains a template delimiter ({{{{ }}}}, {{% %}} or {{# #}}); registry text is data, "
            "never a template"
        )
    return v


class ColumnSpec(Strict):
    name: str
    type: ColumnType = "str"
    nullable: bool = True
    allowed: list[str] | None = None
    pattern: str | None = None
    regex: bool = False  # `name` is a regular expression matching one or more columns

    @field_validator("name")
    @classmethod
    def _no_template(cls, v: str) -> str:
        return _plain_text(v)

    @field_validator("allowed")
    @classmethod
    def _no_template_in_values(cls, v: list[str] | None) -> list[str] | None:
        for item in v or []:
            _plain_text(item)
        return v

    @field_validator("pattern")
    @classmethod
    def _regex_compiles(cls, v: str | None) -> str | None:
        if v is not None:
            re.compile(v)
        return v


class ContractSpec(Strict):
    """What a landed version must satisfy. Checked with pandera before anything lands."""

    columns: list[ColumnSpec]
    unique: list[str] | None = None
    min_rows: int = 1
    indicator_column: str | None = None  # when set, indicator values must be registered, with their unit
    unit_column: str | None = None
    value_column: str | None = None
    period_column: str | None = None
    max_period_year: int | None = None  # periods starting after this year are rejected (typos, future)


class ParserSpec(Strict):
    encoding: str = "utf-8-sig"
    sheet: str | None = None  # xlsx
    header_row: int | None = None  # xlsx: 0-based row holding the header
    rename: dict[str, str] = Field(default_factory=dict)
    constants: dict[str, str] = Field(default_factory=dict)
    json_layout: Literal["records", "els_geo_metadata"] | None = None
    rda_object: str | None = None  # rda: the R object to read (default: the file's only object)

    @field_validator("rename", "constants")
    @classmethod
    def _no_template(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            _plain_text(key)
            _plain_text(value)
        return v


class FeedSpec(Strict):
    id: str
    title: str
    family: Family
    publisher: str
    licence: str
    owner: str = "levelup-data-engineering"
    url: str | None = None
    mirror_path: str | None = None
    landing_pattern: str | None = None  # glob in the landing zone for dropped deliveries
    format: Literal["csv", "xlsx", "json"] = Field(description="the format of the file at `mirror_path`")
    url_format: Literal["csv", "xlsx", "json", "rda"] | None = Field(
        default=None,
        description="the format of the file at `url` when it differs from `format` (e.g. the publisher's .rda, "
        "mirrored as its CSV conversion); the same parser options and contract apply to both",
    )
    parser: ParserSpec = ParserSpec()
    sensitivity: Literal["open", "restricted"] = "open"
    cadence: Cadence = "annual"
    contract: ContractSpec
    indicators: list[IndicatorSpec] = Field(default_factory=list)
    missions: list[int] = Field(default_factory=list)
    description: str | None = None
    enabled: bool = True
    disabled_reason: str | None = None
    metadata_url: str | None = Field(default=None, description="the publisher's metadata (JSON) for the feed")
    metadata_mirror_path: str | None = None
    # Who produces the statistics (ESS `sourceOrg`, may differ from the distributing `publisher`), where, when.
    source_org: str | None = None
    source_url: str | None = Field(default=None, description="the producer's page; ' | ' separates several")
    source_date: str | None = Field(default=None, description="the producer's release date, as published")
    experimental: bool = Field(
        default=False, description="an official statistic in development (experimental)"
    )

    @field_validator(
        "title", "publisher", "licence", "owner", "description", "disabled_reason", "source_org", "source_url"
    )
    @classmethod
    def _no_template(cls, v: str | None) -> str | None:
        return _plain_text(v)

    @field_validator("mirror_path", "metadata_mirror_path")
    @classmethod
    def _relative_path(cls, v: str | None) -> str | None:
        if v is None:
            return v
        parts = Path(v).parts
        if Path(v).is_absolute() or v.startswith("~") or ".." in parts or "\\" in v or "\x00" in v:
            raise ValueError(f"{v!r} must be a relative path inside the mirror, without '..'")
        return _plain_text(v)

    @field_validator("landing_pattern")
    @classmethod
    def _pattern_is_a_name(cls, v: str | None) -> str | None:
        if v is not None and ("/" in v or "\\" in v or ".." in v):
            raise ValueError(f"{v!r} must be a file-name pattern (no folders, no '..')")
        return _plain_text(v)

    @field_validator("id")
    @classmethod
    def _kebab(cls, v: str) -> str:
        if not FEED_ID.match(v):
            raise ValueError(f"{v!r} is not a kebab-case feed id (a-z, 0-9, single hyphens)")
        return v

    @field_validator("url", "metadata_url")
    @classmethod
    def _http(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^\s/]+/\S*$", v):
            raise ValueError(f"{v!r} is not an http(s) URL")
        return _plain_text(v)  # the url is quoted in dbt source descriptions too

    @field_validator("missions")
    @classmethod
    def _missions(cls, v: list[int]) -> list[int]:
        bad = [m for m in v if not 1 <= m <= 12]
        if bad:
            raise ValueError(f"missions must be 1-12, got {bad}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> FeedSpec:
        if not self.enabled and not self.disabled_reason:
            raise ValueError("a disabled feed must say why: set `disabled_reason`")
        if self.url_format is not None and self.url_format == self.format:
            raise ValueError(f"url_format {self.url_format!r} equals format: leave url_format out")
        if self.url_format is not None and not self.url:
            raise ValueError("url_format describes the file at `url`: set `url`")
        if self.parser.rda_object and "rda" not in (self.format, self.url_format):
            raise ValueError("parser.rda_object only applies to an rda file (format or url_format: rda)")
        if self.sensitivity == "open" and not (self.url and self.mirror_path):
            raise ValueError("an open feed needs both `url` and `mirror_path`")
        if self.sensitivity == "restricted" and not self.landing_pattern:
            raise ValueError("a restricted feed arrives by landing drop: set `landing_pattern`")
        if self.family == "ess" and not self.indicators:
            raise ValueError("an ESS feed must register its indicators (measure_type and unit for each)")
        names = [i.name for i in self.indicators]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"indicators registered twice: {sorted(dupes)}")
        for ind in self.indicators:
            for comp in (ind.numerator, ind.denominator):
                if comp and comp not in names:
                    raise ValueError(
                        f"indicator {ind.name!r}: component {comp!r} is not an indicator of this feed"
                    )
        col_names = [c.name for c in self.contract.columns]
        for attr in ("indicator_column", "unit_column", "value_column", "period_column"):
            col = getattr(self.contract, attr)
            if col and col not in col_names:
                raise ValueError(f"contract.{attr} {col!r} is not a contract column")
        return self

    def format_at(self, via: str) -> str:
        """The format of the bytes fetched `via` "http" (the public address) or "mirror" / "landing"."""
        return (self.url_format or self.format) if via == "http" else self.format

    # Names other layers derive from the feed id -------------------------------------------------
    @property
    def table_name(self) -> str:
        """dbt source table / DuckDB-safe identifier."""
        return self.id.replace("-", "_")

    @property
    def source_name(self) -> str:
        return self.family

    @property
    def staging_model(self) -> str:
        return f"stg_{self.family}__{self.table_name}"

    def indicator(self, name: str) -> IndicatorSpec | None:
        return next((i for i in self.indicators if i.name == name), None)


class Registry(Strict):
    version: Literal[1]
    feeds: list[FeedSpec]
    source_path: Path | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> Registry:
        ids = [f.id for f in self.feeds]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"feed ids registered twice: {dupes}")
        return self

    @cached_property
    def by_id(self) -> dict[str, FeedSpec]:
        return {f.id: f for f in self.feeds}

    def get(self, feed_id: str) -> FeedSpec:
        try:
            return self.by_id[feed_id]
        except KeyError:
            raise KeyError(f"feed {feed_id!r} is not in the registry ({self.source_path})") from None

    def of_family(self, family: str) -> list[FeedSpec]:
        return [f for f in self.feeds if f.family == family]

    @property
    def open_feeds(self) -> list[FeedSpec]:
        """The feeds the open pipeline ingests: open and enabled."""
        return [f for f in self.feeds if f.sensitivity == "open" and f.enabled]

    @property
    def restricted_feeds(self) -> list[FeedSpec]:
        return [f for f in self.feeds if f.sensitivity == "restricted" and f.enabled]


# ---------------------------------------------------------------------------------------------------
# Loading: YAML with `defaults` per family and named `contracts`, expanded before validation.

Template = Annotated[dict[str, Any], "raw YAML mapping"]


def _expand(doc: dict[str, Any]) -> dict[str, Any]:
    """Apply per-family defaults (with `{id}` templates) and resolve named contracts."""
    families: dict[str, Template] = doc.get("family_defaults") or {}
    contracts: dict[str, Template] = doc.get("contracts") or {}
    feeds = []
    for i, raw in enumerate(doc.get("feeds") or []):
        if not isinstance(raw, dict):
            raise RegistryError(f"feeds[{i}]: expected a mapping, got {type(raw).__name__}")
        feed = dict(raw)
        fid = feed.get("id", f"<feeds[{i}] without id>")
        for key, value in (families.get(feed.get("family"), {}) or {}).items():
            if key not in feed:
                feed[key] = value.format(id=fid) if isinstance(value, str) else value
        contract = feed.get("contract")
        if isinstance(contract, str):
            if contract not in contracts:
                raise RegistryError(
                    f"feed {fid!r}: field 'contract': unknown contract {contract!r} "
                    f"(defined: {sorted(contracts)})"
                )
            feed["contract"] = contracts[contract]
        elif isinstance(contract, dict) and "extends" in contract:
            base = contracts.get(contract["extends"])
            if base is None:
                raise RegistryError(
                    f"feed {fid!r}: field 'contract.extends': unknown contract {contract['extends']!r}"
                )
            feed["contract"] = _extend_contract(fid, base, contract)
        feeds.append(feed)
    return {"version": doc.get("version"), "feeds": feeds}


EXTEND_KEYS = ("extends", "columns_override", "columns_drop", "columns_add")


def _extend_contract(fid: str, base: Template, contract: Template) -> Template:
    """A named contract with per-feed changes, so a messy file needs configuration, not code:
    `columns_override: {<column>: {<field>: value}}` changes fields of base columns (e.g. a wider `pattern` or
    `allowed` list), `columns_drop: [<column>]` removes base columns (e.g. a column the file repeats, which is then
    kept under suffixed names by the parser), `columns_add: [...]` appends columns; other keys replace the base's,
    `columns` too: a full `columns:` list is the feed's own columns, and the changes above apply to it."""
    columns = [dict(c) for c in contract.get("columns") or base.get("columns") or []]
    names = [c.get("name") for c in columns]
    override = contract.get("columns_override") or {}
    drop = contract.get("columns_drop") or []
    for col in [*override, *drop]:
        if col not in names:
            raise RegistryError(
                f"feed {fid!r}: field 'contract': column {col!r} is not in contract {contract['extends']!r} "
                f"(columns: {names})"
            )
    for c in columns:
        if c.get("name") in override:
            changes = override[c["name"]]
            if not isinstance(changes, dict) or "name" in changes:
                raise RegistryError(
                    f"feed {fid!r}: field 'contract.columns_override.{c['name']}': expected a mapping of column "
                    "fields to change (not the name)"
                )
            c.update(changes)
    columns = [c for c in columns if c.get("name") not in drop] + list(contract.get("columns_add") or [])
    rest = {k: v for k, v in contract.items() if k not in EXTEND_KEYS}
    return {**base, **rest, "columns": columns}


def _describe(err: ValidationError, doc: dict[str, Any]) -> str:
    lines = []
    for e in err.errors():
        loc = list(e["loc"])
        where = "registry"
        if len(loc) >= 2 and loc[0] == "feeds" and isinstance(loc[1], int):
            feeds = doc.get("feeds") or []
            fid = feeds[loc[1]].get("id", f"feeds[{loc[1]}]") if loc[1] < len(feeds) else f"feeds[{loc[1]}]"
            where = f"feed {fid!r}"
            loc = loc[2:]
        field = ".".join(str(p) for p in loc) or "(feed)"
        lines.append(f"{where}: field '{field}': {e['msg']}")
    return "\n".join(lines)


def _load_yaml(text: str, where) -> dict[str, Any]:
    try:  # libyaml's safe loader when PyYAML has it (the registry is ~200 KB: ~1 s in pure Python, ~0.1 s in C)
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise RegistryError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise RegistryError(f"{where}: expected a mapping at the top level")
    return doc


def _merge_overlay(doc: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """An overlay adds feeds (or replaces feeds with the same id), contracts and family defaults."""
    merged = dict(doc)
    for key in ("family_defaults", "contracts"):
        merged[key] = {**(doc.get(key) or {}), **(overlay.get(key) or {})}
    extra = overlay.get("feeds") or []
    ids = {f.get("id") for f in extra if isinstance(f, dict)}
    merged["feeds"] = [f for f in doc.get("feeds") or [] if f.get("id") not in ids] + extra
    return merged


def parse_registry(text: str, source_path: Path | None = None, overlays: list[str] = ()) -> Registry:
    where = source_path or "<string>"
    doc = _load_yaml(text, where)
    for i, overlay in enumerate(overlays):
        doc = _merge_overlay(doc, _load_yaml(overlay, f"registry overlay #{i + 1}"))
    expanded = _expand(doc)
    try:
        reg = Registry.model_validate({**expanded, "source_path": source_path})
    except ValidationError as err:
        raise RegistryError(f"{where} is invalid:\n{_describe(err, expanded)}") from None
    return reg


def load_registry(path: Path | None = None) -> Registry:
    """The registry at `path` (default: LEVELUP_REGISTRY), with LEVELUP_REGISTRY_OVERLAYS merged over it."""
    from core.settings import get_settings

    settings = get_settings()
    path = Path(path or settings.registry_path)
    overlays = [p.read_text(encoding="utf-8") for p in settings.overlay_paths]
    return parse_registry(path.read_text(encoding="utf-8"), source_path=path, overlays=overlays)
