-- Mission 1 (living standards): GVA per hour and per filled job, median weekly pay, employment rate 16-64,
-- by ITL1 area (9 English regions + Wales, Scotland, NI under their statistical codes) plus UK and England.
-- Grain: one row per (metric_id, area_code, period_start, period_end).
with gva as (
    {{ mission_ess_rows('stg_ess__gross_value_added', 1,
        {'Gross value added per hour worked': 'm1_gva_per_hour',
         'Gross value added per filled job': 'm1_gva_per_filled_job'},
        ['itl1'], 'gross-value-added',
        'as published by ONS at ITL1 (ITL codes TLC-TLN mapped to E12/W92/S92/N92; UK = UK less Extra-Regio K99000002, England = TLB)') }}
),

pay as (
    {{ mission_ess_rows('stg_ess__gross_median_weekly_pay', 1,
        {'Gross median weekly pay': 'm1_median_weekly_pay'},
        ['itl1'], 'gross-median-weekly-pay', 'as published (ASHE median; not aggregable)') }}
),

employment as (
    {{ mission_ess_rows('stg_ess__employment_rate', 1,
        {'Employment rate': 'm1_employment_rate_16_64'},
        ['itl1'], 'employment-rate', 'as published (APS, aged 16 to 64)') }}
)

select * from gva
union all
select * from pay
union all
select * from employment
