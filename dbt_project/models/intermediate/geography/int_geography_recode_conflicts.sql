-- Same area, two codes, two different values: an old code that is a pure recode (or a target area published
-- under a second level label) carries a value for the same feed, indicator and period as the target code, and
-- the values differ; or one code is published under two level labels with different values.
-- Grain: one row per conflicting (feed, target area, indicator, period, old code / label).
-- Must be empty: test geo_no_recode_conflicts fails and names every row.
with m as (
    select * from {{ ref('int_geography_observations_mapped') }}
),

same_area as (
    select * from m where route in ('direct', 'recode', 'relabel')
)

select
    n.feed_id,
    n.target_code,
    n.indicator,
    n.period_start,
    n.period_end,
    n.area_code as new_code,
    n.geography_level as new_geography_level,
    n.value as new_value,
    o.area_code as old_code,
    o.geography_level as old_geography_level,
    o.value as old_value
from same_area as n
inner join same_area as o
    on o.feed_id = n.feed_id
   and o.indicator = n.indicator
   and o.period_start = n.period_start
   and o.period_end = n.period_end
   and o.target_code = n.target_code
   and (o.area_code <> n.area_code or o.geography_level <> n.geography_level)
where n.route = 'direct'
  and o.route in ('recode', 'relabel')
  and n.value is not null
  and o.value is not null
  -- equal within rounding: published as text, '66' and '66.0' are the same number
  and abs(n.value - o.value) > 1e-9 * greatest(1, abs(n.value))

union all

-- the same code under two level labels (e.g. E13000001 as county and as combined authority)
select
    n.feed_id, n.area_code, n.indicator, n.period_start, n.period_end,
    n.area_code, n.geography_level, n.value,
    o.area_code, o.geography_level, o.value
from m as n
inner join m as o
    on o.feed_id = n.feed_id
   and o.indicator = n.indicator
   and o.period_start = n.period_start
   and o.period_end = n.period_end
   and o.area_code = n.area_code
   and o.geography_level > n.geography_level
where n.route not in ('direct', 'recode', 'relabel')
  and n.value is not null
  and o.value is not null
  and abs(n.value - o.value) > 1e-9 * greatest(1, abs(n.value))
