{{ stage_ess_feed(source('ess', 'adult_obesity_prevalence')) }}
