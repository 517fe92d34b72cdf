-- One cluster per (model, area).
select model, area_code, count(*) as n
from {{ ref('area_clusters') }}
group by model, area_code
having count(*) > 1
