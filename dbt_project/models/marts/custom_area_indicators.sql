{#
  Additive indicators (measure_type 'count') for the analyst-defined areas in <LEVELUP_DATA_DIR>/custom_areas/
  (see docs/geography.md), summed over the members: small areas from the published small-area rows (as in
  `indicators`), LADs from the target-vintage LAD rows of indicators_harmonised (published, merged, split or
  derived).
  Grain: one row per (custom_area, feed_id, indicator, period_start, period_end).
  value is the sum only when every matched member has a value (status 'ok'); otherwise value is NULL and
  status 'incomplete'. Coverage: members_listed / members_matched / members_not_matched (+ the unmatched codes)
  / members_with_value. Several old LAD codes resolving to one target LAD count that LAD once.
#}
with members as (
    select * from {{ ref('int_geography_custom_area_members') }}
),

coverage as (
    select
        custom_area,
        any_value(description) as description,
        any_value(member_kind) as member_kind,
        count(*) as members_listed,
        count(distinct resolved_code) as members_matched,
        count(*) filter (where not is_matched) as members_not_matched,
        {{ sorted_string_agg('member_code', ';', where='not is_matched') }} as unmatched_codes
    from members
    group by custom_area
),

resolved as (
    select distinct custom_area, member_kind, resolved_code from members where is_matched
),

harmonised as (
    select
        area_code, area_level, feed_id, indicator, measure_type, period_start, period_end, period_duration,
        period_kind, period_raw, unit, value, is_derived
    from {{ ref('indicators_harmonised') }}
    where measure_type = 'count' and area_level = 'LAD'
    union all
    select
        area_code, 'SMALL_AREA', feed_id, indicator, measure_type, period_start, period_end, period_duration,
        period_kind, period_raw, unit, value, false
    from {{ ref('int_geography_source_observations') }}
    where measure_type = 'count' and source_level = 'SMALL_AREA'
),

joined as (
    select r.custom_area, h.*
    from resolved as r
    inner join harmonised as h
        on h.area_code = r.resolved_code
       and h.area_level = case r.member_kind when 'lad' then 'LAD' else 'SMALL_AREA' end
),

summed as (
    select
        custom_area, feed_id, indicator, measure_type, period_start, period_end,
        any_value(period_duration) as period_duration, any_value(period_kind) as period_kind,
        any_value(period_raw) as period_raw, any_value(unit) as unit,
        count(value) as members_with_value,
        {{ exact_sum('value') }} as value_sum,
        bool_or(is_derived) as uses_derived_values
    from joined
    group by custom_area, feed_id, indicator, measure_type, period_start, period_end
)

select
    s.custom_area,
    c.description,
    c.member_kind,
    s.feed_id,
    s.indicator,
    s.measure_type,
    s.period_start,
    s.period_end,
    s.period_duration,
    s.period_kind,
    s.period_raw,
    case when s.members_with_value = c.members_matched then s.value_sum end as value,
    s.unit,
    case when s.members_with_value = c.members_matched then 'ok' else 'incomplete' end as status,
    'sum of ' || s.members_with_value || ' of ' || c.members_matched || ' matched members' as method,
    s.uses_derived_values,
    c.members_listed,
    c.members_matched,
    c.members_not_matched,
    c.unmatched_codes,
    s.members_with_value
from summed as s
inner join coverage as c on c.custom_area = s.custom_area
