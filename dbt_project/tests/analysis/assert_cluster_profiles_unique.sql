-- One profile row per (model, cluster, indicator).
select model, cluster, indicator, count(*) as n
from {{ ref('cluster_profiles') }}
group by model, cluster, indicator
having count(*) > 1
