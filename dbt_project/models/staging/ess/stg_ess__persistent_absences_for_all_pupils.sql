{{ stage_ess_feed(source('ess', 'persistent_absences_for_all_pupils')) }}
