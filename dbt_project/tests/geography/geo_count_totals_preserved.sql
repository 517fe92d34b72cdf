{{ config(meta={"dagster": {"ref": {"name": "indicators_harmonised"}}}) }}
-- Count totals are preserved (within rounding) by every merge, split and roll-up:
--   merge   value = sum of the published predecessor values
--   split   the successors' shares add back to the county value (weights are rounded to 4 dp)
--   rollup  value = sum of the member LAD values in the harmonised output
with h as (
    select * from {{ ref('indicators_harmonised') }} where measure_type = 'count'
),

obs as (
    select * from {{ ref('int_geography_source_observations') }}
),

merges as (
    select h.feed_id, h.area_code, h.indicator, h.period_start, h.value, sum(o.value) as expected, 'merge' as kind
    from h
    inner join obs as o
        on o.feed_id = h.feed_id and o.indicator = h.indicator and o.period_start = h.period_start
       and o.period_end = h.period_end and {{ list_has(split_list('h.source_area_code', ';'), 'o.area_code') }}
    where h.harmonisation_method like 'merge_sum%'
    group by all
),

n_successors as (
    select old_code, count(*) as n from {{ ref('int_geography_code_changes') }} group by old_code
),

splits as (
    select h.feed_id, h.source_area_code as area_code, h.indicator, h.period_start, sum(h.value) as value,
           any_value(o.value) as expected, 'split' as kind
    from h
    inner join obs as o
        on o.feed_id = h.feed_id and o.indicator = h.indicator and o.period_start = h.period_start
       and o.period_end = h.period_end and o.area_code = h.source_area_code
    inner join n_successors as n on n.old_code = h.source_area_code
    where h.harmonisation_method like 'split%'
    group by h.feed_id, h.source_area_code, h.indicator, h.period_start, h.period_end
    -- all successors got a share (a successor already published directly takes none)
    having count(*) = any_value(n.n)
),

rollups as (
    select h.feed_id, h.area_code, h.indicator, h.period_start, any_value(h.value) as value,
           sum(l.value) as expected, 'rollup' as kind
    from h
    inner join {{ ref('int_geography_lad_to_area') }} as b on b.area_code = h.area_code and b.area_level = h.area_level
    inner join h as l
        on l.area_level = 'LAD' and l.area_code = b.lad_code and l.feed_id = h.feed_id
       and l.indicator = h.indicator and l.period_start = h.period_start and l.period_end = h.period_end
    where h.harmonisation_method like 'rollup_sum%LADs'
    group by h.feed_id, h.area_code, h.indicator, h.period_start, h.period_end
),

checks as (
    select * from merges
    union all select * from splits
    union all select * from rollups
)

select *
from checks
where abs(value - expected) > greatest(1e-6, 1e-3 * abs(expected))
