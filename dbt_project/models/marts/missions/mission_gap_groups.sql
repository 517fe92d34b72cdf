{#
  Which areas formed each gap's groups. Grain: one row per (gap metric_id, period_start, period_end, area_code).
  rank: 1 = highest value of the ranking measure, except mission 6 where 1 = lowest level 3+ share (the
  lowest-skilled end); ranking_value is the measure ranked (the L3 share for mission 6, else the value).
  group_name: top / others (missions 1, 4, 9), london / other_regions (3), lowest_skilled_third / rest (6),
  top_decile / bottom_decile / middle (7).
#}
{% set group_models = mission_gap_groups_models() %}  {# generated: macros/generated/registry.sql #}

with groups as (
    {% for m in group_models %}
    select
        mission, metric_id, period_start, period_end, area_code, area_name, group_name, rank, value,
        ranking_value, source_feeds
    from {{ ref(m) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from groups
