-- Small areas (LSOA 2011 in E&W, Data Zone 2011 in Scotland, Super Output Area in NI) -> current council,
-- by mySociety registry code (joined to GSS codes through stg_reference__mysociety_uk_local_authorities).
select
    trim(lsoa) as small_area_code,
    trim({{ adapter.quote('local-authority-code') }}) as registry_code,
    _source_sha256 as source_sha256
from {{ source('reference', 'mysociety_lsoa_to_registry') }}
