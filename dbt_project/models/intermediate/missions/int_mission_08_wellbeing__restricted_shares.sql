{#
  Mission 8 headline metrics from the APS microdata (restricted zone), via the disclosure-controlled export:
  m8_low_life_satisfaction, m8_low_worthwhile, m8_low_happiness (score 0-4) and m8_high_anxiety (6-10), weighted
  % of people 16+, per lower-tier LA (April 2025 codes), the four nations and the UK, per APS year (April-March).
  Suppressed cells are published with status 'suppressed', no value and the SDC reason. When the restricted zone
  has exported nothing, one not_available row per metric (UK, no period). Mission-row shape, plus the 95% CI and
  unweighted base. Grain: one row per (metric_id, area_code, period_start).
#}
with shares as (
    select * from {{ ref('stg_restricted_exports__m8_wellbeing_shares') }}
),

lads as (
    select lad25_code, lad25_name from {{ ref('stg_reference__onsvisual_ltla25_list') }}
),

metrics as (
    select * from (values
        ('m8_low_life_satisfaction'), ('m8_low_worthwhile'), ('m8_low_happiness'), ('m8_high_anxiety')
    ) as t(metric_id)
),

rows as (
    select
        8 as mission,
        s.metric_id,
        s.area_code,
        {{ mission_standard_area_name('s.area_code', 'l.lad25_name') }} as area_name,
        case s.area_level when 'lad' then 'lower_tier_la' when 'nation' then 'nation' else 'country' end
            as geography_level,
        s.period_start,
        s.period_end,
        s.share_pct as value,
        s.lci_95,
        s.uci_95,
        s.unweighted_count,
        s.status,
        case when s.status = 'suppressed' then
            'statistical disclosure control (' || s.sdc_code || ' suppression): '
            || case s.sdc_code when 'primary' then 'too few respondents in the cell or its category'
                               else 'protects another suppressed cell from recovery by differencing' end
        end as status_reason,
        'weighted share of APS respondents 16+ (person weights); 95% Wilson interval on the Kish effective '
            || 'sample size; disclosure-controlled in the restricted zone (min unweighted count per cell)' as method,
        'aps-personal-wellbeing-microdata' as source_feeds,
        s.area_code as source_area_code,
        s.area_level as source_geography_level
    from shares as s
    left join lads as l on l.lad25_code = s.area_code
),

not_delivered as (
    select
        8 as mission, m.metric_id, 'K02000001' as area_code, 'United Kingdom' as area_name,
        'country' as geography_level, cast(null as date) as period_start, cast(null as date) as period_end,
        cast(null as double) as value, cast(null as double) as lci_95, cast(null as double) as uci_95,
        cast(null as bigint) as unweighted_count, 'not_available' as status,
        'requires record-level APS microdata (restricted zone): no delivery processed yet' as status_reason,
        'not published: no restricted delivery processed yet' as method,
        'aps-personal-wellbeing-microdata' as source_feeds, cast(null as {{ type_text() }}) as source_area_code,
        cast(null as {{ type_text() }}) as source_geography_level
    from metrics as m
    where not exists (select 1 from shares)
)

select * from rows
union all
select * from not_delivered
