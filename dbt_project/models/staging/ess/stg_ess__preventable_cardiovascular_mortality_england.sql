{{ stage_ess_feed(source('ess', 'preventable_cardiovascular_mortality_england')) }}
