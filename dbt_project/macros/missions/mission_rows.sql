{#
  Shared building blocks for the mission models (models/missions/). Each mission's int model calls
  mission_ess_rows() to turn one ESS staging model into rows of the common mission-row shape:

    mission, metric_id, area_code, area_name, geography_level, period_start, period_end, value, unit,
    status, status_reason, method, source_feeds, source_area_code, source_geography_level

  Mart geography levels (the `geography_level` column of mission_metrics):
    country            K02000001 UK (also K04000001 England and Wales where the source only has that)
    nation             E92000001 England, W92000004 Wales, S92000003 Scotland, N92000002 Northern Ireland
    itl1               the 12 ITL1 areas, published under their statistical codes: E12000001-9 and the three
                       devolved nations (W92/S92/N92 rows are `itl1`, not `nation`, in ITL1 metrics)
    region             E12000001-9 (English regions only)
    upper_tier_la      E06 + E10 (ESS 'County or Unitary Authority') and E08 + E09 + W06 + S12 + N09
                       (ESS 'Local Authority District')
    lower_tier_la      E07 + E08 + E09 + W06 + S12 + N09 (ESS 'Local Authority District') and E06 (ESS
                       'County or Unitary Authority': ESS never lists unitaries as districts)
    police_force_area  E23 + W15
#}

{% macro mission_itl1_code(col) -%}
    case {{ col }}
        when 'TLC' then 'E12000001' when 'TLD' then 'E12000002' when 'TLE' then 'E12000003'
        when 'TLF' then 'E12000004' when 'TLG' then 'E12000005' when 'TLH' then 'E12000006'
        when 'TLI' then 'E12000007' when 'TLJ' then 'E12000008' when 'TLK' then 'E12000009'
        when 'TLL' then 'W92000004' when 'TLM' then 'S92000003' when 'TLN' then 'N92000002'
        when 'TLB' then 'E92000001' when 'K99000002' then 'K02000001'
        else {{ col }}
    end
{%- endmacro %}

{% macro mission_standard_area_name(code_col, name_col) -%}
    case {{ code_col }}
        when 'K02000001' then 'United Kingdom' when 'K03000001' then 'Great Britain'
        when 'K04000001' then 'England and Wales' when 'E92000001' then 'England'
        when 'W92000004' then 'Wales' when 'S92000003' then 'Scotland' when 'N92000002' then 'Northern Ireland'
        when 'E12000001' then 'North East' when 'E12000002' then 'North West'
        when 'E12000003' then 'Yorkshire and The Humber' when 'E12000004' then 'East Midlands'
        when 'E12000005' then 'West Midlands' when 'E12000006' then 'East of England'
        when 'E12000007' then 'London' when 'E12000008' then 'South East' when 'E12000009' then 'South West'
        else {{ name_col }}
    end
{%- endmacro %}

{#- The mart geography level of a staged ESS row (columns geography_level, area_code), or null if the row is
    not in any of the requested area sets and not one of the requested national codes. -#}
{% macro mission_geography_level(area_sets, national_codes) -%}
    case
        {%- if 'itl1' in area_sets %}
        when (geography_level = 'ITL Level 1'
                and area_code in ('TLC','TLD','TLE','TLF','TLG','TLH','TLI','TLJ','TLK','TLL','TLM','TLN'))
          or (geography_level = 'Region' and area_code like 'E12%')
          or (geography_level = 'Nation' and area_code in ('W92000004','S92000003','N92000002')) then 'itl1'
        {%- endif %}
        {%- if 'region' in area_sets %}
        when geography_level = 'Region' and area_code like 'E12%' then 'region'
        {%- endif %}
        {%- if 'upper_tier_la' in area_sets %}
        when (geography_level = 'County or Unitary Authority' and {{ regex_contains('area_code', '^E(06|10)') }})
          or (geography_level = 'Local Authority District' and {{ regex_contains('area_code', '^(E08|E09|W06|S12|N09)') }})
            then 'upper_tier_la'
        {%- endif %}
        {%- if 'lower_tier_la' in area_sets %}
        when (geography_level = 'Local Authority District' and {{ regex_contains('area_code', '^(E07|E08|E09|W06|S12|N09)') }})
          or (geography_level = 'County or Unitary Authority' and area_code like 'E06%') then 'lower_tier_la'
        {%- endif %}
        {%- if 'police_force_area' in area_sets %}
        when geography_level = 'Police Force Area' and {{ regex_contains('area_code', '^(E23|W15)') }} then 'police_force_area'
        {%- endif %}
        when {{ mission_itl1_code('area_code') }} in ('{{ national_codes | join("','") }}')
         and geography_level in ('Country', 'Nation', 'ITL Level 1')
            then case when {{ mission_itl1_code('area_code') }} like 'K%' then 'country' else 'nation' end
    end
{%- endmacro %}

{#
  mission_ess_rows: one ESS staging model -> common mission rows.
    staging_model   name of the stg_ess__* model
    mission         1-12
    metric_map      {ESS indicator: metric_id}
    area_sets       list of mart geography levels to keep (see above)
    source_feed     feed id (for source_feeds)
    method          text for the `method` column
    national_codes  national rows to keep
  Superseded codes published next to their successor for the same period (Sheffield/Barnsley 2025 recodes,
  Bournemouth/Poole next to BCP) are dropped: deduplicate, never sum.
#}
{% macro mission_ess_rows(staging_model, mission, metric_map, area_sets, source_feed, method,
                          national_codes=['K02000001','E92000001','W92000004','S92000003','N92000002']) %}
with source as (
    select *
    from {{ ref(staging_model) }}
    where indicator in ('{{ metric_map.keys() | list | join("','") }}')
),

classified as (
    select
        *,
        {{ mission_geography_level(area_sets, national_codes) }} as mission_geography_level
    from source
),

in_scope as (
    select * from classified where mission_geography_level is not null
),

superseded_pairs as (
    select * from (values
        ('E08000016', 'E08000038'),  -- Barnsley, recoded April 2025
        ('E08000019', 'E08000039'),  -- Sheffield, recoded April 2025
        ('E06000028', 'E06000058'),  -- Bournemouth -> BCP (2019)
        ('E06000029', 'E06000058')   -- Poole -> BCP (2019)
    ) as t(old_code, new_code)
),

deduplicated as (
    select s.*
    from in_scope as s
    where not exists (
        select 1
        from superseded_pairs as p
        join in_scope as successor
          on successor.area_code = p.new_code
        where p.old_code = s.area_code
          and successor.indicator = s.indicator
          and successor.period_start = s.period_start
          and successor.period_end = s.period_end
    )
)

select
    {{ mission }} as mission,
    case indicator
        {%- for ind, mid in metric_map.items() %}
        when '{{ ind }}' then '{{ mid }}'
        {%- endfor %}
    end as metric_id,
    {{ mission_itl1_code('area_code') }} as area_code,
    {{ mission_standard_area_name(mission_itl1_code('area_code'), 'area_name') }} as area_name,
    mission_geography_level as geography_level,
    period_start,
    period_end,
    value,
    unit as source_unit,
    case status
        when 'ok' then 'ok'
        when 'suppressed' then 'suppressed'
        when 'low_reliability' then 'low_reliability'
        else 'not_available'
    end as status,
    case status
        when 'ok' then null
        when 'suppressed' then 'suppressed by the publisher (' || coalesce(source_status, '') || ')'
        when 'low_reliability' then
            case when value is null then 'publisher flagged the estimate unreliable (u) and withheld the value'
                 else 'publisher flagged the estimate unreliable (u)' end
        when 'not_applicable' then 'not applicable (z) in the source'
        else 'empty observation with no status code in the source'
    end as status_reason,
    '{{ method | replace("'", "''") }}' as method,
    '{{ source_feed }}' as source_feeds,
    area_code as source_area_code,
    geography_level as source_geography_level
from deduplicated
{% endmacro %}


{#
  Gap rule for missions 1, 4 and 9 (not defined numerically by the Statement): the top area minus the median
  of the other areas. One row per (gap metric, period, area) with its rank (1 = highest value; ties broken by
  area code, so exactly one area is "top" and any areas tied with it stay among the others).
#}
{% macro mission_top_minus_median_groups(metric_model, gap_map, geography_level) %}
with ranked_set as (
    select
        case metric_id
            {%- for mid, gid in gap_map.items() %}
            when '{{ mid }}' then '{{ gid }}'
            {%- endfor %}
        end as metric_id,
        mission,
        period_start,
        period_end,
        area_code,
        area_name,
        value,
        source_feeds
    from {{ ref(metric_model) }}
    where metric_id in ('{{ gap_map.keys() | list | join("','") }}')
      and geography_level = '{{ geography_level }}'
      and value is not null
),

ranked as (
    select
        *,
        row_number() over (
            partition by metric_id, period_start, period_end order by value desc, area_code
        ) as rank
    from ranked_set
)

select
    mission,
    metric_id,
    period_start,
    period_end,
    area_code,
    area_name,
    rank,
    case when rank = 1 then 'top' else 'others' end as group_name,
    value,
    value as ranking_value,
    source_feeds
from ranked
{% endmacro %}
