-- Mission 9 gaps, per-area ranks over the 296 English lower-tier LAs (1 = highest).
-- Grain: one row per (gap metric_id, period, area_code).
{{ mission_top_minus_median_groups('int_mission_09_pride_in_place',
    {'m9_engaged_arts': 'm9_gap_engaged_arts',
     'm9_visited_museum_gallery': 'm9_gap_visited_museum_gallery',
     'm9_visited_library': 'm9_gap_visited_library',
     'm9_visited_heritage_site': 'm9_gap_visited_heritage_site'},
    'lower_tier_la') }}
