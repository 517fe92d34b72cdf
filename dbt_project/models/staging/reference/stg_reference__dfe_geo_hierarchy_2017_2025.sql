-- The dfeR geo_hierarchy lookup as published (one row per ward x PCON x LAD and the years it held): ward, PCON,
-- LAD, DfE local authority (old 3-digit and new GSS codes), English devolved area, region and country.
select
    cast(first_available_year_included as integer) as first_year,
    cast(most_recent_year_included as integer) as last_year,
    trim(ward_code) as ward_code,
    trim(ward_name) as ward_name,
    nullif(trim(pcon_code), '') as pcon_code,
    nullif(trim(pcon_name), '') as pcon_name,
    trim(lad_code) as lad_code,
    trim(lad_name) as lad_name,
    nullif(trim(old_la_code), '') as old_la_code,
    nullif(trim(new_la_code), '') as la_code,
    nullif(trim(la_name), '') as la_name,
    nullif(trim(english_devolved_area_code), '') as devolved_area_code,
    nullif(trim(english_devolved_area_name), '') as devolved_area_name,
    trim(region_code) as region_code,
    nullif(trim(region_name), '') as region_name,
    trim(country_code) as country_code,
    nullif(trim(country_name), '') as country_name,
    _source_sha256 as source_sha256
from {{ source('reference', 'dfe_geo_hierarchy_2017_2025') }}
