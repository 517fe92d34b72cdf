-- indicators: one row per (feed, area, geography level, indicator, period). Returns duplicated keys.
select feed_id, area_code, geography_level, indicator, period_start, period_end, count(*) as n_rows
from {{ ref('indicators') }}
group by all
having count(*) > 1
