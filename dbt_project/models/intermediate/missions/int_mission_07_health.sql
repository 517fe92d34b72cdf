-- Mission 7 (health): healthy life expectancy at birth by sex, by upper-tier LA (E), LA (W), council area (S),
-- LGD (NI), plus UK and the four nations. Grain: one row per (metric_id, area_code, period).
{{ mission_ess_rows('stg_ess__healthy_life_expectancy', 7,
    {'Male healthy life expectancy': 'm7_hle_male', 'Female healthy life expectancy': 'm7_hle_female'},
    ['upper_tier_la'], 'healthy-life-expectancy',
    'as published (ONS HLE, 3-year periods; series revised February 2026)') }}
