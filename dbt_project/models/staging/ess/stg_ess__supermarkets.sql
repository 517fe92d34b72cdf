{{ stage_ess_feed(source('ess', 'supermarkets')) }}
