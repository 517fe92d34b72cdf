-- Every not_available row states why; the restricted well-being headline metrics carry the agreed reason.
select metric_id, area_code, status, status_reason
from {{ ref('mission_metrics') }}
where (status <> 'ok' and nullif(trim(status_reason), '') is null)
   or ({{ regex_contains('metric_id', '^m8_(low_|high_)') }} and status = 'not_available'
       and not status_reason like 'requires record-level APS microdata (restricted zone)%')
