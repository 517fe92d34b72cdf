{{ stage_ess_feed(source('ess', 'library_walk')) }}
