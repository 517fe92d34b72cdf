-- Published observations moved to the target vintage (April 2025 codes), before any roll-up.
-- Grain: one row per (feed_id, area_code, indicator, period_start, period_end).
-- harmonisation_method:
--   direct                       published under the target code
--   recode | relabel | itl_renumbered   published under an old code / label of the same area (deduplicated
--                                against the target code, never summed; conflicts in int_geography_recode_conflicts)
--   merge_sum                    count: sum of every predecessor valid in the period
--   merge_recomputed_from_components   rate/share with registered numerator/denominator: scale * sum / sum
--   merge_population_weighted_mean   rate/share/mean without components: predecessors weighted by mySociety pop-2020
--   split_population_share       count of an abolished county apportioned by successor population share
--   kept_at_source:<reason>      cannot be harmonised correctly; the row keeps its source code
with m as (
    select * from {{ ref('int_geography_observations_mapped') }}
),

areas as (
    select area_code, any_value(area_name) as area_name from {{ ref('int_geography_areas') }} group by area_code
),

-- 1. rows that are the target area itself (direct, or the same area under an old code/label)
same_area as (
    select
        *,
        row_number() over (
            partition by feed_id, target_code, indicator, period_start, period_end
            order by case route when 'direct' then 1 else 2 end, value is null, geography_level, area_code
        ) as rn
    from m
    where route in ('direct', 'recode', 'relabel')
),

same_area_rows as (
    select
        s.*,  -- rn too: the union below picks its columns by name
        case
            when s.route = 'direct' then 'direct'
            when s.route = 'relabel' then 'relabel'
            when s.target_level like 'ITL%' then 'itl_renumbered'
            else 'recode'
        end as method,
        false as is_derived_value
    from same_area as s
    where s.rn = 1
),

same_area_keys as (
    select distinct feed_id, indicator, period_start, period_end, target_code from same_area_rows
),

-- 2. merges: every predecessor valid during the period must be present with a value
merge_members as (
    select c.old_code, c.new_code, c.start_date_old, c.end_date_old, ms.population_2020
    from {{ ref('int_geography_code_changes') }} as c
    left join {{ ref('stg_reference__mysociety_uk_local_authorities') }} as ms on ms.gss_code = c.old_code
    where c.change_type = 'merge'
),

merge_candidates as (
    select m.*
    from m
    anti join same_area_keys as k
        on k.feed_id = m.feed_id and k.indicator = m.indicator and k.period_start = m.period_start
       and k.period_end = m.period_end and k.target_code = m.target_code
    where m.route = 'merge'
),

merge_groups as (
    select distinct feed_id, indicator, measure_type, period_start, period_end, target_code
    from merge_candidates
),

merge_required as (
    select g.*, mm.old_code, mm.population_2020
    from merge_groups as g
    inner join merge_members as mm
        on mm.new_code = g.target_code
       and (mm.start_date_old is null or mm.start_date_old <= g.period_end)
       and (mm.end_date_old is null or mm.end_date_old >= g.period_start)
),

merge_assembled as (
    select
        r.feed_id, r.indicator, r.measure_type, r.period_start, r.period_end, r.target_code,
        count(*) as n_required,
        count(c.value) as n_with_value,
        bool_and(r.population_2020 is not null) as all_have_population,
        {{ exact_sum('c.value') }} as value_sum,
        {{ exact_sum('c.value * r.population_2020') }}
            / {{ exact_sum('case when c.value is not null then r.population_2020 end') }} as value_pw,
        {{ sorted_string_agg('r.old_code', ';') }} as member_codes,
        min(c.source_sha256) as source_sha256,
        any_value(c.geography_level) as geography_level,
        any_value(c.unit) as unit,
        any_value(c.period_duration) as period_duration,
        any_value(c.period_kind) as period_kind,
        any_value(c.period_raw) as period_raw,
        bool_or(c.status = 'low_reliability') as any_low_reliability
    from merge_required as r
    left join merge_candidates as c
        on c.feed_id = r.feed_id and c.indicator = r.indicator and c.period_start = r.period_start
       and c.period_end = r.period_end and c.target_code = r.target_code and c.area_code = r.old_code
    group by all
),

components as (
    select * from {{ ref('int_geography_indicator_components') }} where scale is not null
),

merge_complete as (
    select * from merge_assembled where n_required > 0 and n_with_value = n_required
),

