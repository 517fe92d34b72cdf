-- Mission 9 (pride in place): engagement with the arts, museums/galleries, libraries and heritage sites by
-- English lower-tier LA plus England. Grain: one row per (metric_id, area_code, period).
{{ mission_ess_rows('stg_ess__engagement_with_culture_and_heritage', 9,
    {'Engaged with the arts': 'm9_engaged_arts', 'Visited a museum or gallery': 'm9_visited_museum_gallery',
     'Visited a public library': 'm9_visited_library', 'Visited a heritage site': 'm9_visited_heritage_site'},
    ['lower_tier_la'], 'engagement-with-culture-and-heritage',
    'as published (DCMS Participation Survey, adults 16+, last 12 months)',
    national_codes=['E92000001']) }}
