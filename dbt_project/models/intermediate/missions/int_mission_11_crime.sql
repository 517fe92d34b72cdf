-- Mission 11 (crime): police-recorded homicides per million population (rolling 3 financial years) by police
-- force area, plus England and Wales (K04000001, the only country-level row) and the nations.
-- Grain: one row per (metric_id, area_code, period).
{{ mission_ess_rows('stg_ess__homicide_offences', 11,
    {'Homicide Offences': 'm11_homicide_rate'},
    ['police_force_area'], 'homicide-offences',
    'as published (Home Office police recorded crime, 3-year rolling; South Yorkshire includes Hillsborough 2016/17)',
    national_codes=['K04000001','E92000001','W92000004','N92000002']) }}