-- a rate/share with registered components: scale * merged numerator / merged denominator
merge_recomputed as (
    select
        r.feed_id, r.indicator, r.period_start, r.period_end, r.target_code,
        c.scale * n.value_sum / nullif(d.value_sum, 0) as value,
        'merge_recomputed_from_components (' || c.scale || ' * sum(' || c.numerator || ') / sum('
            || c.denominator || '))' as method
    from merge_complete as r
    inner join components as c on c.feed_id = r.feed_id and c.indicator = r.indicator
    inner join merge_complete as n
        on n.feed_id = r.feed_id and n.indicator = c.numerator and n.target_code = r.target_code
       and n.period_start = r.period_start and n.period_end = r.period_end
    inner join merge_complete as d
        on d.feed_id = r.feed_id and d.indicator = c.denominator and d.target_code = r.target_code
       and d.period_start = r.period_start and d.period_end = r.period_end
),

merge_rows as (
    select
        a.*,
        case
            when a.measure_type = 'count' then 'merge_sum'
            when rc.value is not null then rc.method
            when c.indicator is not null then null  -- components registered but not both complete
            when a.measure_type in ('rate', 'share', 'mean') and a.all_have_population
                then 'merge_population_weighted_mean (predecessor populations: mySociety pop-2020)'
        end as method,
        case
            when a.measure_type = 'count' then a.value_sum
            when rc.value is not null then rc.value
            when c.indicator is not null then null
            when a.measure_type in ('rate', 'share', 'mean') and a.all_have_population then a.value_pw
        end as merged_value
    from merge_complete as a
    left join components as c on c.feed_id = a.feed_id and c.indicator = a.indicator
    left join merge_recomputed as rc
        on rc.feed_id = a.feed_id and rc.indicator = a.indicator and rc.target_code = a.target_code
       and rc.period_start = a.period_start and rc.period_end = a.period_end
),

merge_done as (
    select * from merge_rows where method is not null
),

-- 3. splits: an abolished county's counts apportioned to its successors, only when the feed publishes none of
--    the successors for that period and none is built by a merge (else the county is kept as published)
filled_keys as (
    select feed_id, indicator, period_start, period_end, target_code from same_area_keys
    union
    select feed_id, indicator, period_start, period_end, target_code from merge_done
),

split_status as (
    select
        m.feed_id, m.indicator, m.period_start, m.period_end, m.area_code,
        count(*) as n_successors,
        count(k.target_code) as n_successors_published
    from m
    left join filled_keys as k
        on k.feed_id = m.feed_id and k.indicator = m.indicator and k.period_start = m.period_start
       and k.period_end = m.period_end and k.target_code = m.target_code
    where m.route = 'split'
    group by m.feed_id, m.indicator, m.period_start, m.period_end, m.area_code
),

split_rows as (
    select
        m.*,
        'split_population_share (weight ' || cast(m.weight as {{ type_text() }}) || ', successor share of mid-2023 population)'
            as method,
        true as is_derived_value
    from m
    inner join split_status as st
        on st.feed_id = m.feed_id and st.indicator = m.indicator and st.period_start = m.period_start
       and st.period_end = m.period_end and st.area_code = m.area_code
    where m.route = 'split' and st.n_successors_published = 0
      and m.measure_type = 'count' and m.value is not null
      -- every successor needs a weight
      and not exists (select 1 from m as w where w.route = 'split' and w.area_code = m.area_code and w.weight is null)
),

used_merge_sources as (
    select c.feed_id, c.indicator, c.period_start, c.period_end, c.area_code
    from merge_candidates as c
    inner join merge_done as d
        on d.feed_id = c.feed_id and d.indicator = c.indicator and d.period_start = c.period_start
       and d.period_end = c.period_end and d.target_code = c.target_code
),

