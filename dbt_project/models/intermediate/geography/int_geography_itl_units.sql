-- ITL units of both vintages (2021, 2025) expressed as the set of 2025 LADs they touch.
-- Grain: one row per (vintage, itl_level, itl_code).
-- has_split_lad: a member LAD straddles ITL units in either vintage, so the LAD set does not define the area
-- (Cumberland, Westmorland & Furness, Highland, Argyll & Bute, North Ayrshire).
with recode as (
    select lad_code as old_code, lad_code_active as new_code
    from {{ ref('stg_reference__drkane_la_all_codes') }}
    where lad_code <> lad_code_active
),

l25 as (select * from {{ ref('stg_reference__ons_lad25_itl25_lookup') }}),

l21 as (
    select l.*, coalesce(r.new_code, l.lad23_code) as lad_code
    from {{ ref('stg_reference__ons_lad23_itl21_lookup') }} as l
    left join recode as r on r.old_code = l.lad23_code
),

units as (
    select 2025 as vintage, 1 as itl_level, itl1_25_code as itl_code, itl1_25_name as itl_name, lau1_25_code as lau, lad25_code as lad_code from l25
    union all select 2025, 2, itl2_25_code, itl2_25_name, lau1_25_code, lad25_code from l25
    union all select 2025, 3, itl3_25_code, itl3_25_name, lau1_25_code, lad25_code from l25
    union all select 2021, 1, itl1_21_code, itl1_21_name, lau1_21_code, lad_code from l21
    union all select 2021, 2, itl2_21_code, itl2_21_name, lau1_21_code, lad_code from l21
    union all select 2021, 3, itl3_21_code, itl3_21_name, lau1_21_code, lad_code from l21
),

split_lads as (
    select lad_code from {{ ref('int_geography_lad_hierarchy') }} where is_itl25_split or is_itl21_split
)

select
    u.vintage,
    u.itl_level,
    u.itl_code,
    any_value(u.itl_name) as itl_name,
    {{ sorted_list('u.lad_code', distinct=true) }} as lad_codes,
    count(distinct u.lad_code) as n_lads,
    count(distinct u.lau) as n_lau,
    bool_or(s.lad_code is not null) as has_split_lad
from units as u
left join split_lads as s on s.lad_code = u.lad_code
group by u.vintage, u.itl_level, u.itl_code
