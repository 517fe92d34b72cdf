{{ stage_ess_feed(source('ess', 'total_value_of_uk_exports')) }}
