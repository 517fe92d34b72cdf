{{ config(schema='intermediate') }}
-- Mission 7 HLE gap: median HLE of the top decile of areas minus the median of the bottom decile, per sex
-- and period. Grain: one row per (gap metric_id, period).
with groups as (
    select * from {{ ref('int_mission_07_health_gap_groups') }}
),

per_period as (
    select
        mission,
        metric_id,
        period_start,
        period_end,
        count(*) as n_areas,
        count(*) filter (where group_name = 'top_decile') as n_top_group,
        count(*) filter (where group_name = 'bottom_decile') as n_bottom_group,
        median(value) filter (where group_name = 'top_decile') as top_group_value,
        median(value) filter (where group_name = 'bottom_decile') as bottom_group_value,
        any_value(source_feeds) as source_feeds
    from groups
    group by all
)

select
    mission,
    metric_id,
    period_start,
    period_end,
    top_group_value - bottom_group_value as value,
    'decile' as grouping,
    'median HLE of the top decile minus median of the bottom decile; ranked set: upper-tier LAs (England), '
        || 'LAs (Wales), council areas (Scotland), LGDs (NI) with a value; k = floor(n/10) = ' || n_top_group
        || ' of n = ' || n_areas || ' in each tail; ties broken by area code' as method,
    n_areas,
    'top_decile' as top_group_name,
    n_top_group,
    top_group_value,
    'bottom_decile' as bottom_group_name,
    n_bottom_group,
    bottom_group_value,
    cast(null as varchar) as top_area_code,
    cast(null as varchar) as top_area_name,
    cast(null as bigint) as n_tied_top,
    source_feeds
from per_period
