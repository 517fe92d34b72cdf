-- Mission 1 gaps, per-area ranks: the 12 ITL1 areas ranked by value (1 = highest) per metric and period.
-- Grain: one row per (gap metric_id, period_start, period_end, area_code).
{{ mission_top_minus_median_groups('int_mission_01_living_standards',
    {'m1_gva_per_hour': 'm1_gap_gva_per_hour',
     'm1_gva_per_filled_job': 'm1_gap_gva_per_filled_job',
     'm1_median_weekly_pay': 'm1_gap_median_weekly_pay',
     'm1_employment_rate_16_64': 'm1_gap_employment_rate_16_64'},
    'itl1') }}
