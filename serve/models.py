"""The shapes of the data API's answers, as pydantic models: they make the OpenAPI document, which the tests
fuzz with schemathesis and check every answer against.

Belongs here: response models only (routes build plain dicts for speed and declare these as their
`response_model`). Every answer names the release it was read from in `release`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Page(BaseModel):
    release: str = Field(
        description="the release this answer was read from (also in the ETag and X-Release-Id)"
    )
    total: int = Field(description="rows matching the request, over all pages")
    limit: int = Field(description="page size")
    offset: int
    next: str | None = Field(None, description="the next page, pinned to this release")
    previous: str | None = None


class DataRow(BaseModel):
    indicator: str = Field(description="indicator id (see /api/v1/metadata/indicators)")
    areacd: str = Field(description="area code (GSS or ITL)")
    areanm: str | None = Field(None, description="area name (includeNames=true)")
    geoLevel: str | None = Field(
        None, description="the area's level: LAD, CTYUA, CA, RGN, CTRY, ITL1-3, PFA, ..."
    )
    period: str | None = Field(None, description="the period as published (ISO 8601 date or interval)")
    period_start: str | None = None
    period_end: str | None = None
    value: float | None = None
    lci: float | None = Field(None, description="lower 95% confidence limit")
    uci: float | None = Field(None, description="upper 95% confidence limit")
    unit: str | None = None
    status: str | None = Field(
        None, description="ok, suppressed, low_reliability, missing (includeStatus=true)"
    )
    is_derived: bool | None = Field(None, description="computed by the platform (merge, split, roll-up)")
    feed_id: str


class DataResponse(Page):
    mart: str = Field(description="indicators_harmonised (April 2025 geography) or indicators (as published)")
    data: list[DataRow]


class ProvenanceRow(BaseModel):
    indicator: str
    areacd: str
    geoLevel: str | None = None
    period: str | None = None
    value: float | None = None
    feed_id: str
    source_sha256: str | None = Field(None, description="sha256 of the exact source file the value came from")
    source_line: int | None = Field(None, description="line of the value in that file (published values)")
    source_area_code: str | None = Field(None, description="the code as published; predecessors of a merge")
    harmonisation_method: str | None = None
    is_derived: bool | None = None


class Source(BaseModel):
    feed_id: str
    source_sha256: str | None = None
    feed_title: str | None = None
    publisher: str | None = None
    licence: str | None = None
    source_url: str | None = None
    retrieved_via: str | None = None
    retrieved_at: str | None = None
    raw_file: str | None = None
    is_current: bool | None = None


class ProvenanceResponse(Page):
    mart: str
    sources: list[Source]
    data: list[ProvenanceRow]


class IndicatorMeta(Open):
    id: str
    label: str
    feed_id: str
    feed_title: str | None = None
    measure_type: str | None = None
    unit: str | None = None
    aggregation_rule: str | None = None
    is_aggregatable: bool | None = None
    description: str | None = None
    valid_range: list[float] | None = None
    missions: list[int] = []
    source_org: str | None = None
    source_url: str | None = Field(
        None, description="the publisher's page for the source (indicator_catalogue), else the file's address"
    )
    file_url: str | None = Field(None, description="the public address of the source file this release read")
    licence: str | None = None
    first_period: str | None = None
    last_period: str | None = None
    row_count: int | None = None
    source_row_count: int | None = None
    geography_levels: list[str] = []
    source_geography_levels: list[str] = []
    metadata_source: str = Field(description="indicator_catalogue, registry or release")


class IndicatorsResponse(BaseModel):
    release: str
    count: int
    indicators: list[IndicatorMeta]


class IndicatorResponse(BaseModel):
    release: str
    indicator: IndicatorMeta


class GeoLevel(BaseModel):
    geoLevel: str
    key: str = Field(description="the ONS Explore Local Statistics key (ltla, utla, cauth, rgn, ctry, ...)")
    label: str
    rank: int = Field(description="0 = coarsest")
    areas: int = Field(description="areas of this level in the April 2025 geography")
    areas_with_data: int
    code_prefixes: list[str]


class GeoLevelsResponse(BaseModel):
    release: str
    levels: list[GeoLevel]


class AreaRef(BaseModel):
    areacd: str
    areanm: str | None = None
    geoLevel: str | None = None
    lads: int = Field(0, description="April 2025 LADs in the area (0: not a standard area)")


class LookupResponse(BaseModel):
    release: str
    area: AreaRef
    levels: list[str] = Field(description="every level this code is an area of (a unitary is LAD and CTYUA)")
    is_standard_area: bool = Field(description="false for codes kept at their source geography")
    parents: list[AreaRef]


class RelatedResponse(BaseModel):
    release: str
    areacd: str
    relation: str
    geoLevel: str | None = Field(None, description="the level of the areas returned")
    parentLevel: str | None = Field(None, description="siblings: the level of the shared parent")
    areas: list[AreaRef]


class AllRelatedResponse(BaseModel):
    release: str
    areacd: str
    parents: list[AreaRef]
    children: list[AreaRef]
    siblings: list[AreaRef]
    similar: list[dict[str, Any]] | None = Field(
        None, description="null when the release has no similar-areas mart"
    )


class SimilarArea(BaseModel):
    areacd: str
    areanm: str | None = None
    rank: int | None = None
    distance: float | None = None


class SimilarResponse(BaseModel):
    release: str
    areacd: str
    model: str
    models: list[str]
    cluster: Any | None = None
    areas: list[SimilarArea]


class SearchResponse(BaseModel):
    release: str
    query: str
    areas: list[AreaRef]


class MetricSummary(BaseModel):
    metric_id: str
    metric_name: str | None = None
    metric_kind: str | None = None
    unit: str | None = None
    is_proxy: bool | None = None
    coverage: str | None = None
    available: bool
    status_reason: str | None = None
    geography_levels: list[str]
    first_period: str | None = None
    last_period: str | None = None
    rows: int


class MissionListItem(BaseModel):
    mission: int
    name: str
    metrics: int
    available_metrics: int


class MissionsResponse(BaseModel):
    release: str
    missions: list[MissionListItem]


class MissionRow(Open):
    mission: int
    metric_id: str
    areacd: str | None = None
    areanm: str | None = None
    geography_level: str | None = None
    period_start: str | None = None
    period_end: str | None = None
    value: float | None = None
    unit: str | None = None
    status: str | None = None


class MissionResponse(Page):
    mission: int
    name: str
    metrics: list[MetricSummary]
    data: list[MissionRow]


class GapsResponse(BaseModel):
    release: str
    mission: int
    name: str
    total: int
    data: list[dict[str, Any]]
    groups: list[dict[str, Any]] | None = Field(
        None, description="the areas in each group (includeGroups=true)"
    )


class ReleaseSummary(BaseModel):
    id: str
    is_current: bool
    created_at: str | None = None
    code_version: str | None = None
    previous_release: str | None = None
    marts: dict[str, str] = Field(description="mart -> fresh, carried_over, unchanged or withheld")
    held_back: list[str]


class ReleasesResponse(BaseModel):
    release: str | None = Field(description="the current release")
    releases: list[ReleaseSummary]


class ReleaseDetail(BaseModel):
    release: str
    is_current: bool
    manifest: dict[str, Any] = Field(description="the release's manifest.json")


class ClearedTable(BaseModel):
    table: str
    rows: int
    columns: list[str]


class ClearedTablesResponse(BaseModel):
    release: str = Field(description="the cleared release")
    tables: list[ClearedTable]


class ClearedReleasesResponse(BaseModel):
    release: str | None
    releases: list[dict[str, Any]]


class ClearedDataResponse(Page):
    table: str
    data: list[dict[str, Any]]
