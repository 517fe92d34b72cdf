-- Respondent-level, typed, with the ONS4 thresholds used by the mission 8 headline metrics:
-- low = 0-4 on life satisfaction, worthwhile, happiness; high anxiety = 6-10. PRIVATE (group restricted).
select
    respondent_id,
    lad_code,
    case left(lad_code, 1)
        when 'E' then 'E92000001' when 'W' then 'W92000004' when 'S' then 'S92000003' when 'N' then 'N92000002'
    end as nation_code,
    age_band,
    sex,
    cast(survey_year as integer) as survey_year,
    make_date(cast(survey_year as integer), 4, 1) as period_start,
    make_date(cast(survey_year as integer) + 1, 3, 31) as period_end,
    cast(person_weight as double) as person_weight,
    cast(life_satisfaction as integer) as life_satisfaction,
    cast(worthwhile as integer) as worthwhile,
    cast(happiness as integer) as happiness,
    cast(anxiety as integer) as anxiety,
    life_satisfaction <= 4 as is_low_life_satisfaction,
    worthwhile <= 4 as is_low_worthwhile,
    happiness <= 4 as is_low_happiness,
    anxiety >= 6 as is_high_anxiety
from {{ source('landed', 'aps_personal_wellbeing_microdata') }}
