{{ config(meta={"dagster": {"ref": {"name": "mission_gaps"}}}) }}
-- No gap silently missing: every gap metric the catalogue calls available has at least one row with a value
-- in mission_gaps (a source that drops an indicator cannot leave its gap out of a fresh mart).
select c.metric_id
from {{ ref('mission_metric_catalogue') }} as c
left join {{ ref('mission_gaps') }} as g
    on g.metric_id = c.metric_id and g.value is not null
where c.availability = 'available'
  and c.metric_id like '%gap%'
  and c.metric_id not like 'm8_%'  -- the well-being gaps exist only once a restricted delivery is processed
group by c.metric_id
having count(g.metric_id) = 0
