-- Every (level, area code) in the registered feeds resolves to the target vintage: directly, through the
-- code-change map, as a relabelled target area, as an aggregate with known member LADs, or as a small area.
-- The only exceptions are the pseudo-areas listed (with a reason) in seed geo_pseudo_areas.
select source_level, area_code, area_name, geography_level, n_rows, n_feeds
from {{ ref('int_geography_source_crosswalk') }}
where route = 'unresolved'
