-- Mission 5 (education): KS2 reading, writing and maths at the expected standard, by English upper-tier LA
-- (DfE local authority) and England. Sheffield/Barnsley published under both codes and Bournemouth/Poole
-- published next to BCP are deduplicated to the successor code (never summed).
-- Grain: one row per (metric_id, area_code, period).
{{ mission_ess_rows('stg_ess__pupils_at_expected_standards_by_end_of_primary_school', 5,
    {'Pupils meeting the expected standard in reading, writing and maths': 'm5_ks2_rwm_expected'},
    ['upper_tier_la'], 'pupils-at-expected-standards-by-end-of-primary-school',
    'as published (DfE KS2 attainment); academic year starting September',
    national_codes=['E92000001']) }}
