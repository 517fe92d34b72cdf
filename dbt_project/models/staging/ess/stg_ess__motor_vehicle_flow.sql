{{ stage_ess_feed(source('ess', 'motor_vehicle_flow')) }}
