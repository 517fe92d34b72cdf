{#
  Disclosure-controlled m8 shares from the restricted zone (open tier). The export file exists only after the
  restricted zone has processed a delivery: at run time we glob for it and, if absent, return a typed empty
  table (mission 8 then publishes not_available rows instead of failing). source() is always called so dbt and
  Dagster keep the lineage.
#}
{% set src = source('restricted_exports', 'm8_wellbeing_shares') %}
{% set path = [env_var('LEVELUP_DATA_DIR'), 'restricted', 'export', 'open', 'm8_wellbeing_shares.parquet'] | join('/') %}
{% set has_export = false %}
{% if execute %}
    {% set has_export = path_exists(path) %}
{% endif %}
{% if has_export %}
select
    cast(metric_id as {{ type_text() }}) as metric_id,
    cast(area_level as {{ type_text() }}) as area_level,
    cast(area_code as {{ type_text() }}) as area_code,
    cast(parent_code as {{ type_text() }}) as parent_code,
    cast(survey_year as integer) as survey_year,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    cast(share_pct as double) as share_pct,
    cast(lci_95 as double) as lci_95,
    cast(uci_95 as double) as uci_95,
    cast(unweighted_count as bigint) as unweighted_count,
    cast(status as {{ type_text() }}) as status,
    cast(sdc_code as {{ type_text() }}) as sdc_code
from {{ src }}
{% else %}
select
    cast(null as {{ type_text() }}) as metric_id, cast(null as {{ type_text() }}) as area_level, cast(null as {{ type_text() }}) as area_code,
    cast(null as {{ type_text() }}) as parent_code, cast(null as integer) as survey_year, cast(null as date) as period_start,
    cast(null as date) as period_end, cast(null as double) as share_pct, cast(null as double) as lci_95,
    cast(null as double) as uci_95, cast(null as bigint) as unweighted_count, cast(null as {{ type_text() }}) as status,
    cast(null as {{ type_text() }}) as sdc_code
where false
{% endif %}
