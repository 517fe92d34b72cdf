{#
  Mission 7 HLE gap groups. Ranked set, per sex and period: every upper-tier LA in England (E06, E10, E08,
  E09), LA in Wales (W06), council area in Scotland (S12) and LGD in Northern Ireland (N09) with a published
  HLE (City of London and Isles of Scilly are published combined and absent; NI from 2014-16). n = size of the
  set; k = floor(n / 10) areas form each decile tail (21 when n = 216, 20 when n = 205). Areas are ranked by
  HLE, highest first (rank 1), ties broken by area code; the top decile is ranks 1..k and the bottom decile
  the k areas with the lowest HLE (ties broken by area code). Tie-breaking can change membership, never the
  medians, because tied areas share the value. Everyone else is 'middle'.
  Grain: one row per (gap metric_id, period, area_code).
#}
with ranked_set as (
    select
        mission,
        case metric_id when 'm7_hle_male' then 'm7_hle_gap_male' when 'm7_hle_female' then 'm7_hle_gap_female' end
            as metric_id,
        period_start,
        period_end,
        area_code,
        area_name,
        value,
        source_feeds
    from {{ ref('int_mission_07_health') }}
    where metric_id in ('m7_hle_male', 'm7_hle_female')
      and geography_level = 'upper_tier_la'
      and value is not null
),

ranked as (
    select
        *,
        count(*) over (partition by metric_id, period_start, period_end) as n_areas,
        row_number() over (partition by metric_id, period_start, period_end order by value desc, area_code) as rank,
        row_number() over (partition by metric_id, period_start, period_end order by value asc nulls last, area_code) as rank_from_bottom
    from ranked_set
)

select
    mission,
    metric_id,
    period_start,
    period_end,
    area_code,
    area_name,
    rank,
    case
        when rank <= floor(n_areas / 10) then 'top_decile'
        when rank_from_bottom <= floor(n_areas / 10) then 'bottom_decile'
        else 'middle'
    end as group_name,
    value,
    value as ranking_value,
    source_feeds
from ranked
