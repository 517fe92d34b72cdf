{{ stage_ess_feed(source('ess', 'gross_value_added')) }}
