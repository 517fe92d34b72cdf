{{ stage_ess_feed(source('ess', 'apprenticeships')) }}
