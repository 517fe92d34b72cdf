{{ stage_ess_feed(source('ess', 'persistent_absences_for_pupils_looked_after_by_local_authorities')) }}
