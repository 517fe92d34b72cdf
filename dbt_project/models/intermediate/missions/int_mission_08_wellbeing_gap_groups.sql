{#
  Mission 8 gap groups: the worst-performing third of lower-tier LAs vs the rest, per APS year, areas ranked by
  their worst headline metric. Ranked set: LAs whose four headline shares are all published (status ok) that
  year, so the ranking uses only disclosure-controlled, published values and reveals nothing about suppressed
  cells. "Worst headline metric": each share is standardised across the ranked set (z = (x - mean) / sd; all
  four are oriented so higher = worse); an area's ranking value is its largest z. Rank 1 = worst; the worst third
  is ranks 1..ceil(n/3), ties broken by area code. One row per (gap metric_id, period, area) — the same grouping
  for all four gap metrics; value = the area's share on that gap's own metric.
#}
with shares as (
    select * from {{ ref('int_mission_08_wellbeing__restricted_shares') }}
    where geography_level = 'lower_tier_la' and status = 'ok'
),

complete as (
    select area_code, period_start
    from shares
    group by all
    having count(distinct metric_id) = 4
),

standardised as (
    select
        s.*,
        (s.value - avg(s.value) over w) / nullif(stddev_samp(s.value) over w, 0) as z
    from shares as s
    join complete using (area_code, period_start)
    window w as (partition by s.metric_id, s.period_start)
),

area_score as (
    select area_code, period_start, max(z) as worst_z, {{ arg_max_of('metric_id', 'z') }} as worst_metric_id
    from standardised
    group by all
),

ranked as (
    select
        *,
        count(*) over (partition by period_start) as n_areas,
        row_number() over (partition by period_start order by worst_z desc, area_code) as rank
    from area_score
)

select
    8 as mission,
    replace(replace(s.metric_id, 'm8_low_', 'm8_gap_low_'), 'm8_high_', 'm8_gap_high_') as metric_id,
    s.period_start,
    s.period_end,
    s.area_code,
    s.area_name,
    r.rank,
    case when r.rank <= ceil(r.n_areas / 3.0) then 'worst_third' else 'rest' end as group_name,
    s.value,
    r.worst_z as ranking_value,
    r.worst_metric_id,
    s.source_feeds
from standardised as s
join ranked as r using (area_code, period_start)
