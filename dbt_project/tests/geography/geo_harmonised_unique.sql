-- No duplicate (feed, area, indicator, period) in the harmonised output.
select feed_id, area_code, indicator, period_start, period_end, count(*) as n
from {{ ref('indicators_harmonised') }}
group by feed_id, area_code, indicator, period_start, period_end
having count(*) > 1
