{{ config(meta={"dagster": {"ref": {"name": "mission_gaps"}}}) }}
-- Grain of mission_gaps (metric_id, period) and mission_gap_groups (metric_id, period, area_code).
select 'mission_gaps' as model, metric_id, period_start, cast(null as {{ type_text() }}) as area_code, count(*) as n
from {{ ref('mission_gaps') }}
group by metric_id, period_start, period_end
having count(*) > 1
union all
select 'mission_gap_groups', metric_id, period_start, area_code, count(*)
from {{ ref('mission_gap_groups') }}
group by metric_id, period_start, period_end, area_code
having count(*) > 1
