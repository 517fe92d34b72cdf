{{ stage_ess_feed(source('ess', 'persistent_absences_for_pupils_eligible_for_free_school_meals')) }}
