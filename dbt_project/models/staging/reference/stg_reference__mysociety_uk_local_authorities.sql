-- Councils past and present (mySociety): dates, successors ("replaced-by", registry codes separated by
-- `|`), former GSS codes, county and combined-authority membership.
select
    trim("local-authority-code") as registry_code,
    trim("official-name") as official_name,
    trim("nice-name") as nice_name,
    nullif(trim("gss-code"), '') as gss_code,
    try_cast("start-date" as date) as start_date,
    try_cast("end-date" as date) as end_date,
    nullif(trim("replaced-by"), '') as replaced_by,
    trim(nation) as nation,
    trim(region) as region,
    trim("local-authority-type") as local_authority_type,
    nullif(trim("county-la"), '') as county_la,
    nullif(trim("combined-authority"), '') as combined_authority,
    nullif(trim("former-gss-codes"), '') as former_gss_codes,
    "pop-2020" as population_2020,
    _source_sha256 as source_sha256
from {{ source('reference', 'mysociety_uk_local_authorities') }}
