{{ stage_ess_feed(source('ess', 'qualifications_level_3_or_above_ni')) }}
