{#
  The long table of every registered ESS indicator, as published (source geography and code vintage).
  Grain: one row per (feed_id, area_code, geography_level, indicator, period_start, period_end).
  A view over int_geography_source_observations, where the rows are materialised once (incremental by feed
  version), so a new feed needs no edit here and national small-area rows are never copied twice in the
  warehouse; the release holds it as a table.
#}
{{ config(materialized='view') }}

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
from {{ ref('int_geography_source_observations') }}
