{#
  The long table of every registered ESS indicator, as published (source geography and code vintage).
  Grain: one row per (feed_id, area_code, geography_level, indicator, period_start, period_end).
  Reads the one union of every ESS staging model (int_geography_source_observations), so a new feed needs no
  edit here. Incremental by feed version (macros/incremental.sql): only feeds whose version changed are rebuilt.
#}
{{ by_feed_incremental() }}

with observations as (
    select *
    from {{ ref('int_geography_source_observations') }}
    where {{ only_stale_feeds() }}
)

select
    area_code,
    area_name,
    geography_level,
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
    lci_95,
    uci_95,
    feed_id,
    source_sha256,
    source_line
from observations
