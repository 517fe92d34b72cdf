-- Mission 8 (well-being), open context only: mean life satisfaction, worthwhile, happiness and anxiety scores
-- (0-10) by lower-tier LA (2021/22 boundaries in every year) plus UK and the four nations, and the headline
-- shares (m8_low_*, m8_high_anxiety) from the restricted zone's disclosure-controlled export
-- (int_mission_08_wellbeing__restricted_shares: not_available rows when no delivery has been processed).
-- Grain: one row per (metric_id, area_code, period).
with open_context as (
{{ mission_ess_rows('stg_ess__personal_wellbeing_estimates', 8,
    {'Satisfaction': 'm8_mean_life_satisfaction', 'Worthwhile': 'm8_mean_worthwhile',
     'Happiness': 'm8_mean_happiness', 'Anxiety': 'm8_mean_anxiety'},
    ['lower_tier_la'], 'personal-wellbeing-estimates',
    'as published (ONS APS personal well-being, mean score 0-10, financial years)') }}
)

select * from open_context
{{ union_all_by_name() }}
select
    mission, metric_id, area_code, area_name, geography_level, period_start, period_end, value,
    cast(null as {{ type_text() }}) as source_unit, status,
    status_reason, method, source_feeds, source_area_code, source_geography_level
from {{ ref('int_mission_08_wellbeing__restricted_shares') }}
