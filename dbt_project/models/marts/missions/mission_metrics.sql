{#
  The mission metrics mart. Grain: one row per (metric_id, area_code, period_start, period_end).
  Every metric in the catalogue seed (mission_metric_catalogue) is present:
    - area-level metric rows from each mission's own int model (a broken feed breaks only its mission model),
    - gap metrics (missions 1, 3, 4, 6, 7, 9) as one row per period under the area their coverage implies
      (UK K02000001, England E92000001), with the group detail in mission_gaps,
    - the derived m6_fe_achievements_lowest_skilled_third (England) from the mission 6 grouping,
    - metrics the open sources do not hold: one row with status 'not_available', no period and the reason.
#}
{% set metric_models = mission_metrics_models() %}  {# generated: macros/generated/registry.sql #}
{% set gap_models = mission_gaps_models() %}  {# generated: macros/generated/registry.sql #}

with catalogue as (
    select
        *,
        case coverage
            when 'UK' then 'K02000001' when 'GB' then 'K03000001' when 'EW' then 'K04000001' else 'E92000001'
        end as container_area_code,
        case coverage
            when 'UK' then 'United Kingdom' when 'GB' then 'Great Britain' when 'EW' then 'England and Wales'
            else 'England'
        end as container_area_name,
        case when coverage = 'E' then 'nation' else 'country' end as container_geography_level
    from {{ ref('mission_metric_catalogue') }}
),

metric_rows as (
    {% for m in metric_models %}
    select
        mission, metric_id, area_code, area_name, geography_level, period_start, period_end, value,
        status, status_reason, method, source_feeds, source_area_code, source_geography_level
    from {{ ref(m) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

gaps as (
    {% for m in gap_models %}
    select
        mission, metric_id, period_start, period_end, value, method, source_feeds,
        bottom_group_name, bottom_group_value, n_bottom_group
    from {{ ref(m) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

gap_metric_rows as (
    select
        g.mission, g.metric_id, c.container_area_code as area_code, c.container_area_name as area_name,
        c.container_geography_level as geography_level, g.period_start, g.period_end, g.value,
        case when g.value is null then 'not_available' else 'ok' end as status,
        case when g.value is null then 'gap could not be computed (empty group)' end as status_reason,
        g.method, g.source_feeds, cast(null as {{ type_text() }}) as source_area_code,
        cast(null as {{ type_text() }}) as source_geography_level
    from gaps as g
    join catalogue as c using (metric_id)
),

lowest_skilled_third_rows as (
    select
        6 as mission, 'm6_fe_achievements_lowest_skilled_third' as metric_id, 'E92000001' as area_code,
        'England' as area_name, 'nation' as geography_level, period_start, period_end,
        bottom_group_value as value,
        case when bottom_group_value is null then 'not_available' else 'ok' end as status,
        cast(null as {{ type_text() }}) as status_reason,
        'population-weighted FE achievement rate of the ' || n_bottom_group
            || ' English upper-tier LAs in the lowest-skilled third (k = ceil(n/3) lowest level 3+ shares, ties by '
            || 'area code); weights = mid-year total population' as method,
        source_feeds, cast(null as {{ type_text() }}) as source_area_code, cast(null as {{ type_text() }}) as source_geography_level
    from gaps
    where metric_id = 'm6_gap_fe_lowest_skilled_third_vs_rest'
),

not_available_rows as (
    select
        mission, metric_id, container_area_code as area_code, container_area_name as area_name,
        container_geography_level as geography_level, cast(null as date) as period_start,
        cast(null as date) as period_end, cast(null as double) as value, status_if_unavailable as status,
        reason as status_reason, 'not published: ' || reason as method, nullif(source_feeds, '') as source_feeds,
        cast(null as {{ type_text() }}) as source_area_code, cast(null as {{ type_text() }}) as source_geography_level
    from catalogue
    where availability = 'not_available'
),

all_rows as (
    select * from metric_rows
    {{ union_all_by_name() }}
    select * from gap_metric_rows
    {{ union_all_by_name() }}
    select * from lowest_skilled_third_rows
    {{ union_all_by_name() }}
    select * from not_available_rows
)

select
    r.mission,
    r.metric_id,
    c.metric_name,
    c.kind as metric_kind,
    r.area_code,
    r.area_name,
    r.geography_level,
    r.period_start,
    r.period_end,
    r.value,
    c.unit,
    r.status,
    r.status_reason,
    c.is_proxy,
    c.coverage,
    r.source_feeds,
    r.method,
    r.source_area_code,
    r.source_geography_level
from all_rows as r
left join catalogue as c using (metric_id)
