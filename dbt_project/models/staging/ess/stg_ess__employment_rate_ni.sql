{{ stage_ess_feed(source('ess', 'employment_rate_ni')) }}
