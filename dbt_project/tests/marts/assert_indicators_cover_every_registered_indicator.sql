{{ config(meta={"dagster": {"ref": {"name": "indicators"}}}) }}
-- Every indicator registered for an open ESS feed has rows in indicators: a source that silently stops
-- publishing one of its indicators is caught here (its file can still pass the ingest contract).
select r.feed_id, r.indicator
from {{ ref('registry_indicators') }} as r
inner join {{ ref('registry_feeds') }} as f on f.feed_id = r.feed_id and f.family = 'ess'
left join (select distinct feed_id, indicator from {{ ref('indicators') }}) as i
    on i.feed_id = r.feed_id and i.indicator = r.indicator
where i.indicator is null
