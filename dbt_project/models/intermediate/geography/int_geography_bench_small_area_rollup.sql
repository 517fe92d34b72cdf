{{ config(schema='intermediate', enabled=var('geo_bench_path', none) is not none) }}
-- Benchmark only (scripts/bench_harmonise.py; disabled unless --vars geo_bench_path is given): a synthetic
-- small-area feed (small_area_code, year, indicator, measure_type, value, numerator, denominator) harmonised to
-- target LADs and rolled up to every level. Counts sum; rates are recomputed from summed components.
-- A LAD needs all its small areas, an area all its LADs; areas with a partial LAD are skipped.
-- Grain: one row per (area_level, area_code, year, indicator).
with feed as (
    select * from read_parquet('{{ var("geo_bench_path") }}')
),

small_areas as (
    select small_area_code, lad_code from {{ ref('int_geography_small_areas') }}
),

small_areas_per_lad as (
    select lad_code, count(*) as n_required from small_areas group by lad_code
),

lad as (
    select
        s.lad_code, f.year, f.indicator, f.measure_type,
        sum(f.value) as value_sum, sum(f.numerator) as numerator, sum(f.denominator) as denominator,
        count(*) as n_present
    from feed as f
    inner join small_areas as s on s.small_area_code = f.small_area_code
    group by s.lad_code, f.year, f.indicator, f.measure_type
),

lad_complete as (
    select l.*
    from lad as l
    inner join small_areas_per_lad as r on r.lad_code = l.lad_code
    where l.n_present = r.n_required
),

members as (
    select b.area_level, b.area_code, b.lad_code, a.n_lads
    from {{ ref('int_geography_lad_to_area') }} as b
    inner join {{ ref('int_geography_areas') }} as a on a.area_level = b.area_level and a.area_code = b.area_code
    where not a.has_partial_lad
),

rolled as (
    select
        m.area_level, m.area_code, l.year, l.indicator, l.measure_type,
        case when l.measure_type = 'count' then sum(l.value_sum)
             else 1000.0 * sum(l.numerator) / sum(l.denominator) end as value,
        count(*) as n_present,
        any_value(m.n_lads) as n_required
    from lad_complete as l
    inner join members as m on m.lad_code = l.lad_code
    group by m.area_level, m.area_code, l.year, l.indicator, l.measure_type
)

select area_level, area_code, year, indicator, measure_type, value
from rolled
where n_present = n_required
