{#
  The mission gaps mart. Grain: one row per (gap metric_id, period_start, period_end). Each row names its
  method and grouping, the size of each group, the groups' values, and the change since the baseline period
  (the Statement's baseline where the catalogue gives one, e.g. HLE 2017-2019; otherwise the earliest period
  the source holds). Gaps the open sources cannot support (mission 8) appear once with status
  'not_available' and no period. Group membership: mission_gap_groups.
#}
{% set gap_models = mission_gaps_models() %}  {# generated: macros/generated/registry.sql #}

with catalogue as (
    select * from {{ ref('mission_metric_catalogue') }}
),

gaps as (
    {% for m in gap_models %}
    select * from {{ ref(m) }}
    {% if not loop.last %}{{ union_all_by_name() }}{% endif %}
    {% endfor %}
),

baselines as (
    select
        g.metric_id,
        coalesce(any_value(c.baseline_period_start), min(g.period_start)) as baseline_period_start
    from gaps as g
    join catalogue as c using (metric_id)
    group by all
),

baseline_values as (
    select b.metric_id, b.baseline_period_start, g.value as baseline_value
    from baselines as b
    left join gaps as g on g.metric_id = b.metric_id and g.period_start = b.baseline_period_start
),

computed as (
    select
        g.mission,
        g.metric_id,
        c.metric_name,
        g.period_start,
        g.period_end,
        g.value,
        c.unit,
        case when g.value is null then 'not_available' else 'ok' end as status,
        cast(null as {{ type_text() }}) as status_reason,
        c.is_proxy,
        g.grouping,
        g.method,
        g.n_areas,
        g.top_group_name,
        g.n_top_group,
        g.top_group_value,
        g.bottom_group_name,
        g.n_bottom_group,
        g.bottom_group_value,
        g.top_area_code,
        g.top_area_name,
        g.n_tied_top,
        b.baseline_period_start,
        b.baseline_value,
        g.value - b.baseline_value as change_since_baseline,
        g.source_feeds
    from gaps as g
    join catalogue as c using (metric_id)
    left join baseline_values as b using (metric_id)
),

not_available as (
    select
        mission,
        metric_id,
        metric_name,
        cast(null as date) as period_start,
        cast(null as date) as period_end,
        cast(null as double) as value,
        unit,
        status_if_unavailable as status,
        reason as status_reason,
        is_proxy,
        cast(null as {{ type_text() }}) as grouping,
        'not published: ' || reason as method,
        -- the columns `computed` has beyond these, so both sides line up by position too (Spark)
        cast(null as bigint) as n_areas, cast(null as {{ type_text() }}) as top_group_name,
        cast(null as bigint) as n_top_group, cast(null as double) as top_group_value,
        cast(null as {{ type_text() }}) as bottom_group_name, cast(null as bigint) as n_bottom_group,
        cast(null as double) as bottom_group_value, cast(null as {{ type_text() }}) as top_area_code,
        cast(null as {{ type_text() }}) as top_area_name, cast(null as bigint) as n_tied_top,
        cast(null as date) as baseline_period_start, cast(null as double) as baseline_value,
        cast(null as double) as change_since_baseline,
        source_feeds
    from catalogue
    where kind = 'gap' and availability = 'not_available'
)

select * from computed
{{ union_all_by_name() }}
select * from not_available
