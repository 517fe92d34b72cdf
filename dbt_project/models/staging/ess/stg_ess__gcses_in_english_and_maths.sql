{{ stage_ess_feed(source('ess', 'gcses_in_english_and_maths')) }}
