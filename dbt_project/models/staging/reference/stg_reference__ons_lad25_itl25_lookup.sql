-- LAD (April 2025) -> LAU1 -> ITL3/ITL2/ITL1 (January 2025). One row per (LAD, LAU1): North Ayrshire has two
-- rows because Arran & Cumbrae sit in another ITL3. Sheffield/Barnsley keep their pre-2025 LAU1 codes.
select
    trim(LAD25CD) as lad25_code,
    trim(LAD25NM) as lad25_name,
    trim(LAU125CD) as lau1_25_code,
    trim(LAU125NM) as lau1_25_name,
    trim(ITL325CD) as itl3_25_code,
    trim(ITL325NM) as itl3_25_name,
    trim(ITL225CD) as itl2_25_code,
    trim(ITL225NM) as itl2_25_name,
    trim(ITL125CD) as itl1_25_code,
    trim(ITL125NM) as itl1_25_name,
    _source_sha256 as source_sha256
from {{ source('reference', 'ons_lad25_itl25_lookup') }}
