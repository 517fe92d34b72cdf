{{ stage_ess_feed(source('ess', 'gross_disposable_household_income_per_head')) }}
