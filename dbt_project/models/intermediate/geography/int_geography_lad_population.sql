-- One population per target-vintage LAD: the weights for population-weighted means and county splits.
-- England & Wales: ONS MYE mid-2023 (LAD23 boundaries; Sheffield/Barnsley take their pre-2025 code's value).
-- Scotland & Northern Ireland: mySociety pop-2020 (no 2023 estimate in the registered feeds; flagged by pop_year).
-- Rebuilds ../shared/data/reference/derived/pop_lad25_best_available.csv.
with mye as (
    select area_code, population from {{ ref('stg_reference__ons_mid_year_population_lad23') }} where year = 2023
),

mysociety as (
    select gss_code, population_2020 from {{ ref('stg_reference__mysociety_uk_local_authorities') }}
),

changes as (
    select * from {{ ref('int_geography_lad_code_changes') }} where change_type = 'recode'
),

ranked as (
select
    h.lad_code,
    h.lad_name,
    h.ctry_code,
    coalesce(m.population, mo.population, cast(round(ms.population_2020) as bigint)) as population,
    case when coalesce(m.population, mo.population) is not null then 2023 else 2020 end as pop_year,
    case
        when m.population is not null then 'ONS MYE mid-2023 (LAD23 boundaries)'
        when mo.population is not null
            then 'ONS MYE mid-2023 for predecessor code (' || c.old_code || '; pre-April-2025 boundary)'
        else 'mySociety uk_local_authorities pop-2020 column (source year 2020; not MYE 2023)'
    end as pop_source,
    -- a code with several sequential predecessors (Glasgow) borrows at most one of them
    row_number() over (partition by h.lad_code order by mo.population is null, c.old_code nulls last) as rn
from {{ ref('int_geography_lad_hierarchy') }} as h
left join mye as m on m.area_code = h.lad_code
left join changes as c on c.new_code = h.lad_code and m.population is null
left join mye as mo on mo.area_code = c.old_code
left join mysociety as ms on ms.gss_code = h.lad_code
)

select lad_code, lad_name, ctry_code, population, pop_year, pop_source from ranked where rn = 1
