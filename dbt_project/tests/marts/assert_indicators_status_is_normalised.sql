-- Status takes only the normalised values; suppressed / not-applicable rows carry no value.
select feed_id, area_code, indicator, period_start, status, value
from {{ ref('indicators') }}
where status not in ('ok', 'suppressed', 'low_reliability', 'not_applicable', 'missing')
   or (status in ('suppressed', 'not_applicable', 'missing') and value is not null)
   or (status = 'ok' and value is null)
