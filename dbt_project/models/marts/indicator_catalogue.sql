{#
  The indicator catalogue: one row per (feed_id, indicator) of every registered (enabled, open) ESS indicator, as
  Explore Local Statistics describes it. The text (label, subtitle, long description, caveats, source
  organisation / URL / date, experimental flag, decimal places) is the registry's, generated into seed
  registry_indicator_metadata by `levelup sync-dbt` from the publisher's JSON metadata; the measure type and the
  aggregation rule it implies come from seed registry_indicators; geography levels, periods and row counts are
  measured on the rows of `indicators` (read from int_geography_source_observations, the table `indicators` is a
  view over, for its level codes: geography_levels uses the vocabulary of indicators_harmonised.area_level
  and the data API, source_geography_levels the publisher's labels). A registered indicator with no rows in the release keeps its row
  (row_count 0, periods null), so a feed that failed to land is visible here.
#}
with registered as (
    select feed_id, indicator, measure_type, unit, aggregation_rule, is_aggregatable, missions
    from {{ ref('registry_indicators') }}
),

metadata as (
    select * from {{ ref('registry_indicator_metadata') }}
),

observed as (
    select
        feed_id,
        indicator,
        list(distinct source_level order by source_level) as geography_levels,
        list(distinct geography_level order by geography_level) as source_geography_levels,
        min(period_start) as first_period,
        max(period_start) as last_period,
        count(*) as row_count,
        count(value) as value_count
    from {{ ref('int_geography_source_observations') }}
    group by feed_id, indicator
)

select
    r.feed_id,
    r.indicator,
    coalesce(m.label, r.indicator) as label,
    m.subtitle,
    m.long_description,
    m.caveats,
    m.source_org,
    m.source_url,
    m.source_date,
    coalesce(m.is_experimental, false) as is_experimental,
    m.decimal_places,
    m.is_standardised,
    r.unit,
    r.measure_type,
    r.aggregation_rule,
    cast(r.is_aggregatable as boolean) as is_aggregatable,
    coalesce(o.geography_levels, cast([] as varchar[])) as geography_levels,
    coalesce(o.source_geography_levels, cast([] as varchar[])) as source_geography_levels,
    o.first_period,
    o.last_period,
    coalesce(o.row_count, 0) as row_count,
    coalesce(o.value_count, 0) as value_count,
    cast(
        case when r.missions is null or trim(cast(r.missions as varchar)) = '' then []
             else string_split(trim(cast(r.missions as varchar)), ' ') end
        as integer[]
    ) as missions
from registered as r
left join metadata as m on m.feed_id = r.feed_id and m.indicator = r.indicator
left join observed as o on o.feed_id = r.feed_id and o.indicator = r.indicator
order by r.feed_id, r.indicator
