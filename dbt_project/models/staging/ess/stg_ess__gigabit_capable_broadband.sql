{{ stage_ess_feed(source('ess', 'gigabit_capable_broadband')) }}
