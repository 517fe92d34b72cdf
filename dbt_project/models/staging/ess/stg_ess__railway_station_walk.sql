{{ stage_ess_feed(source('ess', 'railway_station_walk')) }}
