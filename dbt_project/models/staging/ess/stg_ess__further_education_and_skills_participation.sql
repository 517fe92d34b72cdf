{{ stage_ess_feed(source('ess', 'further_education_and_skills_participation')) }}
