-- Abolished county / unitary codes (ELS utla with an end year) -> 2025 successor county/unitary, with the
-- population share used to split a county's counts between several successors.
-- Grain: one row per (old_code, new_code). Rebuilds derived/ctyua_abolished_to_successor.csv.
-- weight_old_to_new: 1 for a single successor; the successor's share of mid-2023 population when every
-- successor lies wholly inside the old area; NULL otherwise (Dorset CC: part of BCP came from it, and
-- Christchurch's population is not in the registered feeds).
with els as (
    select * from {{ ref('stg_reference__els_geo_metadata') }}
),

mysociety as (
    select * from {{ ref('stg_reference__mysociety_uk_local_authorities') }}
),

lad_changes as (
    select * from {{ ref('int_geography_lad_code_changes') }}
),

old_utla as (
    select area_code as old_code, area_name as old_name, end_year as last_year_valid
    from els
    where {{ list_has('levels', "'utla'") }} and end_year is not null
),

-- member districts: a county -> its districts (mySociety county-la); a unitary/met district -> itself
members as (
    select o.old_code, d.gss_code as lad_old
    from old_utla as o
    inner join mysociety as c on c.gss_code = o.old_code
    inner join mysociety as d on d.county_la = c.registry_code
    where o.old_code like 'E10%'
    union all
    select old_code, old_code from old_utla where old_code not like 'E10%'
),

mapped as (
    select m.old_code, m.lad_old, coalesce(ch.new_code, m.lad_old) as new_code
    from members as m
    left join lad_changes as ch on ch.old_code = m.lad_old
),

agg as (
    select
        old_code,
        new_code,
        count(*) as n_member_lads,
        {{ sorted_string_agg('lad_old', ';') }} as member_lads_old,
        {{ any_order_list('lad_old') }} as member_list
    from mapped
    group by old_code, new_code
),

predecessors as (
    select new_code, {{ any_order_list('old_code') }} as predecessor_list from lad_changes group by new_code
),

pop as (
    select area_code, population
    from {{ ref('stg_reference__ons_mid_year_population_lad23') }}
    where year = 2023
),

joined as (
    select
        o.old_code,
        o.old_name,
        o.last_year_valid,
        a.new_code,
        h.lad_name as new_name,
        a.n_member_lads,
        a.member_lads_old,
        -- the successor lies wholly inside the abolished area: all its predecessor codes are members
        {{ list_has_every('a.member_list', 'coalesce(p.predecessor_list, ' ~ list_of('a.new_code') ~ ')') }} as successor_within_old,
        pop.population as pop_2023_successor
    from old_utla as o
    inner join agg as a on a.old_code = o.old_code
    left join {{ ref('int_geography_lad_hierarchy') }} as h on h.lad_code = a.new_code
    left join predecessors as p on p.new_code = a.new_code
    left join pop on pop.area_code = a.new_code
)

select
    *,
    count(*) over w as n_successors,
    case
        when count(*) over w = 1 then 1.0
        when bool_and(successor_within_old) over w
            then round(pop_2023_successor / sum(pop_2023_successor) over w, 4)
    end as weight_old_to_new
from joined
window w as (partition by old_code)
