{#
  mission_gap: the one shape every mission gap shares. From a gap-groups model (one row per gap metric, period
  and area, with group_name, value and, for weighted groups, population), one row per (gap metric_id, period):

    mission, metric_id, period_start, period_end, value, grouping, method, n_areas,
    top_group_name, n_top_group, top_group_value, bottom_group_name, n_bottom_group, bottom_group_value,
    top_area_code, top_area_name, n_tied_top, source_feeds

  top / bottom   {'group': group_name in the groups model, 'label': name published, 'agg': how its value is
                 summarised}. agg: max | median | mean | population_weighted (sum(value * population) /
                 sum(population), the groups model carries `population`)
  value          'top_minus_bottom' or 'bottom_minus_top'
  grouping       the published grouping label (decile, third, top_minus_median_of_others, ...)
  method         a SQL expression for the method text; it may use n_areas, n_top_group, n_bottom_group
  top_area       none; 'ranked' (the top group is one area: its code and name, and how many areas tie with it);
                 or a fixed {'code': ..., 'name': ...} (a reference area, e.g. London)
  require_one_top   keep only periods whose top group has exactly one area (a reference area must be present)
  when_empty     optional {'metric_ids': [...], 'method': '...', 'source_feeds': '...'}: one row per metric with
                 no period and no value when the groups model is empty (a source not delivered yet)
#}
{% macro _mission_gap_agg(agg, group) -%}
    {%- set cond = "group_name = '" ~ group ~ "'" -%}
    {%- set f = "filter (where " ~ cond ~ ")" -%}
    {%- if agg == 'max' -%} max(value) {{ f }}
    {%- elif agg == 'median' -%} median(value) {{ f }}
    {%- elif agg == 'mean' -%} {{ exact_sum('value', where=cond) }} / count(value) {{ f }}
    {%- elif agg == 'population_weighted' -%} {{ exact_sum('value * population', where=cond) }} / {{ exact_sum('population', where=cond) }}
    {%- else -%} {{ exceptions.raise_compiler_error("mission_gap: unknown agg " ~ agg) }}
    {%- endif -%}
{%- endmacro %}

{% macro mission_gap(groups_model, top, bottom, value, grouping, method, top_area=none, require_one_top=false,
                     when_empty=none) %}
with groups as (
    select * from {{ ref(groups_model) }}
),

per_period as (
    select
        mission,
        metric_id,
        period_start,
        period_end,
        count(*) as n_areas,
        count(*) filter (where group_name = '{{ top.group }}') as n_top_group,
        count(*) filter (where group_name = '{{ bottom.group }}') as n_bottom_group,
        {{ _mission_gap_agg(top.agg, top.group) }} as top_group_value,
        {{ _mission_gap_agg(bottom.agg, bottom.group) }} as bottom_group_value,
        {%- if top_area == 'ranked' %}
        max(area_code) filter (where group_name = '{{ top.group }}') as top_area_code,
        max(area_name) filter (where group_name = '{{ top.group }}') as top_area_name,
        {%- endif %}
        any_value(source_feeds) as source_feeds
    from groups
    group by mission, metric_id, period_start, period_end
),

{%- if top_area == 'ranked' %}
ties as (
    select g.metric_id, g.period_start, g.period_end, count(*) as n_tied_top
    from groups as g
    inner join per_period as p
        on p.metric_id = g.metric_id and p.period_start = g.period_start and p.period_end = g.period_end
    where g.value = p.top_group_value
    group by g.metric_id, g.period_start, g.period_end
),
{%- endif %}

computed as (
    select
        p.mission,
        p.metric_id,
        p.period_start,
        p.period_end,
        {{ 'p.top_group_value - p.bottom_group_value' if value == 'top_minus_bottom'
           else 'p.bottom_group_value - p.top_group_value' }} as value,
        '{{ grouping }}' as grouping,
        {{ method }} as method,
        p.n_areas,
        '{{ top.label }}' as top_group_name,
        p.n_top_group,
        p.top_group_value,
        '{{ bottom.label }}' as bottom_group_name,
        p.n_bottom_group,
        p.bottom_group_value,
        {%- if top_area == 'ranked' %}
        p.top_area_code,
        p.top_area_name,
        t.n_tied_top,
        {%- elif top_area is mapping %}
        '{{ top_area.code }}' as top_area_code,
        '{{ top_area.name }}' as top_area_name,
        cast(null as bigint) as n_tied_top,
        {%- else %}
        cast(null as {{ type_text() }}) as top_area_code,
        cast(null as {{ type_text() }}) as top_area_name,
        cast(null as bigint) as n_tied_top,
        {%- endif %}
        p.source_feeds
    from per_period as p
    {%- if top_area == 'ranked' %}
    inner join ties as t
        on t.metric_id = p.metric_id and t.period_start = p.period_start and t.period_end = p.period_end
    {%- endif %}
    {%- if require_one_top %}
    where p.n_top_group = 1
    {%- endif %}
)

select * from computed
{%- if when_empty %}
union all
select
    {{ when_empty.mission }} as mission, metric_id, cast(null as date) as period_start,
    cast(null as date) as period_end, cast(null as double) as value, '{{ grouping }}' as grouping,
    '{{ when_empty.method | replace("'", "''") }}' as method, cast(0 as bigint) as n_areas,
    '{{ top.label }}' as top_group_name, cast(0 as bigint) as n_top_group, cast(null as double) as top_group_value,
    '{{ bottom.label }}' as bottom_group_name, cast(0 as bigint) as n_bottom_group,
    cast(null as double) as bottom_group_value, cast(null as {{ type_text() }}) as top_area_code,
    cast(null as {{ type_text() }}) as top_area_name, cast(null as bigint) as n_tied_top,
    '{{ when_empty.source_feeds }}' as source_feeds
from (values {% for m in when_empty.metric_ids %}('{{ m }}'){% if not loop.last %}, {% endif %}{% endfor %}) as t(metric_id)
where not exists (select 1 from computed)
{%- endif %}
{% endmacro %}
