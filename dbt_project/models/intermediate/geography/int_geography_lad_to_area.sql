-- Bridge from each target-vintage LAD to every standard area it belongs to in the target vintage:
-- county/unitary (CTYUA), combined authority or GLA (CA), region (RGN), country (CTRY), ITL1/2/3 (2025) and
-- police force area (PFA). Grain: one row per (area_level, area_code, lad_code).
-- is_partial: the LAD lies only partly in the area (North Ayrshire in ITL3 TLM20/TLM93): such areas cannot
-- be rolled up from whole LADs.
with h as (
    select * from {{ ref('int_geography_lad_hierarchy') }}
),

itl25 as (
    select lad25_code as lad_code, 'ITL1' as area_level, itl1_25_code as area_code, itl1_25_name as area_name
    from {{ ref('stg_reference__ons_lad25_itl25_lookup') }}
    union all
    select lad25_code, 'ITL2', itl2_25_code, itl2_25_name from {{ ref('stg_reference__ons_lad25_itl25_lookup') }}
    union all
    select lad25_code, 'ITL3', itl3_25_code, itl3_25_name from {{ ref('stg_reference__ons_lad25_itl25_lookup') }}
),

rows as (
    select 'LAD' as area_level, lad_code as area_code, lad_name as area_name, lad_code from h
    union all
    select 'CTYUA', ctyua_code, ctyua_name, lad_code from h
    union all
    select 'CA', cauth_or_gla_code, cauth_or_gla_name, lad_code from h where cauth_or_gla_code is not null
    union all
    select 'RGN', rgn_code, rgn_name, lad_code from h where rgn_code is not null
    union all
    select 'CTRY', ctry_code, ctry_name, lad_code from h
    union all
    select 'CTRY', 'K04000001', 'England and Wales', lad_code from h where ctry_code in ('E92000001', 'W92000004')
    union all
    select 'CTRY', 'K03000001', 'Great Britain', lad_code from h where ctry_code <> 'N92000002'
    union all
    select 'CTRY', 'K02000001', 'United Kingdom', lad_code from h
    union all
    select 'PFA', pfa_code, pfa_name, lad_code from h
    union all
    select distinct area_level, area_code, area_name, lad_code from itl25
)

select
    r.area_level,
    r.area_code,
    r.area_name,
    r.lad_code,
    -- a LAD that sits in more than one ITL unit of one level is only partly in each
    r.area_level like 'ITL%' and count(*) over (partition by r.area_level, r.lad_code) > 1 as is_partial
from rows as r
