-- Small areas -> target-vintage LAD: LSOA 2011 (England & Wales), Data Zone 2011 (Scotland) and NI Super
-- Output Areas, through mySociety's registry codes, GSS codes and the LAD code-change map.
-- Grain: one row per small_area_code. Rebuilds derived/lsoa11_dz11_nisoa_to_lad25.csv.
with lookup as (
    select * from {{ ref('stg_reference__mysociety_lsoa_to_registry') }}
),

councils as (
    select registry_code, gss_code from {{ ref('stg_reference__mysociety_uk_local_authorities') }}
),

changes as (
    select old_code, new_code from {{ ref('int_geography_lad_code_changes') }}
)

select
    l.small_area_code,
    case
        when l.small_area_code like 'E01%' or l.small_area_code like 'W01%' then 'LSOA11'
        when l.small_area_code like 'S01%' then 'DZ11'
        else 'NISOA'
    end as small_area_type,
    l.registry_code,
    c.gss_code as lad_code_registry,
    coalesce(ch.new_code, c.gss_code) as lad_code,
    h.lad_name
from lookup as l
left join councils as c on c.registry_code = l.registry_code
left join changes as ch on ch.old_code = c.gss_code
left join {{ ref('int_geography_lad_hierarchy') }} as h on h.lad_code = coalesce(ch.new_code, c.gss_code)
