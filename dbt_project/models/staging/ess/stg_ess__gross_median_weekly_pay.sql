{{ stage_ess_feed(source('ess', 'gross_median_weekly_pay')) }}
