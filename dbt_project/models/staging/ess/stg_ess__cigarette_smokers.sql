{{ stage_ess_feed(source('ess', 'cigarette_smokers')) }}
