{{ config(meta={"dagster": {"ref": {"name": "mission_metrics"}}}) }}
-- No metric silently missing: every catalogue metric_id has at least one row in mission_metrics, and every
-- metric the catalogue calls available has at least one row with a value (restricted-source metrics excepted
-- until their first delivery is processed).
select c.metric_id, c.availability, count(m.metric_id) as n_rows, count(m.value) as n_values
from {{ ref('mission_metric_catalogue') }} as c
left join {{ ref('mission_metrics') }} as m using (metric_id)
group by all
having count(m.metric_id) = 0
    or (c.availability = 'available' and count(m.value) = 0
        -- restricted-source metrics before any delivery: not_available rows that say so are expected
        and count(*) filter (where m.status = 'not_available'
                             and (m.status_reason like 'requires record-level APS microdata%'
                                  or m.method like 'not published: no restricted delivery%')) = 0)
