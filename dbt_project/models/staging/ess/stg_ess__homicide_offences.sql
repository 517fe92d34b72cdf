{{ stage_ess_feed(source('ess', 'homicide_offences')) }}
