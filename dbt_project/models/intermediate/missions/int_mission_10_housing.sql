-- Mission 10 (housing), proxy only: first-time buyer mortgage sales per 1,000 dwellings by ITL1 area plus UK
-- and England. Sheffield/Barnsley duplicates are irrelevant at ITL1. Grain: one row per (metric_id, area_code, period).
{{ mission_ess_rows('stg_ess__first_time_buyer_mortgage_sales', 10,
    {'First-time buyer mortgage sales': 'm10_ftb_mortgage_sales_rate'},
    ['itl1'], 'first-time-buyer-mortgage-sales',
    'as published (mortgage sales to first-time buyers per 1,000 dwellings); proxy for first-time buyers') }}
