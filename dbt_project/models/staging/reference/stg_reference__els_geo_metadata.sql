-- The ONS Explore Local Statistics app's area hierarchy (2025 vintage): levels, parents and children are
-- `;`-joined lists in the raw file; start/end are years (end set for terminated areas).
select
    areacd as area_code,
    areanm as area_name,
    {{ split_list('level', ';') }} as levels,
    coalesce({{ split_list('parents', ';') }}, {{ empty_text_list() }}) as parents,
    coalesce({{ split_list('children', ';') }}, {{ empty_text_list() }}) as children,
    cast({{ adapter.quote('start') }} as integer) as start_year,
    cast({{ adapter.quote('end') }} as integer) as end_year,
    _source_sha256 as source_sha256
from {{ source('reference', 'els_geo_metadata') }}
