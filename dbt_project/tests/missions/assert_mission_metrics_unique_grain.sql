-- Grain of mission_metrics: one row per (metric_id, area_code, period_start, period_end); periods may be null
-- only on not_available rows.
select metric_id, area_code, period_start, period_end, count(*) as n
from {{ ref('mission_metrics') }}
group by all
having count(*) > 1
union all
select metric_id, area_code, period_start, period_end, 1
from {{ ref('mission_metrics') }}
where (period_start is null or period_end is null) and status <> 'not_available'
