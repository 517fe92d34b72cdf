-- Mission 3 (transport), proxy only: average minutes to the nearest employment centre (500-4,999 jobs) by
-- public transport or walking, by English region and lower-tier LA (source's pre-2019 district codes) and
-- England. Grain: one row per (metric_id, area_code, period).
{{ mission_ess_rows('stg_ess__average_travel_time', 3,
    {'Public transport or walk to work': 'm3_travel_time_pt_walk'},
    ['region', 'lower_tier_la'], 'average-travel-time',
    'as published (DfT journey time statistics, employment centres with 500-4,999 jobs); proxy for connectivity',
    national_codes=['E92000001']) }}
