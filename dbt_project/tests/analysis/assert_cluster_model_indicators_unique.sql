-- One row per (model, indicator), and per (model, position).
select model, indicator, 'indicator listed twice' as problem
from {{ ref('cluster_model_indicators') }} group by model, indicator having count(*) > 1
union all
select model, any_value(indicator), 'position used twice'
from {{ ref('cluster_model_indicators') }} group by model, indicator_position having count(*) > 1
