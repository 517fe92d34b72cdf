{{ config(schema='intermediate') }}
-- Mission 1 gaps: top ITL1 area minus the median of the other 11. Grain: one row per (gap metric_id, period).
{{ mission_top_minus_median_gaps('int_mission_01_living_standards_gap_groups',
    'the 12 ITL1 areas (9 English regions, Wales, Scotland, Northern Ireland)') }}
