-- Mid-year population estimates (MYE4 sheet), England and Wales, on April 2023 boundaries: unpivoted from
-- one column per year to one row per (area, year).
with source as (
    select * from {{ source('reference', 'ons_mid_year_population_lad23') }}
),

long as (
    {{ unpivot_matching('source', source('reference', 'ons_mid_year_population_lad23'), '^Mid-\d{4}$', 'year_label', 'population') }}
)

select
    trim(Code) as area_code,
    trim(Name) as area_name,
    trim(Geography) as ons_geography,
    cast(right(year_label, 4) as integer) as year,
    cast(population as bigint) as population,
    _source_sha256 as source_sha256
from long
