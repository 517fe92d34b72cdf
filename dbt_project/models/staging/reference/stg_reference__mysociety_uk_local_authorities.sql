-- Councils past and present (mySociety): dates, successors ("replaced-by", registry codes separated by
-- `|`), former GSS codes, county and combined-authority membership.
select
    trim({{ adapter.quote('local-authority-code') }}) as registry_code,
    trim({{ adapter.quote('official-name') }}) as official_name,
    trim({{ adapter.quote('nice-name') }}) as nice_name,
    nullif(trim({{ adapter.quote('gss-code') }}), '') as gss_code,
    try_cast({{ adapter.quote('start-date') }} as date) as start_date,
    try_cast({{ adapter.quote('end-date') }} as date) as end_date,
    nullif(trim({{ adapter.quote('replaced-by') }}), '') as replaced_by,
    trim(nation) as nation,
    trim(region) as region,
    trim({{ adapter.quote('local-authority-type') }}) as local_authority_type,
    nullif(trim({{ adapter.quote('county-la') }}), '') as county_la,
    nullif(trim({{ adapter.quote('combined-authority') }}), '') as combined_authority,
    nullif(trim({{ adapter.quote('former-gss-codes') }}), '') as former_gss_codes,
    {{ adapter.quote('pop-2020') }} as population_2020,
    _source_sha256 as source_sha256
from {{ source('reference', 'mysociety_uk_local_authorities') }}
