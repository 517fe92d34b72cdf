{{ stage_ess_feed(source('ess', 'business_demography')) }}
