-- One neighbour per (model, area, rank), never the area itself, never the same neighbour twice, and distances
-- that do not decrease with rank.
with s as (
    select *, lag(distance) over (partition by model, area_code order by rank) as previous_distance
    from {{ ref('similar_areas') }}
)

select model, area_code, rank, 'duplicate rank' as problem from s group by model, area_code, rank having count(*) > 1
union all
select model, area_code, min(rank), 'neighbour listed twice' from s
group by model, area_code, neighbour_code having count(*) > 1
union all
select model, area_code, rank, 'area is its own neighbour' from s where neighbour_code = area_code
union all
select model, area_code, rank, 'distance decreases with rank' from s where distance < previous_distance - 1e-9
union all
select model, area_code, max(rank), 'ranks are not 1..n' from s
group by model, area_code having max(rank) <> count(*) or min(rank) <> 1
