-- Lower-tier local authorities (April 2025): the target vintage's 361 codes and names.
select trim(areacd) as lad25_code, trim(areanm) as lad25_name, _source_sha256 as source_sha256
from {{ source('reference', 'onsvisual_ltla25_list') }}
