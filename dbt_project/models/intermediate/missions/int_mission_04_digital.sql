-- Mission 4 (digital): gigabit premises coverage, 4G and 5G geographic coverage by lower-tier LA (E), LA (W),
-- council area (S), LGD (NI) on 2025 codes, plus UK and the four nations.
-- Grain: one row per (metric_id, area_code, period).
with gigabit as (
    {{ mission_ess_rows('stg_ess__gigabit_capable_broadband', 4,
        {'Gigabit capable broadband': 'm4_gigabit_coverage'},
        ['lower_tier_la'], 'gigabit-capable-broadband', 'as published (Ofcom Connected Nations, % of premises)') }}
),

coverage_4g as (
    {{ mission_ess_rows('stg_ess__network_coverage_4g', 4,
        {'4G coverage': 'm4_4g_coverage'},
        ['lower_tier_la'], 'network-coverage-4g', 'as published (Ofcom, % of geographic area)') }}
),

coverage_5g as (
    {{ mission_ess_rows('stg_ess__network_coverage_5g', 4,
        {'5G coverage': 'm4_5g_coverage'},
        ['lower_tier_la'], 'network-coverage-5g', 'as published (Ofcom, % of geographic area)') }}
)

select * from gigabit
union all
select * from coverage_4g
union all
select * from coverage_5g
