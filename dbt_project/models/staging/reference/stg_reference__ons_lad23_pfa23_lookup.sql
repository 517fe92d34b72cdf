-- LAD (December 2023) -> Community Safety Partnership -> Police Force Area, England and Wales.
select
    trim(LAD23CD) as lad23_code,
    trim(LAD23NM) as lad23_name,
    trim(CSP23CD) as csp23_code,
    trim(CSP23NM) as csp23_name,
    trim(PFA23CD) as pfa23_code,
    trim(PFA23NM) as pfa23_name,
    _source_sha256 as source_sha256
from {{ source('reference', 'ons_lad23_pfa23_lookup') }}
