{{ stage_ess_feed(source('ess', 'food_outlets')) }}
