{{ stage_ess_feed(source('ess', 'short_term_let_number_of_guests_nights')) }}
