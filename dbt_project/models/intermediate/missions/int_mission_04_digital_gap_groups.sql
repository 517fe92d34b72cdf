-- Mission 4 gaps, per-area ranks over the lower-tier set (1 = highest coverage).
-- Grain: one row per (gap metric_id, period, area_code).
{{ mission_top_minus_median_groups('int_mission_04_digital',
    {'m4_gigabit_coverage': 'm4_gap_gigabit_coverage',
     'm4_4g_coverage': 'm4_gap_4g_coverage',
     'm4_5g_coverage': 'm4_gap_5g_coverage'},
    'lower_tier_la') }}
