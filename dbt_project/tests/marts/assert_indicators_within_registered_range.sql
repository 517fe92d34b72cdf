{{ config(meta={"dagster": {"ref": {"name": "indicators"}}}) }}
-- Published values lie inside each indicator's registered plausible range (registry valid_range).
select i.feed_id, i.indicator, i.area_code, i.period_start, i.value, r.valid_min, r.valid_max
from {{ ref('indicators') }} as i
inner join {{ ref('registry_indicators') }} as r
    on r.feed_id = i.feed_id and r.indicator = i.indicator
where i.value is not null
  and (i.value < r.valid_min or i.value > r.valid_max)
