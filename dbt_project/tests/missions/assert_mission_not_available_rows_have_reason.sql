-- Every not_available row states why; the restricted well-being headline metrics carry the agreed reason.
select metric_id, area_code, status, status_reason
from {{ ref('mission_metrics') }}
where (status <> 'ok' and nullif(trim(status_reason), '') is null)
   or (regexp_matches(metric_id, '^m8_(low_|high_|gap_)')
       and status_reason is distinct from 'requires record-level APS microdata (restricted zone)')
