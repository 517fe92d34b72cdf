{#
  Mission 6: the lowest-skilled third of English upper-tier LAs, and each member's FE achievement rate.
  Ranked set: English upper-tier LAs (E06, E10, E08, E09) with a published share of 16-64s qualified to
  level 3+ in the latest L3 period starting on or before the end of the FE academic year. Ranked ascending
  by L3 share, ties broken by area code; the lowest third is the first k = ceil(n / 3) areas (51 of 151 in
  2023: Nottingham and Swindon tie at 63.2 on the cut-off and the tie-break keeps Nottingham in).
  An FE year is published only when every ranked area has an FE rate and a population on the same codes
  (2022/23 onwards; earlier FE years use the pre-2023 Cumbria, North Yorkshire and Somerset counties).
  Population weights: ONS mid-year total population of the FE year's start year (latest carried forward).
  Grain: one row per (gap metric_id, FE period, area_code).
#}
with level3 as (
    select area_code, area_name, period_start as l3_period_start, value as l3_share
    from {{ ref('stg_ess__qualifications_level_3_or_above') }}
    where indicator = 'Level 3 or above qualifications (Great Britain)'
      and value is not null
      and ((geography_level = 'County or Unitary Authority' and {{ regex_contains('area_code', '^E(06|10)') }})
        or (geography_level = 'Local Authority District' and {{ regex_contains('area_code', '^E(08|09)') }}))
),

fe as (
    select area_code, period_start, period_end, value as fe_rate, source_feeds
    from {{ ref('int_mission_06_skills') }}
    where metric_id = 'm6_fe_achievements_rate' and geography_level = 'upper_tier_la'
),

fe_periods as (
    select distinct period_start, period_end from fe
),

l3_period_for_fe as (
    select f.period_start, f.period_end, max(l.l3_period_start) as l3_period_start
    from fe_periods as f
    join (select distinct l3_period_start from level3) as l on l.l3_period_start <= f.period_end
    group by all
),

ranked as (
    select
        p.period_start,
        p.period_end,
        l.area_code,
        l.area_name,
        l.l3_share,
        count(*) over (partition by p.period_start, p.period_end) as n_areas,
        row_number() over (partition by p.period_start, p.period_end order by l.l3_share asc nulls last, l.area_code) as rank
    from l3_period_for_fe as p
    join level3 as l using (l3_period_start)
),

population as (
    select area_code, year, population
    from {{ ref('stg_reference__ons_mid_year_population_lad23') }}
),

max_population_year as (
    select max(year) as year from population
),

members as (
    select
        r.*,
        case when r.rank <= ceil(r.n_areas / 3.0) then 'lowest_skilled_third' else 'rest' end as group_name,
        fe.fe_rate,
        pop.population
    from ranked as r
    left join fe using (area_code, period_start, period_end)
    left join population as pop
      on pop.area_code = r.area_code
     and pop.year = least(year(r.period_start), (select year from max_population_year))
),

complete_periods as (
    select period_start, period_end
    from members
    group by all
    having count(*) = count(fe_rate) and count(*) = count(population)
)

select
    6 as mission,
    'm6_gap_fe_lowest_skilled_third_vs_rest' as metric_id,
    m.period_start,
    m.period_end,
    m.area_code,
    m.area_name,
    m.rank,
    m.group_name,
    m.fe_rate as value,
    m.l3_share as ranking_value,
    m.population,
    'further-education-and-skills-learner-achievements|qualifications-level-3-or-above|ons-mid-year-population-lad23'
        as source_feeds
from members as m
join complete_periods using (period_start, period_end)
