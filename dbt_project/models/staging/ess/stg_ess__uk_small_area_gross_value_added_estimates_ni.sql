-- NI super output area GVA: no confidence intervals or status codes in this file; bare-year periods.
{{ stage_ess_feed(source('ess', 'uk_small_area_gross_value_added_estimates_ni'), has_intervals=false, has_status=false) }}
