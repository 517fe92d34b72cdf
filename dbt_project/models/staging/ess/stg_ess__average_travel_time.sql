{{ stage_ess_feed(source('ess', 'average_travel_time')) }}
