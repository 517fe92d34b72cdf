{#
  Mission 2 (R&D): public-funded R&D and BERD outside the Greater South East (GSE = London E12000007, South
  East E12000008, East of England E12000006), amount and share of the UK total, per period.
  Outside the GSE = the other 6 English regions + Wales + Scotland + Northern Ireland (the 9 ITL1 areas that
  are not in the GSE). Amount = sum of those 9 published values; share = amount / the published UK total
  (K02000001) x 100. The UK row differs from the sum of the 12 ITL1 rows by up to 1 (rounding), so the
  denominator is the published total. A period is published with status ok only when all 12 ITL1 values and
  the UK total are present.
  Grain: one row per (metric_id, period_start, period_end), area K02000001.
#}
with series as (
    select
        'research-and-development-public-funded' as source_feeds,
        'm2_public_rd_outside_gse' as amount_metric_id,
        'm2_public_rd_outside_gse_share' as share_metric_id,
        *
    from {{ ref('stg_ess__research_and_development_public_funded') }}
    union all
    select
        'research-and-development-business',
        'm2_berd_outside_gse',
        'm2_berd_outside_gse_share',
        *
    from {{ ref('stg_ess__research_and_development_business') }}
),

itl1_areas as (
    select *
    from series
    where (geography_level = 'Region' and area_code like 'E12%')
       or (geography_level = 'Nation' and area_code in ('W92000004', 'S92000003', 'N92000002'))
),

uk_total as (
    select source_feeds, period_start, period_end, value as uk_value
    from series
    where area_code = 'K02000001'
),

outside_gse as (
    select
        source_feeds,
        amount_metric_id,
        share_metric_id,
        period_start,
        period_end,
        count(value) as n_itl1_with_value,
        count(value) filter (where area_code not in ('E12000006', 'E12000007', 'E12000008')) as n_outside_with_value,
        {{ exact_sum('value', where="area_code not in ('E12000006', 'E12000007', 'E12000008')") }} as outside_gse_value,
        {{ exact_sum('value', where="area_code in ('E12000006', 'E12000007', 'E12000008')") }} as gse_value
    from itl1_areas
    group by all
),

combined as (
    select
        o.*,
        u.uk_value,
        o.n_itl1_with_value = 12 and o.n_outside_with_value = 9 and u.uk_value is not null as is_complete
    from outside_gse as o
    left join uk_total as u using (source_feeds, period_start, period_end)
),

long as (
    select
        amount_metric_id as metric_id,
        period_start,
        period_end,
        case when is_complete then outside_gse_value end as value,
        'sum of the 9 ITL1 areas outside London, South East and East of England (6 English regions + Wales, Scotland, Northern Ireland)' as method,
        source_feeds, is_complete, n_itl1_with_value, uk_value
    from combined
    union all
    select
        share_metric_id,
        period_start,
        period_end,
        case when is_complete then 100.0 * outside_gse_value / uk_value end,
        'outside-GSE amount / published UK total (K02000001) x 100',
        source_feeds, is_complete, n_itl1_with_value, uk_value
    from combined
)

select
    2 as mission,
    metric_id,
    'K02000001' as area_code,
    'United Kingdom' as area_name,
    'country' as geography_level,
    period_start,
    period_end,
    value,
    {{ untyped_null() }} as source_unit,
    case when is_complete then 'ok' else 'not_available' end as status,
    case when not is_complete
        then 'incomplete source: ' || n_itl1_with_value || ' of 12 ITL1 values'
             || case when uk_value is null then ', no UK total' else '' end
    end as status_reason,
    method,
    source_feeds,
    'K02000001' as source_area_code,
    'Country' as source_geography_level
from long
