{{ stage_ess_feed(source('ess', 'short_term_let_average_length_of_stay')) }}
