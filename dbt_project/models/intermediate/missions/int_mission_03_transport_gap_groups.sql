-- Mission 3 gap vs London, per-area rows: London (E12000007) and the 8 other English regions, ranked by
-- travel time (1 = slowest). Grain: one row per (gap metric_id, period, area_code).
with regions as (
    select *
    from {{ ref('int_mission_03_transport') }}
    where metric_id = 'm3_travel_time_pt_walk'
      and geography_level = 'region'
      and value is not null
)

select
    mission,
    'm3_gap_travel_time_vs_london' as metric_id,
    period_start,
    period_end,
    area_code,
    area_name,
    row_number() over (partition by period_start, period_end order by value desc, area_code) as rank,
    case when area_code = 'E12000007' then 'london' else 'other_regions' end as group_name,
    value,
    value as ranking_value,
    source_feeds
from regions
