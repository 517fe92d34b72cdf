{{ stage_ess_feed(source('ess', 'environment_regulating')) }}
