-- LAD membership by year, 2017-2025 (DfE dfeR geo_hierarchy): each year's LAD codes with their DfE local
-- authority (= upper tier), combined authority or combined county authority (E47, historic bodies included)
-- or the GLA (E61000001), region and country. Year 2018 is incomplete in the source (243 English LADs,
-- Manchester, Leeds and Birmingham absent): consumers take 2018 membership from 2017 (no LAD or combined
-- authority membership changed between April 2017 and April 2019).
select
    cast({{ adapter.quote('year') }} as integer) as year,
    trim(lad_cd) as lad_code,
    trim(lad_nm) as lad_name,
    nullif(trim(la_cd), '') as la_code,
    nullif(trim(la_nm), '') as la_name,
    nullif(trim(cauth_cd), '') as cauth_code,
    nullif(trim(cauth_nm), '') as cauth_name,
    nullif(trim(rgn_cd), '') as region_code,
    trim(ctry_cd) as country_code,
    _source_sha256 as source_sha256
from {{ source('reference', 'dfe_lad_by_year_2017_2025') }}
