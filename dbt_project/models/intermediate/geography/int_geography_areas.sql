-- Every standard area of the target vintage (April 2025 LADs and the areas built from them), with its level,
-- name and member LAD count. Grain: one row per (area_level, area_code).
-- area_level: LAD | CTYUA | CA | RGN | CTRY | ITL1 | ITL2 | ITL3 | PFA.
select
    area_level,
    area_code,
    any_value(area_name) as area_name,
    count(distinct lad_code) as n_lads,
    bool_or(is_partial) as has_partial_lad
from {{ ref('int_geography_lad_to_area') }}
group by area_level, area_code
