-- Every UK LAD code in use since 2011 with its latest (active) code. The CAUTH columns are stale (see
-- ../shared/data/reference/SOURCES.md): use the ELS hierarchy for combined authorities.
select
    trim(LADCD) as lad_code,
    trim(LADNM) as lad_name,
    trim(LADCD_ACTIVE) as lad_code_active,
    trim(LADNM_ACTIVE) as lad_name_active,
    trim(UTLACD) as utla_code,
    trim(UTLANM) as utla_name,
    trim(CAUTHCD) as cauth_code_stale,
    trim(RGNCD) as region_code,
    trim(RGNNM) as region_name,
    trim(CTRYCD) as country_code,
    trim(CTRYNM) as country_name,
    Current = 'TRUE' as is_current,
    _source_sha256 as source_sha256
from {{ source('reference', 'drkane_la_all_codes') }}