-- 4. everything else stays at its source geography, with the reason. Dropped: rows superseded by the target
--    area published for the same period, and source rows consumed by a merge or a split.
kept_ranked as (
    select
        m.*,
        'kept_at_source: ' || case
            when m.route = 'pseudo' then 'pseudo-area (seed geo_pseudo_areas)'
            when m.route = 'aggregate' then 'non-standard aggregate (members in int_geography_aggregate_membership)'
            when m.route = 'itl2021_restructured' then 'ITL 2021 unit with no ITL 2025 equivalent'
            when m.route = 'unresolved' then 'UNRESOLVED code'
            when m.route = 'split' and st.n_successors_published > 0
                then 'county not apportioned: a successor has its own value for the period (published or merged)'
            when m.measure_type not in ('count', 'rate', 'share', 'mean') or m.measure_type is null
                then coalesce(m.measure_type, 'unregistered measure') || ' cannot be re-aggregated across a ' || m.route
            when m.route = 'split' and m.measure_type <> 'count'
                then m.measure_type || ' is not apportioned across a county split'
            when m.route = 'split' then 'split weight not computable'
            when m.route = 'merge' and m.measure_type <> 'count'
                then 'merge incomplete, or predecessor populations missing for a population-weighted ' || m.measure_type
            else 'merge incomplete: not every predecessor valid in the period has a value'
        end as method,
        false as is_derived_value,
        -- one row per code: a code kept under two level labels (E13 as county and as CA) is the same area
        row_number() over (
            partition by m.feed_id, m.area_code, m.indicator, m.period_start, m.period_end
            order by m.value is null, m.geography_level nulls last
        ) as kept_rn
    from m
    left join split_status as st
        on m.route = 'split' and st.feed_id = m.feed_id and st.indicator = m.indicator
       and st.period_start = m.period_start and st.period_end = m.period_end and st.area_code = m.area_code
    where m.route not in ('direct', 'recode', 'relabel')
      -- merge rows whose target is published for the period are redundant
      and not (m.route = 'merge' and m.is_superseded)
      -- a county whose successors are all published is redundant
      and not (m.route = 'split' and st.n_successors_published = st.n_successors)
      and not exists (select 1 from split_rows as s
                 where s.feed_id = m.feed_id and s.indicator = m.indicator and s.period_start = m.period_start
                   and s.period_end = m.period_end and s.area_code = m.area_code)
      and not exists (select 1 from used_merge_sources as u
                 where u.feed_id = m.feed_id and u.indicator = m.indicator and u.period_start = m.period_start
                   and u.period_end = m.period_end and u.area_code = m.area_code)
      -- merge rows whose target is filled by a same-area row (a recoded county) are redundant too
      and not (m.route = 'merge' and exists (select 1 from same_area_keys as k
                 where k.feed_id = m.feed_id and k.indicator = m.indicator and k.period_start = m.period_start
                   and k.period_end = m.period_end and k.target_code = m.target_code))
),

kept as (
    select * from kept_ranked where kept_rn = 1
),

unioned as (
    select
        s.target_code as area_code, coalesce(a.area_name, s.area_name) as area_name, s.geography_level,
        s.target_level as area_level, s.indicator, s.measure_type, s.period_start, s.period_end, s.period_duration,
        s.period_kind, s.period_raw, s.value, s.unit, s.status, s.source_status, s.lci_95, s.uci_95, s.feed_id,
        s.source_sha256, s.source_line, s.method as harmonisation_method, s.area_code as source_area_code,
        false as is_derived, true as is_target_vintage
    from same_area_rows as s
    left join areas as a on a.area_code = s.target_code
    union all
    select
        d.target_code, a.area_name, d.geography_level, 'LAD', d.indicator, d.measure_type, d.period_start,
        d.period_end, d.period_duration, d.period_kind, d.period_raw, d.merged_value, d.unit,
        case when d.any_low_reliability then 'low_reliability' else 'ok' end, null, null, null, d.feed_id,
        d.source_sha256, null, d.method, d.member_codes, true, true
    from merge_done as d
    left join areas as a on a.area_code = d.target_code
    union all
    select
        s.target_code, a.area_name, s.geography_level, s.target_level, s.indicator, s.measure_type, s.period_start,
        s.period_end, s.period_duration, s.period_kind, s.period_raw, s.value * s.weight, s.unit, s.status,
        s.source_status, null, null, s.feed_id, s.source_sha256, s.source_line, s.method, s.area_code, true, true
    from split_rows as s
    left join areas as a on a.area_code = s.target_code
    union all
    select
        k.area_code, k.area_name, k.geography_level, k.source_level, k.indicator, k.measure_type, k.period_start,
        k.period_end, k.period_duration, k.period_kind, k.period_raw, k.value, k.unit, k.status, k.source_status,
        k.lci_95, k.uci_95, k.feed_id, k.source_sha256, k.source_line, k.method, k.area_code, false, false
    from kept as k
)

select * from unioned
