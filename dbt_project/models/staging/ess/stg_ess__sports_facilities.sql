{{ stage_ess_feed(source('ess', 'sports_facilities')) }}
