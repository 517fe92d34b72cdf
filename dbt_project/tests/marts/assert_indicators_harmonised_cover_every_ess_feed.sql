{{ config(meta={"dagster": {"ref": {"name": "indicators_harmonised"}}}) }}
-- Every enabled open ESS feed in the registry contributes rows to indicators_harmonised (a feed with no landed
-- version, or one that lost all its rows, holds this mart back instead of leaving it silently incomplete).
select f.feed_id
from {{ ref('registry_feeds') }} as f
left join (select distinct feed_id from {{ ref('indicators_harmonised') }}) as h using (feed_id)
where f.family = 'ess' and f.sensitivity = 'open' and f.enabled and h.feed_id is null
