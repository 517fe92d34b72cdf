-- Every published observation of a standard or superseded area with its route to the target vintage. Small areas
-- (LSOA / data zone / NI SOA) are not here: they are no area of the target vintage, and roll up to their LAD
-- straight from the source rows (int_geography_rollups), so national small-area feeds are never copied through
-- the harmonisation. Grain: one row per (source observation, target_code): a split county fans out to one row per
-- successor; codes kept at source have target_code NULL.
-- is_superseded: the same feed publishes the target area itself for the same indicator and period (directly),
-- so the old-code row must not be added to it (dedupe, never sum: Sheffield/Barnsley, back-cast successors,
-- counties published next to their successor unitaries).
with obs as (
    select * from {{ ref('int_geography_source_observations') }}
),

crosswalk as (
    select * from {{ ref('int_geography_source_crosswalk') }}
),

mapped as (
    select
        o.*,
        x.route,
        x.target_code,
        x.target_level,
        x.weight
    from obs as o
    inner join crosswalk as x on x.source_level = o.source_level and x.area_code = o.area_code
    where o.source_level <> 'SMALL_AREA'
),

direct_keys as (
    select distinct feed_id, indicator, period_start, period_end, target_code
    from mapped
    where route = 'direct'
)

select
    m.*,
    m.route not in ('direct') and d.target_code is not null as is_superseded
from mapped as m
left join direct_keys as d
    on d.feed_id = m.feed_id
   and d.indicator = m.indicator
   and d.period_start = m.period_start
   and d.period_end = m.period_end
   and d.target_code = m.target_code
