-- One row per (custom_area, lad_code).
select custom_area, lad_code, count(*) as n
from {{ ref('custom_area_lads') }}
group by custom_area, lad_code
having count(*) > 1
