{{ stage_ess_feed(source('ess', 'modelled_unemployment')) }}
