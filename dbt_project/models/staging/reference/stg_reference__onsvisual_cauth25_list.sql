-- Combined authorities and combined county authorities (2025).
select trim(areacd) as cauth25_code, trim(areanm) as cauth25_name, _source_sha256 as source_sha256
from {{ source('reference', 'onsvisual_cauth25_list') }}
