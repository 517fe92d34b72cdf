{{ config(meta={"dagster": {"ref": {"name": "mission_metrics"}}}) }}
-- Every row is at a geography level its metric allows (the catalogue's level(s), or a national row), and its
-- area code has the form that level implies.
with rows as (
    select m.metric_id, m.area_code, m.geography_level, c.geography_level as allowed_levels
    from {{ ref('mission_metrics') }} as m
    join {{ ref('mission_metric_catalogue') }} as c using (metric_id)
),

checked as (
    select
        *,
        {{ list_has(list_concat(split_list('allowed_levels', '|'), "['country', 'nation']", "array('country', 'nation')"), 'geography_level') }} as level_allowed,
        case geography_level
            when 'country' then {{ regex_full_match('area_code', 'K0[234]000001') }}
            when 'nation' then area_code in ('E92000001', 'W92000004', 'S92000003', 'N92000002')
            when 'itl1' then {{ regex_full_match('area_code', 'E1200000[1-9]|W92000004|S92000003|N92000002') }}
            when 'region' then {{ regex_full_match('area_code', 'E1200000[1-9]') }}
            when 'upper_tier_la' then {{ regex_full_match('area_code', '(E06|E10|E08|E09|W06|S12|N09)\d{6}') }}
            when 'lower_tier_la' then {{ regex_full_match('area_code', '(E06|E07|E08|E09|W06|S12|N09)\d{6}') }}
            when 'police_force_area' then {{ regex_full_match('area_code', '(E23|W15)\d{6}') }}
            else false
        end as code_matches_level
    from rows
)

select * from checked where not level_allowed or not code_matches_level
