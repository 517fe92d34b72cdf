{{ config(meta={"dagster": {"ref": {"name": "mission_gap_groups"}}}) }}
-- Every gap metric the catalogue calls available has the areas that formed its groups in mission_gap_groups.
select c.metric_id
from {{ ref('mission_metric_catalogue') }} as c
left join (select distinct metric_id from {{ ref('mission_gap_groups') }}) as g using (metric_id)
where c.availability = 'available'
  and c.metric_id like '%gap%'
  and c.metric_id not like 'm8_%'  -- the well-being gaps exist only once a restricted delivery is processed
  and g.metric_id is null
