{{ stage_ess_feed(source('ess', 'first_time_buyer_mortgage_sales')) }}
