{#
  Every observation of every registered indicator feed as published: the one union of the ESS staging models
  (views over the landed files), with the ESS geography label translated to a level code, and the one place the
  rows are materialised (marts.indicators is a view over it). Grain: one row per (feed_id, area_code,
  geography_level, indicator, period_start, period_end). Incremental by feed version (macros/incremental.sql):
  only the staging models of feeds whose version changed are read, so a one-feed change reads one file.
#}
{{ by_feed_incremental() }}
{% set models = stale_staging_models(registry_staging_models_ess()) %}

with unioned as (
    {% for m in models %}
    select * from {{ ref(m) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    u.*,
    case u.geography_level
        when 'Local Authority District' then 'LAD'
        when 'County or Unitary Authority' then 'CTYUA'
        when 'Combined Authority or City Region' then 'CA'
        when 'Region' then 'RGN'
        when 'ITL Level 1' then 'ITL1'
        when 'ITL Level 2' then 'ITL2'
        when 'ITL Level 3' then 'ITL3'
        when 'Police Force Area' then 'PFA'
        when 'Country' then 'CTRY'
        when 'Nation' then 'CTRY'
        else case when lower(u.geography_level) like '%output area%' or lower(u.geography_level) like '%data zone%'
                  then 'SMALL_AREA' else 'OTHER' end
    end as source_level
from unioned as u
where {{ only_stale_feeds('u.feed_id') }}
