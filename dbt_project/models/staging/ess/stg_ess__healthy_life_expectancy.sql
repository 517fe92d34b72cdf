{{ stage_ess_feed(source('ess', 'healthy_life_expectancy')) }}
