-- Police force area codes and names (December 2019), UK. Police Scotland is S23000009; Northern Ireland has
-- no real code (N99999999); L99999999 / M99999999 (Channel Islands, Isle of Man) have no name.
select
    trim(PFA19CD) as pfa19_code,
    trim(PFA19NM) as pfa19_name,
    _source_sha256 as source_sha256
from {{ source('reference', 'ons_pfa19_names') }}
