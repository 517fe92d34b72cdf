{#
  Models rebuilt per feed version. A large mart (indicators, indicators_harmonised, the roll-ups) holds the rows of
  every feed; when one feed's version changes, only that feed's rows are recomputed and replaced, so a one-feed
  refresh never rewrites tens of millions of rows of the others. "Stale" feeds are those whose current version
  (stg_raw_meta__current_versions) is not the version the model holds (its rows' source_sha256).

  by_feed_incremental(): the model's config.
    DuckDB: materialized incremental, strategy append, with a pre-hook deleting the stale feeds' rows (and the rows
            of feeds that no longer have a version); the model body selects only the stale feeds' rows.
    Spark:  insert_overwrite, partitioned by feed_id: the stale feeds' partitions are overwritten (plain Parquet
            tables cannot delete; rows of a feed removed from the registry stay until a full refresh).
  A change of code or of reference data (geography, populations) makes orchestration run dbt with --full-refresh.
#}
{% macro by_feed_incremental() -%}
    {#- declares the dependency the incremental branch uses (refs inside conditionals are not seen at parse time) -#}
    {%- set _ = ref('stg_raw_meta__current_versions') -%}
    {%- if target.type == 'spark' -%}
        {{ config(materialized='incremental', incremental_strategy='insert_overwrite', partition_by=['feed_id'],
                  file_format='parquet') }}
    {%- else -%}
        {{ config(materialized='incremental', incremental_strategy='append',
                  pre_hook="{{ delete_stale_feeds() }}") }}
    {%- endif -%}
{%- endmacro %}

{% macro stale_feeds(relation) -%}
    select c.feed_id
    from {{ ref('stg_raw_meta__current_versions') }} as c
    where not exists (
        select 1 from {{ relation }} as t where t.feed_id = c.feed_id and t.source_sha256 = c.source_sha256
    )
{%- endmacro %}

{#- The filter a by-feed model's body puts on its input rows (nothing on a full build). -#}
{% macro only_stale_feeds(feed_column='feed_id') -%}
    {%- if this is not none and model.resource_type == 'model' and is_incremental() -%}
        {{ feed_column }} in ({{ stale_feeds(this) }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro delete_stale_feeds() -%}
    {%- if this is not none and is_incremental() and target.type != 'spark' -%}
        delete from {{ this }}
        where feed_id in ({{ stale_feeds(this) }})
           or feed_id not in (select feed_id from {{ ref('stg_raw_meta__current_versions') }})
    {%- endif -%}
{%- endmacro %}

{#- The staging models a by-feed model must read this run: on an incremental run only those of stale feeds (the
    feed id is the model name's suffix), so unchanged feeds' files are not read at all; every model otherwise.
    Never empty: with nothing stale, the first model is returned and `only_stale_feeds` filters out its rows. -#}
{% macro stale_staging_models(models) -%}
    {%- if execute and this is not none and model.resource_type == 'model' and is_incremental() -%}
        {%- set stale = run_query(stale_feeds(this)).columns[0].values() | map('replace', '-', '_') | list -%}
        {%- set picked = [] -%}
        {%- for m in models if m.split('__')[-1] in stale -%}{%- do picked.append(m) -%}{%- endfor -%}
        {{ return(picked if picked else models[:1]) }}
    {%- else -%}
        {{ return(models) }}
    {%- endif -%}
{%- endmacro %}
