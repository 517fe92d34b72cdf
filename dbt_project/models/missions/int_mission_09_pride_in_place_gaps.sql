{{ config(schema='intermediate') }}
-- Mission 9 gaps: top LA minus the median of the others. Grain: one row per (gap metric_id, period).
{{ mission_top_minus_median_gaps('int_mission_09_pride_in_place_gap_groups',
    'English lower-tier LAs (non-metropolitan districts, metropolitan districts, London boroughs, unitaries)') }}
