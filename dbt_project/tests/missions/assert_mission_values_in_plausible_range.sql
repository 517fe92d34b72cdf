{{ config(meta={"dagster": {"ref": {"name": "mission_metrics"}}}) }}
-- Values inside the plausible range the catalogue gives for each metric's unit (valid_min..valid_max), in
-- mission_metrics and mission_gaps; value is null exactly when the status is not ok.
select 'mission_metrics' as model, m.metric_id, m.area_code, m.period_start, m.value, m.status
from {{ ref('mission_metrics') }} as m
join {{ ref('mission_metric_catalogue') }} as c using (metric_id)
where (m.value is not null and (m.value < c.valid_min or m.value > c.valid_max or isnan(m.value)))
   or (m.status = 'ok' and m.value is null)
   or (m.status = 'not_available' and m.value is not null)
union all
select 'mission_gaps', g.metric_id, null, g.period_start, g.value, g.status
from {{ ref('mission_gaps') }} as g
join {{ ref('mission_metric_catalogue') }} as c using (metric_id)
where (g.value is not null and (g.value < c.valid_min or g.value > c.valid_max))
   or (g.status = 'ok' and g.value is null)
