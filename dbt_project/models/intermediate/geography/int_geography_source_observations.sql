-- Every observation of every registered indicator feed as published: the one union of the ESS staging models
-- (marts.indicators reads it too), with the ESS geography label translated to a level code. Grain: as
-- marts.indicators. A view: at national small-area scale the union is never copied.
{{ config(materialized='view') }}
{% set models = registry_staging_models_ess() %}

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
