{{ stage_ess_feed(source('ess', 'mortality_rate_from_coronary_heart_disease_scotland')) }}
