{{ stage_ess_feed(source('ess', 'public_electric_vehicle_chargers')) }}
