{#
  The 2025 local authorities each analyst-defined area (<LEVELUP_DATA_DIR>/custom_areas/) covers, with how many of
  its listed members fall in each. `levelup evaluate` uses it to build a custom area's donor pool (the similar
  areas of its local authorities, never the authorities it covers). Empty until an analyst drops an area.
  Grain: one row per (custom_area, lad_code).
#}
select
    m.custom_area,
    any_value(m.member_kind) as member_kind,
    m.lad_code,
    any_value(g.lad_name) as lad_name,
    count(*) as members_in_lad,
    bool_and(m.member_kind = 'lad') as is_whole_lad
from {{ ref('int_geography_custom_area_members') }} as m
left join {{ ref('geography') }} as g on g.lad_code = m.lad_code
where m.is_matched and m.lad_code is not null
group by m.custom_area, m.lad_code
