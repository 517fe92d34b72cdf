-- Higher levels a feed does not publish, derived from its target-vintage LAD values (and LADs from small
-- areas, summed straight from the source rows), by measure type from the registry. Grain: one row per
-- (feed_id, area_code, indicator, period). Incremental by feed version (macros/incremental.sql).
--   count                         sum                         ('rollup_sum')
--   rate / share with registered numerator and denominator: recomputed as scale * sum(num) / sum(den)
--                                 ('rollup_recomputed_from_components ...')
--   rate / share / mean otherwise population-weighted mean    ('rollup_population_weighted_mean ...')
--   median / index / expectancy   never aggregated
-- Valid only when every member LAD of the area has a value for that feed, indicator and period, no member
-- LAD lies partly outside the area (North Ayrshire / ITL3 2025), and the feed does not publish the area itself.
{{ by_feed_incremental() }}

with at_target as (
    select * from {{ ref('int_geography_indicators_at_target') }}
    where {{ only_stale_feeds() }}
),

published_keys as (
    select distinct feed_id, area_code, indicator, period_start, period_end from at_target
),

pop as (
    select lad_code, population from {{ ref('int_geography_lad_population') }}
),

small_areas as (
    select * from {{ ref('int_geography_small_areas') }}
),

-- LADs from small areas (counts only, every small area of the LAD present), from the source rows
small_area_rows as (
    select o.*, s.lad_code, s.small_area_type
    from {{ ref('int_geography_source_observations') }} as o
    inner join small_areas as s on s.small_area_code = o.area_code
    where o.source_level = 'SMALL_AREA' and o.measure_type = 'count' and {{ only_stale_feeds('o.feed_id') }}
),

small_area_required as (
    select lad_code, small_area_type, count(*) as n_required from small_areas group by all
),

small_area_sums as (
    select
        r.feed_id, r.indicator, r.measure_type, r.period_start, r.period_end,
        any_value(r.period_duration) as period_duration, any_value(r.period_kind) as period_kind,
        any_value(r.period_raw) as period_raw, any_value(r.unit) as unit, min(r.source_sha256) as source_sha256,
        r.lad_code, {{ exact_sum('r.value') }} as value, count(r.value) as n_present, r.small_area_type
    from small_area_rows as r
    group by r.feed_id, r.indicator, r.measure_type, r.period_start, r.period_end, r.lad_code, r.small_area_type
),

-- the number of small areas each LAD needs, joined once per LAD total rather than once per small-area row
lad_from_small_areas as (
    select s.*, q.n_required
    from small_area_sums as s
    inner join small_area_required as q on q.lad_code = s.lad_code and q.small_area_type = s.small_area_type
),

lad_derived as (
    select l.*
    from lad_from_small_areas as l
    anti join published_keys as k
        on k.feed_id = l.feed_id and k.area_code = l.lad_code and k.indicator = l.indicator
       and k.period_start = l.period_start and k.period_end = l.period_end
    where l.n_present = l.n_required
),

lad_values as (
    select feed_id, indicator, measure_type, period_start, period_end, period_duration, period_kind, period_raw,
           unit, source_sha256, area_code as lad_code, value, status
    from at_target
    where area_level = 'LAD' and is_target_vintage
    union all
    select feed_id, indicator, measure_type, period_start, period_end, period_duration, period_kind, period_raw,
           unit, source_sha256, lad_code, value, 'ok'
    from lad_derived
),

members as (
    select b.*, a.n_lads
    from {{ ref('int_geography_lad_to_area') }} as b
    inner join {{ ref('int_geography_areas') }} as a on a.area_level = b.area_level and a.area_code = b.area_code
    -- a unitary is its own county/unitary: nothing to derive
    where b.area_level <> 'LAD' and b.area_code <> b.lad_code and not a.has_partial_lad
),

-- the attributes of each (feed, indicator, period), and each area's name and LAD count (int_geography_areas), are
-- looked up once, not aggregated over every member LAD's row: string aggregates over the LAD x area rows cost
-- more than the sums themselves
value_periods as (
    select
        feed_id, indicator, measure_type, period_start, period_end,
        any_value(period_duration) as period_duration, any_value(period_kind) as period_kind,
        any_value(period_raw) as period_raw, any_value(unit) as unit, min(source_sha256) as source_sha256
    from lad_values
    where measure_type in ('count', 'rate', 'share', 'mean')
    group by feed_id, indicator, measure_type, period_start, period_end
),

grouped_values as (
    select
        v.feed_id, v.indicator, v.measure_type, v.period_start, v.period_end, m.area_level, m.area_code,
        count(v.value) as n_present,
        count(p.population) filter (where v.value is not null) as n_with_population,
        {{ exact_sum('v.value') }} as value_sum,
        {{ exact_sum('v.value * p.population') }}
            / {{ exact_sum('p.population', where='v.value is not null') }} as value_pw,
        bool_or(v.status = 'low_reliability') as any_low_reliability
    from lad_values as v
    inner join members as m on m.lad_code = v.lad_code
    left join pop as p on p.lad_code = v.lad_code
    where v.measure_type in ('count', 'rate', 'share', 'mean')
    group by v.feed_id, v.indicator, v.measure_type, v.period_start, v.period_end, m.area_level, m.area_code
),

