{{ stage_ess_feed(source('ess', 'early_years')) }}
