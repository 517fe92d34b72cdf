{{ config(meta={"dagster": {"ref": {"name": "similar_areas"}}}) }}
-- Never list an area that nests inside the other: a county (E10) and its own districts, either way round.
with nesting as (
    select lad_code as district, ctyua_code as county
    from {{ ref('geography') }}
    where ctyua_code <> lad_code
)

select s.model, s.area_code, s.rank, s.neighbour_code
from {{ ref('similar_areas') }} as s
inner join nesting as n
    on (s.area_code = n.district and s.neighbour_code = n.county)
    or (s.area_code = n.county and s.neighbour_code = n.district)
