{#
  Mission 12 (local leadership): share of England's population living in an area with a devolution deal at
  the combined authority / combined county authority / GLA level, by year.
  Method:
    1. Membership: each English LAD's combined authority (E47, historic bodies included) or the GLA
       (E61000001) in year Y (DfE geo hierarchy, 2017-2025). The source's 2018 list is incomplete, so 2018
       membership is taken from 2017 (no LAD or CA membership changed between April 2017 and April 2019).
    2. Every LAD code (membership year and population vintage) is moved to its active (2025) code through
       the drkane code history; all changes 2011-2025 are whole-district recodes or merges.
    3. Population: ONS mid-year estimate for min(Y, latest MYE year) on LAD 2023 boundaries; England's total
       is the published E92000001 row. An active LAD counts as covered if any of its predecessor codes was a
       member (none was ever part-in, part-out).
    4. share = covered population / England population x 100.
  Grain: one row per (metric_id, period), area E92000001.
#}
with membership_source as (
    select year, lad_code, cauth_code
    from {{ ref('stg_reference__dfe_lad_by_year_2017_2025') }}
    where country_code = 'E92000001'
),

membership as (
    select year, lad_code, cauth_code from membership_source where year <> 2018
    union all
    select 2018 as year, lad_code, cauth_code from membership_source where year = 2017
),

code_history as (
    select lad_code, lad_code_active from {{ ref('stg_reference__drkane_la_all_codes') }}
),

membership_active as (
    select
        m.year,
        coalesce(h.lad_code_active, m.lad_code) as lad_code_active,
        bool_or(m.cauth_code is not null) as is_covered,
        count(distinct m.cauth_code) as n_bodies
    from membership as m
    left join code_history as h using (lad_code)
    group by all
),

population_source as (
    select area_code, ons_geography, year, population
    from {{ ref('stg_reference__ons_mid_year_population_lad23') }}
),

latest_population_year as (
    select max(year) as year from population_source
),

lad_population as (
    select
        coalesce(h.lad_code_active, p.area_code) as lad_code_active,
        p.year,
        sum(p.population) as population
    from population_source as p
    left join code_history as h on h.lad_code = p.area_code
    where p.area_code like 'E0%'
      and p.ons_geography in ('Non-metropolitan District', 'Unitary Authority', 'Metropolitan District', 'London Borough')
    group by all
),

england_population as (
    select year, population from population_source where area_code = 'E92000001'
),

years as (
    select distinct
        m.year,
        least(m.year, (select year from latest_population_year)) as population_year
    from membership_active as m
),

per_year as (
    select
        y.year,
        y.population_year,
        sum(lp.population) filter (where m.is_covered) as covered_population,
        count(*) filter (where m.is_covered) as n_lads_covered,
        count(lp.population) as n_lads_with_population,
        count(*) as n_lads,
        any_value(e.population) as england_population
    from years as y
    join membership_active as m on m.year = y.year
    left join lad_population as lp on lp.lad_code_active = m.lad_code_active and lp.year = y.population_year
    left join england_population as e on e.year = y.population_year
    group by all
)

select
    12 as mission,
    'm12_population_share_devolution' as metric_id,
    'E92000001' as area_code,
    'England' as area_name,
    'nation' as geography_level,
    make_date(year, 1, 1) as period_start,
    make_date(year, 12, 31) as period_end,
    case when england_population > 0 and n_lads_with_population = n_lads
        then 100.0 * covered_population / england_population end as value,
    {{ untyped_null() }} as source_unit,
    case when england_population > 0 and n_lads_with_population = n_lads then 'ok' else 'not_available' end as status,
    case
        when england_population is null then 'no England population for ' || population_year
        when n_lads_with_population < n_lads then (n_lads - n_lads_with_population) || ' LADs without a population'
        when population_year < year then 'population carried forward from mid-' || population_year
    end as status_reason,
    'population of English LADs in a combined authority, combined county authority or the GLA in year ' || year
        || ' (' || n_lads_covered || ' of ' || n_lads || ' LADs, 2025 codes) / England population, mid-'
        || population_year || ' MYE x 100' || case when year = 2018 then '; 2018 membership taken from 2017' else '' end
        as method,
    'dfe-lad-by-year-2017-2025|drkane-la-all-codes|ons-mid-year-population-lad23' as source_feeds,
    'E92000001' as source_area_code,
    'Country' as source_geography_level
from per_year
