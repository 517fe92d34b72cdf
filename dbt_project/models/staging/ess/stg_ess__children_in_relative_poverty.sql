{{ stage_ess_feed(source('ess', 'children_in_relative_poverty')) }}
