{{ config(location=var('export_dir') ~ '/cleared/m8_wellbeing_shares.parquet') }}
-- Cleared tier: the open table, as the cleared release carries it too.
select * exclude (breakdown, breakdown_value)
from {{ ref('m8_wellbeing_outputs') }}
where breakdown = 'all'
