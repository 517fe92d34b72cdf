{{ config(meta={"dagster": {"ref": {"name": "indicators"}}}) }}
-- Every enabled open ESS feed in the registry contributes rows to indicators (no feed silently missing).
select f.feed_id
from {{ ref('registry_feeds') }} as f
left join (select distinct feed_id from {{ ref('indicators') }}) as i using (feed_id)
where f.family = 'ess' and f.sensitivity = 'open' and f.enabled and i.feed_id is null
