{{ stage_ess_feed(source('ess', 'network_coverage_4g')) }}
