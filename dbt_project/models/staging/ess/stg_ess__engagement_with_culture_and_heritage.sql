{{ stage_ess_feed(source('ess', 'engagement_with_culture_and_heritage')) }}
