{{ stage_ess_feed(source('ess', 'qualifications_none_gb')) }}
