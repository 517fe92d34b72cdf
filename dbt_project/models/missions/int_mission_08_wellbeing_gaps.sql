{{ config(schema='intermediate') }}
{#
  Mission 8 gaps: mean share of the worst-performing third of LAs minus mean share of the rest (percentage
  points; positive = the worst third is worse), per metric and APS year. Group values are unweighted means of
  the areas' published shares (each area counts once), so the gap is reproducible from the published mart and
  adds no disclosure risk. Grouping: int_mission_08_wellbeing_gap_groups. When nothing has been delivered, one
  row per gap metric with no period and no value (mission_gaps / mission_metrics show it not_available).
  Grain: one row per (gap metric_id, period).
#}
with groups as (
    select * from {{ ref('int_mission_08_wellbeing_gap_groups') }}
),

per_period as (
    select
        mission, metric_id, period_start, period_end,
        count(*) as n_areas,
        count(*) filter (where group_name = 'rest') as n_top_group,
        count(*) filter (where group_name = 'worst_third') as n_bottom_group,
        avg(value) filter (where group_name = 'rest') as top_group_value,
        avg(value) filter (where group_name = 'worst_third') as bottom_group_value,
        any_value(source_feeds) as source_feeds
    from groups
    group by all
),

computed as (
    select
        mission, metric_id, period_start, period_end,
        bottom_group_value - top_group_value as value,
        'third' as grouping,
        'mean share of the worst-performing third of lower-tier LAs (k = ceil(n/3) = ' || n_bottom_group || ' of n = '
            || n_areas || ' LAs with all four headline shares published; ranked by their worst standardised headline '
            || 'metric, ties by area code) minus the mean of the other LAs; percentage points' as method,
        n_areas, 'rest' as top_group_name, n_top_group, top_group_value,
        'worst_third' as bottom_group_name, n_bottom_group, bottom_group_value,
        cast(null as varchar) as top_area_code, cast(null as varchar) as top_area_name,
        cast(null as bigint) as n_tied_top, source_feeds
    from per_period
),

gap_ids as (
    select * from (values
        ('m8_gap_low_life_satisfaction'), ('m8_gap_low_worthwhile'), ('m8_gap_low_happiness'), ('m8_gap_high_anxiety')
    ) as t(metric_id)
),

not_delivered as (
    select
        8 as mission, metric_id, cast(null as date) as period_start, cast(null as date) as period_end,
        cast(null as double) as value, 'third' as grouping,
        'not published: no restricted delivery processed yet (requires record-level APS microdata)' as method,
        cast(0 as bigint) as n_areas, 'rest' as top_group_name, cast(0 as bigint) as n_top_group,
        cast(null as double) as top_group_value, 'worst_third' as bottom_group_name,
        cast(0 as bigint) as n_bottom_group, cast(null as double) as bottom_group_value,
        cast(null as varchar) as top_area_code, cast(null as varchar) as top_area_name,
        cast(null as bigint) as n_tied_top, 'aps-personal-wellbeing-microdata' as source_feeds
    from gap_ids
    where not exists (select 1 from computed)
)

select * from computed
union all
select * from not_delivered
