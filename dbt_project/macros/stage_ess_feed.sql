{#
  The shared body of every ESS staging model: one row per (area, geography, indicator, period) as published.
  Typed, period parsed, status normalised, suppressed or empty observations set to NULL with their status
  kept, and each indicator's registered measure type joined from the registry seed.

  status (normalised): ok | suppressed (x, c) | low_reliability (u; value kept when given) | not_applicable (z) |
  missing
  (no value and no status code). `source_status` keeps the publisher's code.
#}
{% macro stage_ess_feed(source_relation, has_intervals=true, has_status=true) %}
{#- A feed whose first ingest failed has no landed version yet: stage it as an empty table (checked at run
    time), so the marts that do not need it still build and publish. The completeness tests on the marts that
    do need it fail and hold those back; the manifest names the feed. source() is still called for lineage. -#}
{%- set feed_id = source_relation.identifier | replace('_', '-') -%}
{%- set current = env_var('LEVELUP_DATA_DIR') ~ '/raw/' ~ feed_id ~ '/current.json' -%}  {#- the pointer of record: present once a version landed -#}
{%- set has_version = true -%}
{%- if execute and model.resource_type != 'unit_test' -%}  {#- in a dbt unit test the source is the test's fixture -#}
    {%- set has_version = path_exists(current) -%}
{%- endif %}
with source as (
    {% if has_version %}
    select * from {{ source_relation }}
    {% else %}
    select
        '{{ feed_id }}' as _feed_id, cast(null as {{ type_text() }}) as _source_sha256, cast(null as bigint) as _source_line,
        cast(null as {{ type_text() }}) as areacd, cast(null as {{ type_text() }}) as areanm, cast(null as {{ type_text() }}) as geography,
        cast(null as {{ type_text() }}) as indicator, cast(null as {{ type_text() }}) as unit, cast(null as {{ type_text() }}) as period,
        cast(null as double) as observation, cast(null as double) as lci_95, cast(null as double) as uci_95,
        cast(null as {{ type_text() }}) as status
    where false
    {% endif %}
),

typed as (
    select
        _feed_id as feed_id,
        _source_sha256 as source_sha256,
        cast(_source_line as integer) as source_line,
        {#- a publisher's `na` (no code exists, e.g. Scottish city-deal regions) is kept under a placeholder
            named after the area, listed in seed geo_pseudo_areas: the row stays, at its source geography -#}
        case when lower(trim(areacd)) = 'na' then 'na:' || trim(areanm) else trim(areacd) end as area_code,
        trim(areanm) as area_name,
        geography as geography_level,
        indicator,
        unit,
        period as period_raw,
        cast(observation as double) as observation,
        {{ 'cast(lci_95 as double)' if has_intervals else 'cast(null as double)' }} as lci_95,
        {{ 'cast(uci_95 as double)' if has_intervals else 'cast(null as double)' }} as uci_95,
        {{ 'lower(trim(status))' if has_status else 'cast(null as ' ~ type_text() ~ ')' }} as source_status
    from source
),

normalised as (
    select
        *,
        case
            when source_status in ('x', 'c') then 'suppressed'
            when source_status = 'z' then 'not_applicable'
            when source_status = 'u' then 'low_reliability'
            when observation is null then 'missing'
            else 'ok'
        end as status
    from typed
),

registered as (
    select n.*, r.measure_type
    from normalised as n
    left join {{ ref('registry_indicators') }} as r
        on r.feed_id = n.feed_id and r.indicator = n.indicator
)
{%- set distinct_periods = parse_each_distinct_period() %}
{%- if distinct_periods %},
{# Each distinct period text is parsed once, then joined back (see parse_each_distinct_period). `is not
   distinct from` keeps a NULL period's row, with the parse of NULL, exactly as the per-row parse gives it. #}
periods as (
    select
        period_raw,
        {{ parse_period('period_raw') }}
    from (select distinct period_raw from registered) as distinct_periods
)
{%- endif %}

select
    r.feed_id,
    r.area_code,
    r.area_name,
    r.geography_level,
    r.indicator,
    r.measure_type,
    r.period_raw,
    {% if distinct_periods -%}
    p.period_start,
    p.period_end,
    p.period_duration,
    p.period_kind,
    {%- else -%}
    {{ parse_period('r.period_raw') }},
    {%- endif %}
    case when r.status in ('ok', 'low_reliability') then r.observation end as value,
    r.unit,
    case when r.status in ('ok', 'low_reliability') then r.lci_95 end as lci_95,
    case when r.status in ('ok', 'low_reliability') then r.uci_95 end as uci_95,
    r.status,
    r.source_status,
    r.source_sha256,
    r.source_line
from registered as r
{%- if distinct_periods %}
inner join periods as p
    on p.period_raw is not distinct from r.period_raw
{%- endif %}
{% endmacro %}
