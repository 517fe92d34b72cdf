{{ stage_ess_feed(source('ess', 'net_additions_to_the_housing_stock_northern_ireland')) }}
