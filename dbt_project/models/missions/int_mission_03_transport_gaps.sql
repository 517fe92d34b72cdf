{{ config(schema='intermediate') }}
-- Mission 3 proxy gap: median travel time of the 8 English regions other than London minus London's.
-- Positive = slower than London. Grain: one row per (gap metric_id, period).
with groups as (
    select * from {{ ref('int_mission_03_transport_gap_groups') }}
),

per_period as (
    select
        mission,
        metric_id,
        period_start,
        period_end,
        count(*) as n_areas,
        count(*) filter (where group_name = 'london') as n_top_group,
        count(*) filter (where group_name = 'other_regions') as n_bottom_group,
        max(value) filter (where group_name = 'london') as top_group_value,
        median(value) filter (where group_name = 'other_regions') as bottom_group_value,
        any_value(source_feeds) as source_feeds
    from groups
    group by all
)

select
    mission,
    metric_id,
    period_start,
    period_end,
    bottom_group_value - top_group_value as value,
    'reference_vs_median_of_others' as grouping,
    'median of the other ' || n_bottom_group || ' English regions minus London (region E12000007); proxy' as method,
    n_areas,
    'london' as top_group_name,
    n_top_group,
    top_group_value,
    'other regions (median)' as bottom_group_name,
    n_bottom_group,
    bottom_group_value,
    'E12000007' as top_area_code,
    'London' as top_area_name,
    cast(null as bigint) as n_tied_top,
    source_feeds
from per_period
where n_top_group = 1
