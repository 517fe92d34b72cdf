-- LAD (April 2023) -> LAU1 (pre-2023 districts) -> ITL3/ITL2/ITL1 (January 2021). ITL 2021 does not nest
-- into 2023 LADs: one LAD can have several rows.
select
    trim(LAD23CD) as lad23_code,
    trim(LAD23NM) as lad23_name,
    trim(LAU121CD) as lau1_21_code,
    trim(LAU121NM) as lau1_21_name,
    trim(ITL321CD) as itl3_21_code,
    trim(ITL321NM) as itl3_21_name,
    trim(ITL221CD) as itl2_21_code,
    trim(ITL221NM) as itl2_21_name,
    trim(ITL121CD) as itl1_21_code,
    trim(ITL121NM) as itl1_21_name,
    _source_sha256 as source_sha256
from {{ source('reference', 'ons_lad23_itl21_lookup') }}
