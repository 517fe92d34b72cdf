{{ config(schema='marts') }}
{#
  Which areas formed each gap's groups. Grain: one row per (gap metric_id, period_start, period_end, area_code).
  rank: 1 = highest value of the ranking measure, except mission 6 where 1 = lowest level 3+ share (the
  lowest-skilled end); ranking_value is the measure ranked (the L3 share for mission 6, else the value).
  group_name: top / others (missions 1, 4, 9), london / other_regions (3), lowest_skilled_third / rest (6),
  top_decile / bottom_decile / middle (7).
#}
{% set group_models = [
    'int_mission_01_living_standards_gap_groups', 'int_mission_03_transport_gap_groups',
    'int_mission_04_digital_gap_groups', 'int_mission_06_skills_gap_groups',
    'int_mission_07_health_gap_groups', 'int_mission_08_wellbeing_gap_groups',
    'int_mission_09_pride_in_place_gap_groups'] %}

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
