-- Analyst-defined areas: one row per (custom_area, member_code). member_kind is lad | small_area.
select
    trim(custom_area) as custom_area,
    nullif(trim(description), '') as description,
    upper(trim(member_code)) as member_code,
    member_kind,
    source_file,
    cast(source_row as integer) as source_row
from {{ source('custom', 'custom_areas') }}
