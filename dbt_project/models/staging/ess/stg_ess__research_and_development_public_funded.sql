{{ stage_ess_feed(source('ess', 'research_and_development_public_funded')) }}
