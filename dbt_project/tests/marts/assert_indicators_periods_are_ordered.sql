-- Every parsed period has a start on or before its end, and no period starts in the future.
select feed_id, area_code, indicator, period_raw, period_start, period_end
from {{ ref('indicators') }}
where period_start is null or period_end is null or period_end < period_start or period_start > current_date
