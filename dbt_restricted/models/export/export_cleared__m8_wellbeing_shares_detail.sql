{{ config(location=var('export_dir') ~ '/cleared/m8_wellbeing_shares_detail.parquet') }}
-- Cleared tier: every breakdown (all, sex, age band), with the same suppression pattern as the open tier.
select *
from {{ ref('m8_wellbeing_outputs') }}
