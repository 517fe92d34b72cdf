{{ config(meta={"dagster": {"ref": {"name": "mission_gap_groups"}}}) }}
-- Decile, third and top-vs-others groupings have the sizes their definitions imply, and the membership table
-- agrees with the counts in mission_gaps.
with gaps as (
    select * from {{ ref('mission_gaps') }} where status = 'ok'
),

expected as (
    select
        *,
        case grouping
            when 'decile' then floor(n_areas / 10)
            when 'third' then n_areas - ceil(n_areas / 3.0)
            when 'top_minus_median_of_others' then 1
            when 'reference_vs_median_of_others' then 1
        end as expected_n_top,
        case grouping
            when 'decile' then floor(n_areas / 10)
            when 'third' then ceil(n_areas / 3.0)
            else n_areas - 1
        end as expected_n_bottom
    from gaps
),

membership as (
    select
        metric_id, period_start, period_end,
        count(*) as n_rows,
        count(*) filter (where group_name in ('top', 'london', 'rest', 'top_decile')) as n_top_rows,
        count(*) filter (where group_name in ('others', 'other_regions', 'lowest_skilled_third', 'worst_third', 'bottom_decile'))
            as n_bottom_rows
    from {{ ref('mission_gap_groups') }}
    group by all
)

select e.metric_id, e.period_start, e.grouping, e.n_areas, e.n_top_group, e.expected_n_top, e.n_bottom_group,
       e.expected_n_bottom, m.n_rows, m.n_top_rows, m.n_bottom_rows
from expected as e
left join membership as m using (metric_id, period_start, period_end)
where e.expected_n_top is null
   or e.n_top_group <> e.expected_n_top
   or e.n_bottom_group <> e.expected_n_bottom
   or e.n_top_group < 1 or e.n_bottom_group < 1
   or m.n_rows is distinct from e.n_areas
   or m.n_top_rows is distinct from e.n_top_group
   or m.n_bottom_rows is distinct from e.n_bottom_group
