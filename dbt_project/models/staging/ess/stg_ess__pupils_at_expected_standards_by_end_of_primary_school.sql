{{ stage_ess_feed(source('ess', 'pupils_at_expected_standards_by_end_of_primary_school')) }}
