{{ stage_ess_feed(source('ess', 'premises_below_30')) }}
