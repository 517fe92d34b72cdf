{{ config(schema='intermediate') }}
-- Mission 6: population-weighted FE achievement rate of the lowest-skilled third of English upper-tier LAs
-- and of the rest; gap = third minus rest. Grain: one row per (gap metric_id, FE period).
with groups as (
    select * from {{ ref('int_mission_06_skills_gap_groups') }}
),

per_period as (
    select
        mission,
        metric_id,
        period_start,
        period_end,
        count(*) as n_areas,
        count(*) filter (where group_name = 'rest') as n_top_group,
        count(*) filter (where group_name = 'lowest_skilled_third') as n_bottom_group,
        sum(value * population) filter (where group_name = 'rest')
            / sum(population) filter (where group_name = 'rest') as top_group_value,
        sum(value * population) filter (where group_name = 'lowest_skilled_third')
            / sum(population) filter (where group_name = 'lowest_skilled_third') as bottom_group_value,
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
    'third' as grouping,
    'population-weighted FE rate of the lowest-skilled third (k = ceil(n/3) English upper-tier LAs with the '
        || 'lowest level 3+ share, ties by area code) minus that of the other LAs; weights = mid-year total population'
        as method,
    n_areas,
    'rest' as top_group_name,
    n_top_group,
    top_group_value,
    'lowest_skilled_third' as bottom_group_name,
    n_bottom_group,
    bottom_group_value,
    cast(null as varchar) as top_area_code,
    cast(null as varchar) as top_area_name,
    cast(null as bigint) as n_tied_top,
    source_feeds
from per_period
