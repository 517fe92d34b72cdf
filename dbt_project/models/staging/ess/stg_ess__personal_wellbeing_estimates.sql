{{ stage_ess_feed(source('ess', 'personal_wellbeing_estimates')) }}
