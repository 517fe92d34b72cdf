{{ config(schema='intermediate') }}
-- Mission 4 gaps: top area minus the median of the others. Grain: one row per (gap metric_id, period).
{{ mission_top_minus_median_gaps('int_mission_04_digital_gap_groups',
    'lower-tier LAs in England, LAs in Wales, council areas in Scotland, LGDs in Northern Ireland (2025 codes)') }}
