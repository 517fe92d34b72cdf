{{ stage_ess_feed(source('ess', 'cancer_diagnosis_at_stage_1_and_2')) }}
