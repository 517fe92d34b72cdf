-- Members of the analyst-defined areas resolved to the target vintage. Grain: one row per
-- (custom_area, member_code). LAD members move through the code-change map (old codes allowed); small areas
-- resolve through int_geography_small_areas. is_matched = false for well-formed but unknown codes.
with members as (
    select * from {{ ref('stg_custom__custom_areas') }}
),

lad_changes as (
    select old_code, new_code from {{ ref('int_geography_lad_code_changes') }}
),

lads as (
    select lad_code from {{ ref('int_geography_lad_hierarchy') }}
)

select
    m.custom_area,
    m.description,
    m.member_code,
    m.member_kind,
    case
        when m.member_kind = 'lad' then l.lad_code
        when m.member_kind = 'small_area' then s.small_area_code
    end as resolved_code,
    case when m.member_kind = 'lad' then l.lad_code else s.lad_code end as lad_code,
    case when m.member_kind = 'lad' then l.lad_code is not null else s.small_area_code is not null end as is_matched,
    m.source_file,
    m.source_row
from members as m
left join lad_changes as c on m.member_kind = 'lad' and c.old_code = m.member_code
left join lads as l on m.member_kind = 'lad' and l.lad_code = coalesce(c.new_code, m.member_code)
left join {{ ref('int_geography_small_areas') }} as s on m.member_kind = 'small_area' and s.small_area_code = m.member_code
