-- Old LAD code -> its April 2025 (target vintage) code, collapsed through chains (Taunton Deane -> Somerset
-- West and Taunton -> Somerset). Grain: one row per old_code.
-- change_type: 'recode' = the area carries on under a new code (1:1, incl. minor boundary changes such as
-- Sheffield/Barnsley 2025 and sequential recodes like Glasgow S12000043 -> S12000046 -> S12000049);
-- 'merge' = the new code absorbed two or more districts that existed at the same time.
-- From 2011 to 2025 there were no LAD splits, so weight_old_to_new is always 1.
with drkane as (
    select * from {{ ref('stg_reference__drkane_la_all_codes') }}
),

mysociety as (
    select * from {{ ref('stg_reference__mysociety_uk_local_authorities') }}
),

els as (
    select * from {{ ref('stg_reference__els_geo_metadata') }}
),

pairs as (
    select lad_code as old_code, lad_name as old_name, lad_code_active as new_code,
           'drkane la_all_codes' as source
    from drkane
    where lad_code <> lad_code_active
    union all
    -- mySociety former-gss-codes adds old Scottish codes drkane lacks (e.g. Glasgow S12000043)
    select trim(m.former) as old_code, null as old_name, coalesce(d.lad_code_active, m.gss_code) as new_code,
           'mysociety former-gss-codes' as source
    from (select *, {{ unnest_list(split_list('former_gss_codes', ',')) }} as former from mysociety) as m
    left join drkane as d on d.lad_code = m.gss_code
    where m.former_gss_codes is not null
      and m.gss_code not like 'E47%'
      and trim(m.former) not in (select lad_code from drkane)
),

current_lads as (
    select lad_code, lad_name from drkane where is_current
),

dated as (
    select
        p.*,
        c.lad_name as new_name,
        m.start_date as start_date_old,
        m.end_date as end_date_mysociety,
        e.end_year as last_vintage_year_els,
        -- year the old code stopped being used (first April it was gone)
        coalesce(year({{ add_days('m.end_date', 1) }}), e.end_year + 1) as year_abolished
    from pairs as p
    inner join current_lads as c on c.lad_code = p.new_code
    left join mysociety as m on m.gss_code = p.old_code
    left join els as e on e.area_code = p.old_code
)

select
    old_code,
    old_name,
    new_code,
    new_name,
    case
        when count(*) over (partition by new_code, year_abolished) > 1 then 'merge'
        else 'recode'
    end as change_type,
    count(*) over (partition by new_code) as n_predecessors_of_new,
    start_date_old,
    end_date_mysociety,
    last_vintage_year_els,
    year_abolished,
    1.0 as weight_old_to_new,
    source
from dated
