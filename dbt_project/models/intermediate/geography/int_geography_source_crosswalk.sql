-- How every (level, area code) that occurs in the registered feeds resolves to the target vintage.
-- Grain: one row per (source_level, area_code, target_code); target_code is NULL for codes that stay at their
-- source geography. route:
--   direct           a standard area of the target vintage at that level
--   relabel          a target-vintage area published under another level label (E47 CAs as 'ITL Level 2')
--   recode | merge | split   through int_geography_code_changes
--   itl2021_restructured     ITL 2021 unit with no ITL 2025 equivalent (membership in int_geography_aggregate_membership)
--   aggregate        a non-standard aggregate with known member LADs (E11, E13, E67, W42, pre-2024 NE CAs)
--   small_area       LSOA / data zone / NI SOA: kept, rolls up to its LAD through int_geography_small_areas
--   pseudo           listed in seed geo_pseudo_areas (no territory / no membership)
--   unresolved       none of the above: fails test geo_every_source_code_resolves
with codes as (
    select source_level, area_code, any_value(area_name) as area_name, any_value(geography_level) as geography_level,
           count(*) as n_rows, count(distinct feed_id) as n_feeds
    from {{ ref('int_geography_source_observations') }}
    group by source_level, area_code
),

areas as (select * from {{ ref('int_geography_areas') }}),

changes as (select * from {{ ref('int_geography_code_changes') }}),

classified as (
    select
        c.*,
        case
            when exists (select 1 from areas a where a.area_code = c.area_code and a.area_level = c.source_level)
                then 'direct'
            -- a unitary is both a LAD and a county/unitary; a country label may carry K02/K03/K04
            when c.source_level in ('LAD', 'CTYUA')
                 and exists (select 1 from areas a where a.area_code = c.area_code and a.area_level in ('LAD', 'CTYUA'))
                then 'direct'
            when c.area_code in (select area_code from {{ ref('geo_pseudo_areas') }}) then 'pseudo'
            when exists (select 1 from changes x where x.old_code = c.area_code)
                then (select any_value(x.change_type) from changes x where x.old_code = c.area_code)
            when c.area_code like 'E47%' and exists (select 1 from areas a where a.area_code = c.area_code and a.area_level = 'CA')
                then 'relabel'
            when c.source_level like 'ITL%'
                 and c.area_code in (select agg_code from {{ ref('int_geography_aggregate_membership') }})
                then 'itl2021_restructured'
            when c.area_code in (select agg_code from {{ ref('int_geography_aggregate_membership') }}) then 'aggregate'
            when c.source_level = 'SMALL_AREA'
                 and c.area_code in (select small_area_code from {{ ref('int_geography_small_areas') }} where lad_code is not null)
                then 'small_area'
            else 'unresolved'
        end as route
    from codes as c
),

mapped as (
    select
        k.*,
        case
            when k.route in ('direct', 'relabel') then k.area_code
            when k.route in ('recode', 'merge', 'split') then x.new_code
        end as target_code,
        case when k.route in ('recode', 'merge', 'split') then x.weight_old_to_new else 1.0 end as weight,
        x.old_level as change_level
    from classified as k
    left join changes as x on x.old_code = k.area_code and k.route in ('recode', 'merge', 'split')
)

select
    m.source_level,
    m.area_code,
    m.area_name,
    m.geography_level,
    m.route,
    m.target_code,
    case
        when m.target_code is null then null
        when lad.area_code is not null then 'LAD'   -- unitaries are LADs whatever label they were published under
        when m.route = 'relabel' then 'CA'
        when m.change_level like 'ITL%' then m.change_level
        else m.source_level
    end as target_level,
    m.weight,
    m.n_rows,
    m.n_feeds
from mapped as m
left join areas as lad on lad.area_level = 'LAD' and lad.area_code = m.target_code
