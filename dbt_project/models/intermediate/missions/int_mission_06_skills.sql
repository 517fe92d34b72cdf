-- Mission 6 (skills): 19+ FE and skills achievements per 100,000, by English upper-tier LA and England
-- (academic years starting August). Grain: one row per (metric_id, area_code, period).
{{ mission_ess_rows('stg_ess__further_education_and_skills_learner_achievements', 6,
    {'Further education and skills learner achievements': 'm6_fe_achievements_rate'},
    ['upper_tier_la'], 'further-education-and-skills-learner-achievements',
    'as published (DfE FE and skills, learners aged 19+ achieving a funded aim, per 100,000)',
    national_codes=['E92000001']) }}
