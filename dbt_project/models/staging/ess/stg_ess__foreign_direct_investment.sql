{{ stage_ess_feed(source('ess', 'foreign_direct_investment')) }}
