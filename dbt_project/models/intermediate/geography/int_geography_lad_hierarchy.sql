-- The target-vintage (April 2025) LAD dimension: one row per LAD25 with its county/unitary (ELS utla),
-- combined authority (ELS; + GLA E61000001 for London), region and country (ONS via drkane), ITL 2025 and
-- ITL 2021 (';'-joined where a LAD straddles ITL units) and police force area.
-- Rebuilds ../shared/data/reference/derived/lad_hierarchy_2025.csv (compared in tests/test_geography_mirror.py).
with els as (
    select * from {{ ref('stg_reference__els_geo_metadata') }}
),

drkane as (
    select * from {{ ref('stg_reference__drkane_la_all_codes') }}
),

-- LAD23 -> LAD25: only Sheffield and Barnsley differ
recode as (
    select lad_code as old_code, lad_code_active as new_code from drkane where lad_code <> lad_code_active
),

itl25 as (
    select
        lad25_code as lad_code,
        any_value(lad25_name) as lad_name,
        any_value(itl1_25_code) as itl1_code,
        any_value(itl1_25_name) as itl1_name,
        {{ sorted_string_agg('itl2_25_code', ';', distinct=true) }} as itl2_25_code,
        {{ sorted_string_agg('itl2_25_name', ';', distinct=true) }} as itl2_25_name,
        {{ sorted_string_agg('itl3_25_code', ';', distinct=true) }} as itl3_25_code,
        {{ sorted_string_agg('itl3_25_name', ';', distinct=true) }} as itl3_25_name,
        count(distinct itl3_25_code) > 1 as is_itl25_split
    from {{ ref('stg_reference__ons_lad25_itl25_lookup') }}
    group by lad25_code
),

itl21 as (
    select
        coalesce(r.new_code, l.lad23_code) as lad_code,
        {{ sorted_string_agg('l.itl2_21_code', ';', distinct=true) }} as itl2_21_code,
        {{ sorted_string_agg('l.itl2_21_name', ';', distinct=true) }} as itl2_21_name,
        {{ sorted_string_agg('l.itl3_21_code', ';', distinct=true) }} as itl3_21_code,
        {{ sorted_string_agg('l.itl3_21_name', ';', distinct=true) }} as itl3_21_name,
        count(distinct l.itl3_21_code) > 1 as is_itl21_split
    from {{ ref('stg_reference__ons_lad23_itl21_lookup') }} as l
    left join recode as r on r.old_code = l.lad23_code
    group by 1
),

pfa as (
    select distinct
        coalesce(r.new_code, p.lad23_code) as lad_code,
        p.pfa23_code as pfa_code,
        p.pfa23_name as pfa_name,
        'ONS LAD23_CSP23_PFA23' as pfa_source
    from {{ ref('stg_reference__ons_lad23_pfa23_lookup') }} as p
    left join recode as r on r.old_code = p.lad23_code
),

pfa_names as (
    select pfa19_code as pfa_code, pfa19_name as pfa_name from {{ ref('stg_reference__ons_pfa19_names') }}
),

base as (
    select
        i.*,
        e.levels,
        e.parents,
        nullif(d.region_code, '') as rgn_code,
        nullif(d.region_name, '') as rgn_name,
        d.country_code as ctry_code,
        d.country_name as ctry_name,
        case
            when {{ list_has('e.levels', "'utla'") }} then i.lad_code
            else {{ first_like('e.parents', 'E10%') }}
        end as ctyua_code
    from itl25 as i
    inner join els as e on e.area_code = i.lad_code
    inner join drkane as d on d.lad_code = i.lad_code
)

select
    b.lad_code,
    b.lad_name,
    b.ctyua_code,
    cu.area_name as ctyua_name,
    ca.area_code as cauth_code,
    ca.area_name as cauth_name,
    coalesce(ca.area_code, case when b.rgn_code = 'E12000007' then 'E61000001' end) as cauth_or_gla_code,
    coalesce(ca.area_name, case when b.rgn_code = 'E12000007' then 'Greater London Authority' end)
        as cauth_or_gla_name,
    b.rgn_code,
    b.rgn_name,
    b.ctry_code,
    b.ctry_name,
    b.itl1_code,
    b.itl1_name,
    b.itl2_25_code,
    b.itl2_25_name,
    b.itl3_25_code,
    b.itl3_25_name,
    b.is_itl25_split,
    t.itl2_21_code,
    t.itl2_21_name,
    t.itl3_21_code,
    t.itl3_21_name,
    t.is_itl21_split,
    coalesce(p.pfa_code, n.pfa_code) as pfa_code,
    coalesce(p.pfa_name, n.pfa_name) as pfa_name,
    coalesce(p.pfa_source, 'rule: single national force (codes as in ONS PFA19 names & codes file)') as pfa_source,
    -- the ELS app's region where it differs from ONS (NE/N Lincolnshire via Greater Lincolnshire CCA)
    case when els_rgn.area_code <> b.rgn_code then els_rgn.area_code end as els_app_region_disagrees
from base as b
left join els as cu on cu.area_code = b.ctyua_code
left join els as ca
    on ca.area_code = coalesce(
        {{ first_like('b.parents', 'E47%') }},
        {{ first_like('cu.parents', 'E47%') }}
    )
left join els as els_rgn
    on els_rgn.area_code = coalesce(
        {{ first_like('b.parents', 'E12%') }},
        {{ first_like('ca.parents', 'E12%') }}
    )
left join itl21 as t on t.lad_code = b.lad_code
left join pfa as p on p.lad_code = b.lad_code
left join pfa_names as n
    on n.pfa_code = case b.ctry_code when 'S92000003' then 'S23000009' when 'N92000002' then 'N99999999' end
