{#
  Every observation of the registered indicator feeds on the target geography vintage (April 2025 LADs and
  the areas built from them), plus the higher levels a feed lacks where they can be derived validly.
  Grain: one row per (feed_id, area_code, indicator, period_start, period_end).
  Columns as marts.indicators, plus:
    area_level            LAD | CTYUA | CA | RGN | CTRY | ITL1 | ITL2 | ITL3 | PFA (target), or the source level
    harmonisation_method  how the row got here (see docs/geography.md); 'kept_at_source: <reason>' rows were not
                          harmonised and keep their source code
    source_area_code      the published code (';'-joined predecessors for a merge; NULL for roll-ups)
    is_derived            the value was computed here (merge, split, roll-up), not published
    is_target_vintage     area_code is a code of the target vintage
  Small areas (LSOA / data zone / NI SOA) are not a target-vintage geography: their rows stay in `indicators`, and
  reach this mart as the LAD (and higher) totals built from them. Incremental by feed version.
#}
{{ by_feed_incremental() }}

with at_target as (
    select * from {{ ref('int_geography_indicators_at_target') }}
    where {{ only_stale_feeds() }}
),

rollups as (
    select * from {{ ref('int_geography_rollups') }}
    where {{ only_stale_feeds() }}
),

{#- both sides name their columns: on Spark a partitioned table keeps its partition column (feed_id) last -#}
{%- set columns = "area_code, area_name, geography_level, area_level, indicator, measure_type, period_start, period_end, period_duration, period_kind, period_raw, value, unit, status, source_status, lci_95, uci_95, feed_id, source_sha256, source_line, harmonisation_method, source_area_code, is_derived, is_target_vintage" %}
unioned as (
    select {{ columns }} from at_target
    {{ union_all_by_name() }}
    select {{ columns }} from rollups
)

select
    area_code,
    area_name,
    geography_level,
    area_level,
    indicator,
    measure_type,
    period_start,
    period_end,
    period_duration,
    period_kind,
    period_raw,
    value,
    unit,
    status,
    source_status,
    cast(lci_95 as double) as lci_95,
    cast(uci_95 as double) as uci_95,
    feed_id,
    source_sha256,
    cast(source_line as integer) as source_line,
    harmonisation_method,
    source_area_code,
    is_derived,
    is_target_vintage
from unioned
