{{ config(schema='intermediate') }}
-- Mission 8 (well-being), open context only: mean life satisfaction, worthwhile, happiness and anxiety scores
-- (0-10) by lower-tier LA (2021/22 boundaries in every year) plus UK and the four nations. The headline
-- shares (m8_low_*, m8_high_anxiety) and their gaps need record-level APS microdata and are published by
-- mission_metrics as not_available from the catalogue. Grain: one row per (metric_id, area_code, period).
{{ mission_ess_rows('stg_ess__personal_wellbeing_estimates', 8,
    {'Satisfaction': 'm8_mean_life_satisfaction', 'Worthwhile': 'm8_mean_worthwhile',
     'Happiness': 'm8_mean_happiness', 'Anxiety': 'm8_mean_anxiety'},
    ['lower_tier_la'], 'personal-wellbeing-estimates',
    'as published (ONS APS personal well-being, mean score 0-10, financial years)') }}
