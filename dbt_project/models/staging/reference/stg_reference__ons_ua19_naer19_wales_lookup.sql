-- Welsh unitary authority -> ward -> National Assembly economic region (2019). Ward is empty where the whole
-- authority lies in one region; Gwynedd is split between North Wales and Mid Wales.
select
    trim(UA19CD) as ua19_code,
    trim(UA19NM) as ua19_name,
    nullif(trim(WD19CD), '') as ward19_code,
    trim(NAER19CD) as naer19_code,
    trim(NAER19NM) as naer19_name,
    _source_sha256 as source_sha256
from {{ source('reference', 'ons_ua19_naer19_wales_lookup') }}
