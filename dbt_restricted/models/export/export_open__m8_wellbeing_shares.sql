{{ config(location=var('export_dir') ~ '/open/m8_wellbeing_shares.parquet') }}
-- Open tier: every area and year, breakdown 'all' only. The file the shared warehouse reads.
select * exclude (breakdown, breakdown_value)
from {{ ref('m8_wellbeing_outputs') }}
where breakdown = 'all'