grouped as (
    select
        g.feed_id, g.indicator, g.measure_type, g.period_start, g.period_end,
        p.period_duration, p.period_kind, p.period_raw, p.unit, p.source_sha256,
        g.area_level, g.area_code, a.area_name, a.n_lads as n_required,
        g.n_present, g.n_with_population, g.value_sum, g.value_pw, g.any_low_reliability
    from grouped_values as g
    inner join value_periods as p
        on p.feed_id = g.feed_id and p.indicator = g.indicator and p.measure_type = g.measure_type
       and p.period_start = g.period_start and p.period_end = g.period_end
    inner join {{ ref('int_geography_areas') }} as a on a.area_level = g.area_level and a.area_code = g.area_code
),

components as (
    select * from {{ ref('int_geography_indicator_components') }} where scale is not null
),

complete as (
    select * from grouped where n_present = n_required
),

recomputed as (
    select
        r.feed_id, r.indicator, r.area_level, r.area_code, r.period_start, r.period_end,
        c.scale * n.value_sum / nullif(d.value_sum, 0) as value,
        'rollup_recomputed_from_components (' || c.scale || ' * sum(' || c.numerator || ') / sum('
            || c.denominator || ') over ' || n.n_present || ' LADs)' as method
    from complete as r
    inner join components as c on c.feed_id = r.feed_id and c.indicator = r.indicator
    inner join complete as n
        on n.feed_id = r.feed_id and n.indicator = c.numerator and n.area_code = r.area_code
       and n.area_level = r.area_level and n.period_start = r.period_start and n.period_end = r.period_end
    inner join complete as d
        on d.feed_id = r.feed_id and d.indicator = c.denominator and d.area_code = r.area_code
       and d.area_level = r.area_level and d.period_start = r.period_start and d.period_end = r.period_end
),

rolled as (
    select
        g.*,
        case
            when g.measure_type = 'count' then g.value_sum
            when c.indicator is not null then rc.value
            else g.value_pw
        end as value,
        case
            when g.measure_type = 'count' then 'rollup_sum of ' || g.n_present || ' LADs'
            when c.indicator is not null then rc.method
            else 'rollup_population_weighted_mean of ' || g.n_present
                 || ' LADs (LAD population: ONS MYE mid-2023; Scotland/NI mySociety 2020)'
        end as harmonisation_method
    from complete as g
    left join components as c on c.feed_id = g.feed_id and c.indicator = g.indicator
    left join recomputed as rc
        on rc.feed_id = g.feed_id and rc.indicator = g.indicator and rc.area_code = g.area_code
       and rc.area_level = g.area_level and rc.period_start = g.period_start and rc.period_end = g.period_end
    anti join published_keys as k
        on k.feed_id = g.feed_id and k.area_code = g.area_code and k.indicator = g.indicator
       and k.period_start = g.period_start and k.period_end = g.period_end
    where g.measure_type = 'count'
       -- with components: only where both components are complete for the area
       or (c.indicator is not null and rc.value is not null)
       or (c.indicator is null and g.n_with_population = g.n_required)
)

select
    l.lad_code as area_code, h.lad_name as area_name, 'Local Authority District' as geography_level,
    'LAD' as area_level, l.indicator, l.measure_type, l.period_start, l.period_end, l.period_duration,
    l.period_kind, l.period_raw, l.value, l.unit, 'ok' as status, {{ untyped_null() }} as source_status, {{ untyped_null('double') }} as lci_95,
    {{ untyped_null('double') }} as uci_95, l.feed_id, l.source_sha256, {{ untyped_null('int') }} as source_line,
    'rollup_sum of ' || l.n_present || ' small areas (' || l.small_area_type || ')' as harmonisation_method,
    {{ untyped_null() }} as source_area_code, true as is_derived, true as is_target_vintage
from lad_derived as l
left join {{ ref('int_geography_lad_hierarchy') }} as h on h.lad_code = l.lad_code
union all
select
    r.area_code, r.area_name,
    case r.area_level
        when 'CTYUA' then 'County or Unitary Authority'
        when 'CA' then 'Combined Authority or City Region'
        when 'RGN' then 'Region'
        when 'CTRY' then 'Country'
        when 'PFA' then 'Police Force Area'
        else 'ITL Level ' || right(r.area_level, 1)
    end,
    r.area_level, r.indicator, r.measure_type, r.period_start, r.period_end, r.period_duration, r.period_kind,
    r.period_raw, r.value, r.unit, case when r.any_low_reliability then 'low_reliability' else 'ok' end, null, null,
    null, r.feed_id, r.source_sha256, null, r.harmonisation_method, null, true, true
from rolled as r
