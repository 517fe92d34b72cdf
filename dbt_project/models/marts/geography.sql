{#
  The geography dimension for the target vintage (April 2025): one row per LAD with names, its county or
  unitary authority, combined authority (or the GLA), region / ITL1, country, ITL3 and ITL2 (2025, and the
  2021 codes), police force area and the population used for weighting.
  Grain: one row per lad_code (361).
#}
select
    h.lad_code,
    h.lad_name,
    h.ctyua_code,
    h.ctyua_name,
    h.cauth_code,
    h.cauth_name,
    h.cauth_or_gla_code,
    h.cauth_or_gla_name,
    h.rgn_code as region_code,
    h.rgn_name as region_name,
    h.itl1_code,
    h.itl1_name,
    h.ctry_code as country_code,
    h.ctry_name as country_name,
    h.itl2_25_code as itl2_code,
    h.itl2_25_name as itl2_name,
    h.itl3_25_code as itl3_code,
    h.itl3_25_name as itl3_name,
    h.is_itl25_split,
    h.itl2_21_code,
    h.itl2_21_name,
    h.itl3_21_code,
    h.itl3_21_name,
    h.is_itl21_split,
    h.pfa_code,
    h.pfa_name,
    h.pfa_source,
    p.population,
    p.pop_year,
    p.pop_source,
    h.els_app_region_disagrees
from {{ ref('int_geography_lad_hierarchy') }} as h
left join {{ ref('int_geography_lad_population') }} as p on p.lad_code = h.lad_code
