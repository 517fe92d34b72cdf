{{ stage_ess_feed(source('ess', 'domestic_electricity_consumption')) }}
