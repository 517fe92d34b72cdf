-- The code-change map: every superseded code that occurs in official lookups -> its target-vintage (April
-- 2025) code, with the change type and the population weight used to move values across.
-- Grain: one row per (old_code, new_code).
--   recode  same area under a new code (incl. minor boundary changes, sequential recodes, an abolished county
--           whose single successor unitary covers it, and ITL 2021 units renumbered in ITL 2025)
--   merge   several areas that coexisted became one target area (values re-aggregated by measure type)
--   split   one area divided between several target areas (counts apportioned by weight_old_to_new, the
--           successor's share of mid-2023 population; NULL when it cannot be computed, e.g. Dorset CC)
with lad as (
    select
        old_code, old_name, 'LAD' as old_level, new_code, new_name, change_type,
        weight_old_to_new, 'population share not needed (whole districts)' as weight_basis,
        start_date_old, end_date_mysociety as end_date_old, year_abolished, source
    from {{ ref('int_geography_lad_code_changes') }}
),

ctyua as (
    select
        c.old_code, c.old_name, 'CTYUA' as old_level, c.new_code, c.new_name,
        case
            when c.n_successors > 1 then 'split'
            when c.successor_within_old then 'recode'
            else 'merge'
        end as change_type,
        c.weight_old_to_new,
        case
            when c.n_successors > 1 and c.weight_old_to_new is not null
                then 'successor share of ONS MYE mid-2023 population (4 dp)'
            when c.n_successors > 1 then 'not computable: a successor lies partly outside the old area'
            else 'single successor'
        end as weight_basis,
        cast(null as date) as start_date_old,
        make_date(c.last_year_valid + 1, 3, 31) as end_date_old,
        c.last_year_valid + 1 as year_abolished,
        'ELS utla end year + mySociety county-la membership' as source
    from {{ ref('int_geography_ctyua_changes') }} as c
    -- district / unitary codes already come from the LAD change list
    where c.old_code not in (select old_code from lad)
),

itl_renumbered as (
    select
        o.itl_code as old_code, o.itl_name as old_name, 'ITL' || o.itl_level as old_level,
        n.itl_code as new_code, n.itl_name as new_name, 'recode' as change_type,
        1.0 as weight_old_to_new, 'same set of whole 2025 LADs' as weight_basis,
        cast(null as date) as start_date_old, make_date(2024, 12, 31) as end_date_old, 2025 as year_abolished,
        'ONS ITL 2021 and ITL 2025 lookups (same LAD set, no straddling LAD)' as source
    from {{ ref('int_geography_itl_units') }} as o
    inner join {{ ref('int_geography_itl_units') }} as n
        on n.vintage = 2025 and n.itl_level = o.itl_level and n.lad_codes = o.lad_codes
    where o.vintage = 2021
      and not o.has_split_lad
      and not n.has_split_lad
      and o.itl_code not in (select itl_code from {{ ref('int_geography_itl_units') }} where vintage = 2025)
)

select * from lad
union all
select * from ctyua
union all
select * from itl_renumbered
